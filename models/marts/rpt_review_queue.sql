-- What needs a person: business-rule violations (pricing, totals, limits, stock,
-- delivery days, duplicates), open ones first, with their age; resolved ones stay
-- listed with when and how they were resolved.
with

history as (
    select * from {{ ref('int_validation_error_history') }}
    where category = 'business_rule'
),

build as (
    select {{ build_timestamp() }} as built_at
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
        cast(
            date_diff('hour', history.first_seen_at, coalesce(history.resolved_at, build.built_at)) / 24.0
            as decimal(10, 1)
        ) as age_days
    from history
    cross join build
)

select * from final
