-- POS order lines of the current deliveries that passed every enabled
-- error-severity rule (lines with warnings only are here too, and in the error layer).
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

blocking as (
    select distinct record_id
    from {{ ref('int_validation_failures') }}
    where source_system = 'POS' and severity = 'error'
),

final as (
    select lines.*
    from lines
    anti join blocking on lines.record_id = blocking.record_id
)

select * from final
