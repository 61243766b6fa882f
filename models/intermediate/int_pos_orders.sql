-- One row per POS order (normalized order number), built from every current
-- POS line that has an order number, whatever its other validation results:
-- a line with a bad price does not hide a missing order (contract section 6).
with

lines as (
    select * from {{ ref('stg_pos__order_lines') }}
    where order_key is not null
),

orders_with_errors as (
    select distinct order_key
    from {{ ref('int_validation_failures') }}
    where source_system = 'POS' and order_key is not null
),

orders as (
    select
        order_key,
        min(order_id) as delivered_order_id,
        min(file_business_date) as business_date,
        min(store_id) as store_id,
        min(ordered_at) as ordered_at,
        min(currency) as currency,
        min(order_total) as pos_order_total,
        count(*) as line_count,
        min(source_file) as source_file
    from lines
    group by order_key
),

final as (
    select
        orders.*,
        orders_with_errors.order_key is not null as has_validation_errors
    from orders
    left join orders_with_errors on orders.order_key = orders_with_errors.order_key
)

select * from final
