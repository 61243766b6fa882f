-- OMS rows of the current deliveries that passed every enabled error-severity
-- rule (rows with warnings only are here too, and in the error layer), as reviewers
-- decided: a row whose every error finding a reviewer approved or corrected goes through,
-- carrying the decisions as its lineage (review_*); a row with a rejected finding (error or
-- warning) stays out. A corrected value is recorded in the lineage, not written into the row.
{{ config(materialized = 'view') }}

with

current_loads as (
    {{ current_loads('oms_orders') }}
),

orders as (
    select all_orders.*
    from {{ ref('stg_oms__orders') }} as all_orders
    semi join current_loads on all_orders.load_id = current_loads.load_id
),

failures as (
    select * from {{ ref('int_validation_failures') }}
    where source_system = 'OMS'
),

decisions as (
    select * from {{ ref('int_review_decisions') }}
    where decision_status = 'applied' and item_source_system = 'OMS'
),

-- error findings no approval or correction lifts
blocking as (
    select distinct failures.record_id
    from failures
    anti join decisions
        on
            failures.record_id = decisions.item_record_id
            and failures.rule_id = decisions.item_rule_id
            and decisions.decision_action in ('approve', 'correct')
    where failures.severity = 'error'
),

rejected_records as (
    select distinct item_record_id as record_id
    from decisions
    where decision_action = 'reject'
),

lineage as (
    select
        item_record_id as record_id,
        string_agg(decision_id, ', ' order by decision_id) as review_decision_id,
        string_agg(distinct decision_action, ', ' order by decision_action) as review_action,
        string_agg(item_field_name, ', ' order by decision_id) filter (where decision_action = 'correct') as review_corrected_field,
        string_agg(corrected_value, ', ' order by decision_id) filter (where decision_action = 'correct') as review_corrected_value
    from decisions
    where decision_action in ('approve', 'correct')
    group by item_record_id
),

final as (
    select
        orders.*,
        lineage.review_decision_id,
        lineage.review_action,
        lineage.review_corrected_field,
        lineage.review_corrected_value
    from orders
    left join lineage on orders.record_id = lineage.record_id
    anti join blocking on orders.record_id = blocking.record_id
    anti join rejected_records on orders.record_id = rejected_records.record_id
)

select * from final
