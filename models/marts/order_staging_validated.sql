-- The validated order layer of every channel (the order staging plan's order_staging_validated):
-- one row per order line that passed validation, POS included, in one shape: channel,
-- order id, customer or partner, line, totals, delivery request, ship-to and payment method.
-- A view over the POS's validated lines (int_pos_order_lines_validated, with the review
-- decisions applied) and the channels' (int_channel_order_lines_validated).
{{ config(materialized = 'view') }}

with

pos as (
    select
        'POS' as channel,
        record_id,
        load_id,
        source_file,
        source_line,
        'line ' || source_line as source_position,
        file_business_date as business_date,
        order_id,
        order_key,
        store_id,
        customer_id,
        cast(null as string) as partner_id,
        cast(null as string) as operator_id,
        ordered_at,
        currency,
        cast(line_number as bigint) as line_number,
        sku,
        cast(quantity as bigint) as quantity,
        unit_price,
        discount_amount,
        line_total,
        order_total,
        cast(0 as decimal(18, 2)) as order_charges,
        requested_delivery_date,
        cast(null as string) as ship_to_name,
        cast(null as string) as ship_to_address1,
        cast(null as string) as ship_to_city,
        cast(null as string) as ship_to_postal_code,
        cast(null as string) as ship_to_country,
        cast(null as string) as payment_method
    from {{ ref('int_pos_order_lines_validated') }}
),

channels as (
    select
        channel,
        record_id,
        load_id,
        source_file,
        source_line,
        source_position,
        file_business_date as business_date,
        order_id,
        order_key,
        cast(null as string) as store_id,
        customer_id,
        partner_id,
        operator_id,
        ordered_at,
        currency,
        cast(line_number as bigint) as line_number,
        sku,
        cast(quantity as bigint) as quantity,
        unit_price,
        discount_amount,
        cast(coalesce(line_total, quantity * unit_price - coalesce(discount_amount, 0)) as decimal(18, 2)) as line_total,
        order_total,
        order_charges,
        requested_delivery_date,
        ship_to_name,
        ship_to_address1,
        ship_to_city,
        ship_to_postal_code,
        ship_to_country,
        payment_method
    from {{ ref('int_channel_order_lines_validated') }}
),

final as (
    select * from pos
    union all
    select * from channels
)

select * from final
