-- Placeholder until the api reader lands: no lines, in the shared shape.
{{ no_channel_lines() }}
