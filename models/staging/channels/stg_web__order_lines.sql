-- Web shop order lines (docs/channels.md "Web orders") of the current version of each web
-- export, in the shape of the channel order lines: one row per element of an order's
-- line_items (an order without items gives one row with null line fields). Values are read
-- as text (a JSON number becomes its text), so a malformed value is a format finding (text
-- present, typed value null), never a lost row. Each order's fields are read from its JSON
-- in one call per object (json_extract_string with a list of paths parses the text once).
{%- set order_fields = [
    ('order_id', '$.id'),
    ('ordered_at_text', '$.created_at'),
    ('currency', '$.currency'),
    ('customer_id', '$.customer.id'),
    ('order_total_text', '$.total_price'),
    ('total_tax_text', '$.total_tax'),
    ('shipping_text', '$.total_shipping_price_set.shop_money.amount'),
    ('ship_to_name', '$.shipping_address.name'),
    ('ship_to_address1', '$.shipping_address.address1'),
    ('ship_to_city', '$.shipping_address.city'),
    ('ship_to_postal_code', '$.shipping_address.zip'),
    ('ship_to_country', '$.shipping_address.country_code'),
    ('payment_method', '$.payment_gateway_names[0]'),
] %}
{%- set line_fields = [
    ('sku', '$.sku'),
    ('quantity_text', '$.quantity'),
    ('unit_price_text', '$.price'),
    ('discount_amount_text', '$.total_discount'),
] %}

with

source as (
    select * from {{ source('web', 'web_orders') }}
),

current_files as (
    {{ current_loads('web_orders') }}
),

orders as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        source._source_position as order_position,
        current_files.file_business_date,
        {{ json_text_values('source.document', order_fields | map(attribute=1) | list) }} as order_values,
        {{ json_array_items('source.document', '$.line_items') }} as items
    from source
    inner join current_files on source._load_id = current_files.load_id
),

with_items as (
    select
        *,
        {{ items_or_one_null('items') }} as item_list
    from orders
),

-- One row per item; an order without items keeps one row, whose item is null.
exploded as (
    select
        load_id,
        source_file,
        source_line,
        order_position,
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
        file_business_date,
        {% for name, _ in order_fields -%}
            {{ clean_text(list_item('order_values', loop.index)) }} as {{ name }},
        {% endfor -%}
        {% for name, path in line_fields -%}
            {{ clean_text(json_text('item', path)) }} as {{ name }},
        {% endfor -%}
        case when item is not null then item_index end as line_number
    from exploded
),

typed as (
    select
        *,
        case
            when line_number is null then order_position
            -- JSON lines: 'line 12: $.line_items[0]'; a document: '$.orders[3].line_items[0]'.
            when source_line is not null then order_position || ': $.line_items[' || (line_number - 1) || ']'
            else order_position || '.line_items[' || (line_number - 1) || ']'
        end as source_position,
        {{ parse_integer('quantity_text') }} as quantity,
        {{ parse_money('unit_price_text') }} as unit_price,
        {{ parse_money('discount_amount_text') }} as discount_amount,
        {{ parse_money('total_tax_text') }} as total_tax,
        {{ parse_money('shipping_text') }} as shipping
    from fields
),

final as (
    select
        load_id || ':' || source_position as record_id,
        'WEB' as channel,
        load_id,
        source_file,
        source_line,
        source_position,
        order_position,
        file_business_date,
        order_id,
        {{ normalize_order_key('order_id') }} as order_key,
        customer_id,
        null as partner_id,
        null as operator_id,
        ordered_at_text,
        {{ parse_timestamp_utc('ordered_at_text') }} as ordered_at,
        currency,
        cast(line_number as string) as line_number_text,
        line_number,
        sku,
        quantity_text,
        quantity,
        unit_price_text,
        unit_price,
        discount_amount_text,
        discount_amount,
        -- The web shop delivers no line total: price times quantity less the discount
        -- (none when the discount is absent; unknown when it is malformed).
        null as line_total_text,
        case
            when discount_amount_text is null or discount_amount is not null
                then quantity * unit_price - coalesce(discount_amount, 0)
        end as line_total,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        -- Tax and shipping inside total_price; unknown when either is malformed.
        case
            when
                (total_tax_text is null or total_tax is not null)
                and (shipping_text is null or shipping is not null)
                then coalesce(total_tax, 0) + coalesce(shipping, 0)
        end as order_charges,
        null as requested_delivery_date_text,
        null as requested_delivery_date,
        ship_to_name,
        ship_to_address1,
        ship_to_city,
        ship_to_postal_code,
        upper(ship_to_country) as ship_to_country,
        lower(payment_method) as payment_method
    from typed
)

{{ channel_lines_select('final') }}
