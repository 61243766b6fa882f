-- OMS rows of the current deliveries that take part in POS reconciliation:
-- source_system POS (compared trimmed, case-insensitive). Rows with other
-- validation problems still prove the order reached the OMS.
{{ config(materialized = 'view') }}

with

current_loads as (
    {{ current_loads('oms_orders') }}
),

orders as (
    select all_orders.*
    from {{ ref('stg_oms__orders') }} as all_orders
    semi join current_loads on all_orders.load_id = current_loads.load_id
    where all_orders.source_system = 'POS'
),

rows_with_errors as (
    select distinct record_id
    from ({{ enabled_findings(ref('int_oms_order_failures')) }})
),

final as (
    select
        orders.record_id,
        orders.load_id,
        orders.source_order_key,
        orders.source_order_id,
        orders.source_order_id_as_delivered,
        orders.oms_order_id,
        orders.store_id,
        orders.order_status,
        orders.order_total,
        orders.currency,
        orders.created_at,
        orders.file_business_date as business_date,
        orders.source_file,
        orders.source_line,
        rows_with_errors.record_id is not null as has_validation_errors
    from orders
    left join rows_with_errors on orders.record_id = rows_with_errors.record_id
)

select * from final
