-- Partner API order lines (docs/channels.md "API payloads") of the current version of each
-- API file, in the shape of the channel order lines: one row per element of an order's lines
-- (an order without lines gives one row with null line fields). JSON and XML payloads land
-- as JSON objects of one shape; XML values are all text, JSON numbers become their text, so
-- a malformed value is a format finding (text present, typed value null), never a lost row.
{%- set order_fields = [
    ('order_id', '$.order_reference'),
    ('customer_id', '$.customer_id'),
    ('ordered_at_text', '$.created_at'),
    ('currency', '$.currency'),
    ('order_total_text', '$.order_total'),
    ('requested_delivery_date_text', '$.requested_delivery_date'),
    ('ship_to_name', '$.ship_to.name'),
    ('ship_to_address1', '$.ship_to.address1'),
    ('ship_to_city', '$.ship_to.city'),
    ('ship_to_postal_code', '$.ship_to.postal_code'),
    ('ship_to_country', '$.ship_to.country'),
    ('payment_method', '$.payment_method'),
] %}
{%- set line_fields = [
    ('line_number_text', '$.line_number'),
    ('sku', '$.sku'),
    ('quantity_text', '$.quantity'),
    ('unit_price_text', '$.unit_price'),
    ('discount_amount_text', '$.discount'),
    ('line_total_text', '$.line_total'),
] %}

with

source as (
    select * from {{ source('api', 'api_orders') }}
),

current_files as (
    {{ current_loads('api_orders') }}
),

orders as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        source._source_position as order_position,
        source.payload_format,
        source.integration_source,
        current_files.file_business_date,
        {{ json_text_values('source.document', order_fields | map(attribute=1) | list) }} as order_values,
        {{ json_array_items('source.document', '$.lines') }} as items
    from source
    inner join current_files on source._load_id = current_files.load_id
),

with_items as (
    select
        *,
        {{ items_or_one_null('items') }} as item_list
    from orders
),

-- One row per line; an order without lines keeps one row, whose item is null.
exploded as (
    select
        load_id,
        source_file,
        source_line,
        order_position,
        payload_format,
        integration_source,
        file_business_date,
        order_values,
        {{ explode_items('item_list', 'item', 'item_index') }}
    from with_items
),

fields as (
    select
        load_id,
        source_file,
        source_line,
        order_position,
        payload_format,
        file_business_date,
        {{ clean_text('integration_source') }} as partner_id,
        {% for name, _ in order_fields -%}
            {{ clean_text(list_item('order_values', loop.index)) }} as {{ name }},
        {% endfor -%}
        {% for name, path in line_fields -%}
            {{ clean_text(json_text('item', path)) }} as {{ name }},
        {% endfor -%}
        case
            when item is null then order_position
            when payload_format = 'xml' then order_position || '/lines/line[' || item_index || ']'
            else order_position || '.lines[' || (item_index - 1) || ']'
        end as source_position
    from exploded
),

final as (
    select
        load_id || ':' || source_position as record_id,
        'API' as channel,
        load_id,
        source_file,
        source_line,
        source_position,
        order_position,
        file_business_date,
        order_id,
        {{ normalize_order_key('order_id') }} as order_key,
        customer_id,
        partner_id,
        null as operator_id,
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
        upper(ship_to_country) as ship_to_country,
        lower(payment_method) as payment_method
    from fields
)

{{ channel_lines_select('final') }}
