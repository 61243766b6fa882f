-- OMS rows that take part in POS reconciliation: source_system POS (compared
-- trimmed, case-insensitive) with a source order number. Rows with other
-- validation problems still prove the order reached the OMS.
with

orders as (
    select * from {{ ref('stg_oms__orders') }}
),

rows_with_errors as (
    select distinct record_id
    from {{ ref('int_validation_failures') }}
    where source_system = 'OMS'
),

final as (
    select
        orders.record_id,
        orders.source_order_key,
        orders.source_order_id,
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
    where orders.source_system = 'POS'
)

select * from final
