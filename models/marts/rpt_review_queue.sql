-- What needs a person: business-rule violations (pricing, totals, limits, stock,
-- delivery days, duplicates), open ones first, with their age; resolved ones stay
-- listed with when and how they were resolved. A reviewer's decision that dbt applied
-- (int_review_decisions) closes an item: approved, rejected or corrected, with who, when and
-- why; a decided item stays decided when its finding later goes away.
-- A view over int_validation_error_history, which a build updates incrementally; an open
-- finding's age runs to the last build that found it (its last_seen_at). Against the review
-- target (var review_sla_hours, the plan's 4 hours from the build that first found it), an
-- open item's hours are measured when the view is read (UTC), so it passes its target
-- without a build; rpt_escalations escalates it then.
{{ config(materialized = 'view') }}

with

history as (
    select * from {{ ref('int_validation_error_history') }}
),

decisions as (
    select * from {{ ref('int_review_decisions') }}
    where decision_status = 'applied'
),

clock as (
    select cast({{ utc_now() }} as timestamp) as now_utc
),

reviewed as (
    select
        history.error_key,
        case
            when decisions.decision_action = 'approve' then 'approved'
            when decisions.decision_action = 'reject' then 'rejected'
            when decisions.decision_action = 'correct' then 'corrected'
            when history.resolved_at is null then 'open'
            else 'resolved'
        end as review_status,
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
        -- a decided item's age runs to its decision
        {{ review_age_days(
            'history.first_seen_at', 'coalesce(decisions.recorded_at, history.resolved_at, history.last_seen_at)'
        ) }} as age_days,
        decisions.decision_id,
        decisions.decided_by,
        decisions.decided_at,
        decisions.reason as decision_reason,
        decisions.corrected_value,
        history.first_seen_at + {{ hours_interval(var('review_sla_hours')) }} as review_due_at
    from history
    left join decisions on history.error_key = decisions.error_key
    where history.category = 'business_rule'
),

final as (
    select
        reviewed.*,
        case
            when reviewed.review_status = 'open'
                then cast(({{ epoch_seconds('clock.now_utc') }} - {{ epoch_seconds('reviewed.first_seen_at') }}) / 3600 as decimal(10, 1))
        end as hours_open,
        reviewed.review_status = 'open' and clock.now_utc > reviewed.review_due_at as is_past_review_target
    from reviewed
    cross join clock
)

select * from final
