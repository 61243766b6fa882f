-- The purchase order lines of the current version of each EDI file (X12 850 transaction
-- sets), in the shape of the channel order lines (docs/channels.md): one row per PO1
-- segment, and one row with null line fields for a set without PO1. Every set is here,
-- whatever its envelope: int_edi_envelope_failures reports the envelope errors.
with

sets as (
    select * from {{ ref('stg_edi__transaction_sets') }}
    where transaction_set_id = '850'
),

groups as (
    select * from {{ ref('stg_edi__groups') }}
),

po1 as (
    select
        load_id,
        st_segment,
        segment_number,
        elements[2] as line_number_text,
        elements[3] as quantity_text,
        elements[5] as unit_price_text,
        -- the product id after qualifier VP (vendor part), else SK (SKU), else BP (buyer part)
        list_transform(
            ['VP', 'SK', 'BP'],
            lambda qualifier: elements[
                list_filter(range(7, len(elements), 2), lambda i: elements[i] = qualifier)[1] + 1
            ]
        ) as product_ids
    from {{ ref('stg_edi__segments') }}
    where segment_id = 'PO1'
),

lines as (
    select
        sets.load_id,
        sets.source_file,
        sets.file_business_date,
        sets.st_segment,
        coalesce(po1.segment_number, sets.st_segment) as source_line,
        groups.partner_id,
        groups.customer_id,
        case
            when {{ clean_text('sets.po_number') }} is not null
                then coalesce(groups.partner_id, groups.sender_id) || '-' || {{ clean_text('sets.po_number') }}
        end as order_id,
        {{ clean_text('sets.po_date_text') }} as ordered_at_text,
        upper({{ clean_text('sets.currency') }}) as currency,
        {{ clean_text('po1.line_number_text') }} as line_number_text,
        {{ clean_text('coalesce(po1.product_ids[1], po1.product_ids[2], po1.product_ids[3])') }} as sku,
        {{ clean_text('po1.quantity_text') }} as quantity_text,
        {{ clean_text('po1.unit_price_text') }} as unit_price_text,
        {{ clean_text('sets.order_total_text') }} as order_total_text,
        {{ clean_text('sets.requested_delivery_date_text') }} as requested_delivery_date_text,
        {{ clean_text('sets.ship_to_name') }} as ship_to_name,
        {{ clean_text('sets.ship_to_address1') }} as ship_to_address1,
        {{ clean_text('sets.ship_to_city') }} as ship_to_city,
        {{ clean_text('sets.ship_to_postal_code') }} as ship_to_postal_code,
        upper({{ clean_text('sets.ship_to_country') }}) as ship_to_country
    from sets
    left join groups on sets.load_id = groups.load_id and sets.gs_segment = groups.gs_segment
    left join po1 on sets.load_id = po1.load_id and sets.st_segment = po1.st_segment
),

final as (
    select
        load_id || ':segment:' || source_line as record_id,
        'EDI' as channel,
        load_id,
        source_file,
        source_line,
        'segment ' || source_line as source_position,
        'segment ' || st_segment as order_position,
        file_business_date,
        order_id,
        {{ normalize_order_key('order_id') }} as order_key,
        customer_id,
        partner_id,
        cast(null as varchar) as operator_id,
        ordered_at_text,
        -- CCYYMMDD, the start of the day in UTC
        case
            when regexp_full_match(ordered_at_text, '[0-9]{8}')
                then try_strptime(ordered_at_text, '%Y%m%d')
        end as ordered_at,
        currency,
        line_number_text,
        {{ parse_integer('line_number_text') }} as line_number,
        sku,
        quantity_text,
        {{ parse_integer('quantity_text') }} as quantity,
        unit_price_text,
        {{ parse_money('unit_price_text') }} as unit_price,
        cast(null as varchar) as discount_amount_text,
        case when line_number_text is not null then 0 end as discount_amount,
        -- X12 delivers no line total: it is the quantity times the unit price
        cast(null as varchar) as line_total_text,
        {{ parse_integer('quantity_text') }} * {{ parse_money('unit_price_text') }} as line_total,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        0 as order_charges,
        requested_delivery_date_text,
        case
            when regexp_full_match(requested_delivery_date_text, '[0-9]{8}')
                then cast(try_strptime(requested_delivery_date_text, '%Y%m%d') as date)
        end as requested_delivery_date,
        ship_to_name,
        ship_to_address1,
        ship_to_city,
        ship_to_postal_code,
        ship_to_country,
        'invoice' as payment_method
    from lines
)

{{ channel_lines_select('final') }}
