{#- The error layer's helpers. Which findings a build recomputes is the findings grain of
    macros/recompute.sql (findings_condition). -#}

{% macro review_age_days(first_seen_at, resolved_at) %}
    {#- Days from first seen to the resolution (or to the build), to a tenth. -#}
    cast(
        date_diff('hour', {{ first_seen_at }}, coalesce({{ resolved_at }}, {{ build_timestamp() }})) / 24.0
        as decimal(10, 1)
    )
{%- endmacro %}
