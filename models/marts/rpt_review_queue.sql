-- What needs a person: business-rule violations (pricing, totals, limits, stock,
-- delivery days, duplicates), open ones first, with their age; resolved ones stay
-- listed with when and how they were resolved.
-- A view over int_validation_error_history, which a build updates incrementally; an open
-- finding's age runs to the last build that found it (its last_seen_at).
{{ config(materialized = 'view') }}

with

history as (
    select * from {{ ref('int_validation_error_history') }}
),

final as (
    select
        history.error_key,
        case when history.resolved_at is null then 'open' else 'resolved' end as review_status,
        history.source_system,
        history.source_file,
        history.source_line,
        history.business_date,
        history.order_id,
        history.rule_id,
        history.severity,
        history.failed_value,
        history.message,
        history.first_seen_at,
        history.resolved_at,
        history.resolution,
        {{ review_age_days('history.first_seen_at', 'coalesce(history.resolved_at, history.last_seen_at)') }} as age_days
    from history
    where history.category = 'business_rule'
)

select * from final
