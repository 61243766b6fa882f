-- Manually entered order lines of the current version of each manual-entry file, in the
-- shape of the channel order lines (docs/channels.md). Every delivered row is here, however
-- bad: values that do not parse are null in the typed column and kept as text beside it.
with

source as (
    select * from {{ source('manual', 'manual_order_lines') }}
),

current_files as (
    {{ current_loads('manual_orders') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        current_files.file_business_date,
        {{ clean_text('source.order_id') }} as order_id,
        {{ clean_text('source.operator_id') }} as operator_id,
        {{ clean_text('source.order_ts') }} as ordered_at_text,
        {{ clean_text('source.customer_id') }} as customer_id,
        {{ clean_text('source.currency') }} as currency,
        {{ clean_text('source.line_number') }} as line_number_text,
        {{ clean_text('source.sku') }} as sku,
        {{ clean_text('source.quantity') }} as quantity_text,
        {{ clean_text('source.unit_price') }} as unit_price_text,
        {{ clean_text('source.discount_amount') }} as discount_amount_text,
        {{ clean_text('source.line_total') }} as line_total_text,
        {{ clean_text('source.order_total') }} as order_total_text,
        {{ clean_text('source.requested_delivery_date') }} as requested_delivery_date_text,
        {{ clean_text('source.ship_to_name') }} as ship_to_name,
        {{ clean_text('source.ship_to_address1') }} as ship_to_address1,
        {{ clean_text('source.ship_to_city') }} as ship_to_city,
        {{ clean_text('source.ship_to_postal_code') }} as ship_to_postal_code,
        upper({{ clean_text('source.ship_to_country') }}) as ship_to_country,
        lower({{ clean_text('source.payment_method') }}) as payment_method
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        'MANUAL' as channel,
        load_id,
        source_file,
        source_line,
        'line ' || source_line as source_position,
        -- an order is its lines in one file: its position is its first line
        'line ' || min(source_line) over (partition by load_id, coalesce({{ normalize_order_key('order_id') }}, cast(source_line as string)))
            as order_position,
        file_business_date,
        order_id,
        {{ normalize_order_key('order_id') }} as order_key,
        customer_id,
        cast(null as string) as partner_id,
        operator_id,
        ordered_at_text,
        {{ parse_timestamp_utc('ordered_at_text') }} as ordered_at,
        currency,
        line_number_text,
        {{ parse_integer('line_number_text') }} as line_number,
        sku,
        quantity_text,
        {{ parse_integer('quantity_text') }} as quantity,
        unit_price_text,
        {{ parse_money('unit_price_text') }} as unit_price,
        discount_amount_text,
        {{ parse_money('discount_amount_text') }} as discount_amount,
        line_total_text,
        {{ parse_money('line_total_text') }} as line_total,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        0 as order_charges,
        requested_delivery_date_text,
        {{ parse_date('requested_delivery_date_text') }} as requested_delivery_date,
        ship_to_name,
        ship_to_address1,
        ship_to_city,
        ship_to_postal_code,
        ship_to_country,
        payment_method
    from trimmed
)

{{ channel_lines_select('final') }}
