-- What needs a person: business-rule violations (pricing, totals, limits, stock,
-- delivery days, duplicates), open ones first, with their age; resolved ones stay
-- listed with when and how they were resolved.
-- Incremental: a build replaces the findings the history compared again
-- (changed_findings_condition); the post-hook ages the other open ones.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_changed_reviews() }}",
    post_hook = "update {{ this }} set age_days = {{ review_age_days('first_seen_at', 'resolved_at') }} where resolved_at is null"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}
-- depends_on: {{ ref('int_changed_key_loads') }}
with

history as (
    select * from {{ ref('int_validation_error_history') }}
    {{ only_changed_findings(pos_order_key=normalize_order_key('order_id')) }}
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
        {{ review_age_days('history.first_seen_at', 'history.resolved_at') }} as age_days
    from history
    where history.category = 'business_rule'
)

select * from final
