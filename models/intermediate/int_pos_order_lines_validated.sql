-- POS order lines of the current deliveries that passed every enabled
-- error-severity rule (lines with warnings only are here too, and in the error layer),
-- as reviewers decided: a line whose every error finding a reviewer approved or corrected
-- goes through, carrying the decisions as its lineage (review_*); every line of an order
-- with a rejected finding (error or warning) stays out. A corrected value is recorded in
-- the lineage, not written into the line: the line keeps what the POS delivered.
{{ config(materialized = 'view') }}

with

current_loads as (
    {{ current_loads('pos_orders') }}
),

lines as (
    select all_lines.*
    from {{ ref('stg_pos__order_lines') }} as all_lines
    semi join current_loads on all_lines.load_id = current_loads.load_id
),

{{ review_decided_records('POS') }},

rejected_orders as (
    select distinct item_order_key as order_key
    from decisions
    where decision_action = 'reject' and item_order_key is not null
),

final as (
    select
        lines.*,
        lineage.review_decision_id,
        lineage.review_action,
        lineage.review_corrected_field,
        lineage.review_corrected_value
    from lines
    left join lineage on lines.record_id = lineage.record_id
    anti join blocking on lines.record_id = blocking.record_id
    anti join rejected_orders on lines.order_key = rejected_orders.order_key
    anti join rejected_records on lines.record_id = rejected_records.record_id
)

select * from final
