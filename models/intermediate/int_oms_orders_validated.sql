-- OMS rows of the current deliveries that passed every enabled error-severity
-- rule (rows with warnings only are here too, and in the error layer).
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

blocking as (
    select distinct record_id
    from {{ ref('int_validation_failures') }}
    where source_system = 'OMS' and severity = 'error'
),

final as (
    select orders.*
    from orders
    anti join blocking on orders.record_id = blocking.record_id
)

select * from final
