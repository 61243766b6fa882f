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

{{ review_decided_records('OMS') }},

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
