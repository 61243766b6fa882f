-- Review decisions, one row per decision delivered, trimmed and typed. Unlike order files,
-- every loaded version of a decisions file counts: decisions are append-only, a correction of
-- a file adds decisions and never withdraws one (int_review_decisions keeps a decision
-- delivered again once). A rejected file landed nothing.
with

source as (
    select * from {{ source('review', 'review_decisions') }}
),

trimmed as (
    select
        coalesce(source._decision_id, 'file:' || source._load_id || ':' || source._source_line) as decision_id,
        source._channel as channel,
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        source._loaded_at as recorded_at,
        {{ clean_text('source.error_key') }} as error_key,
        lower({{ clean_text('source.action') }}) as decision_action,
        {{ clean_text('source.corrected_value') }} as corrected_value,
        {{ clean_text('source.decided_by') }} as decided_by,
        {{ clean_text('source.decided_at') }} as decided_at_text,
        {{ clean_text('source.reason') }} as reason
    from source
),

final as (
    select
        decision_id,
        error_key,
        decision_action,
        corrected_value,
        decided_by,
        decided_at_text,
        {{ parse_timestamp_utc('decided_at_text') }} as decided_at,
        reason,
        channel,
        source_file,
        source_line,
        load_id,
        recorded_at
    from trimmed
)

select * from final
