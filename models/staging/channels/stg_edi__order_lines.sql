-- The purchase order lines of the current version of each EDI file (X12 850 transaction
-- sets), in the shape of the channel order lines (docs/channels.md): one row per PO1
-- segment, and one row with null line fields for a set without PO1. Every set is here,
-- whatever its envelope: int_edi_envelope_failures reports the envelope errors.
with

-- Windows partitioned by delivery rather than joins of the set, group and line views, so
-- that a condition on load_id (a build's deliveries) reaches the segments' scan: DuckDB does
-- not carry it to a left join's right side, which then parsed every EDI file of history.
enveloped as (
    -- every segment with its interchange's and group's senders
    {{ edi_with_senders(ref('stg_edi__segments')) }}
),

set_segments as (
    -- every segment of a transaction set with the set's order-level fields
    select
        *,
        {{ edi_purchase_order_fields(over='over purchase_order') }}
    from enveloped
    where st_segment is not null
    window purchase_order as (partition by load_id, st_segment)
),

set_lines as (
    -- each PO1 segment of a purchase order, or its ST segment when it has none
    select
        *,
        {{ list_item('elements', 2) }} as line_number_text,
        {{ list_item('elements', 3) }} as quantity_text,
        {{ list_item('elements', 5) }} as unit_price_text,
        {{ edi_product_ids('elements') }} as product_ids
    from set_segments
    where transaction_set_id = '850' and (segment_id = 'PO1' or (segment_id = 'ST' and po1_count = 0))
),

{{ edi_partner_ctes() }},

with_partner as (
    {{ edi_with_partner('set_lines', ['load_id', 'segment_number']) }}
),

lines as (
    select
        load_id,
        source_file,
        file_business_date,
        st_segment,
        segment_number as source_line,
        partner_id,
        customer_id,
        case
            when {{ clean_text('po_number') }} is not null
                then coalesce(partner_id, sender_id) || '-' || {{ clean_text('po_number') }}
        end as order_id,
        {{ clean_text('po_date_text') }} as ordered_at_text,
        upper({{ clean_text('currency') }}) as currency,
        case when segment_id = 'PO1' then {{ clean_text('line_number_text') }} end as line_number_text,
        case
            when segment_id = 'PO1'
                then {{ clean_text('coalesce(' ~ list_item('product_ids', 1) ~ ', ' ~ list_item('product_ids', 2) ~ ', ' ~ list_item('product_ids', 3) ~ ')') }}
        end as sku,
        case when segment_id = 'PO1' then {{ clean_text('quantity_text') }} end as quantity_text,
        case when segment_id = 'PO1' then {{ clean_text('unit_price_text') }} end as unit_price_text,
        {{ clean_text('order_total_text') }} as order_total_text,
        {{ clean_text('requested_delivery_date_text') }} as requested_delivery_date_text,
        {{ clean_text('ship_to_name') }} as ship_to_name,
        {{ clean_text('ship_to_address1') }} as ship_to_address1,
        {{ clean_text('ship_to_city') }} as ship_to_city,
        {{ clean_text('ship_to_postal_code') }} as ship_to_postal_code,
        upper({{ clean_text('ship_to_country') }}) as ship_to_country
    from with_partner
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
        cast(null as string) as operator_id,
        ordered_at_text,
        -- CCYYMMDD, the start of the day in UTC
        case
            when {{ full_match('ordered_at_text', '[0-9]{8}') }}
                then {{ timestamp_of_yyyymmdd('ordered_at_text') }}
        end as ordered_at,
        currency,
        line_number_text,
        {{ parse_integer('line_number_text') }} as line_number,
        sku,
        quantity_text,
        {{ parse_integer('quantity_text') }} as quantity,
        unit_price_text,
        {{ parse_money('unit_price_text') }} as unit_price,
        cast(null as string) as discount_amount_text,
        case when line_number_text is not null then 0 end as discount_amount,
        -- X12 delivers no line total: it is the quantity times the unit price
        cast(null as string) as line_total_text,
        {{ parse_integer('quantity_text') }} * {{ parse_money('unit_price_text') }} as line_total,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        0 as order_charges,
        requested_delivery_date_text,
        case
            when {{ full_match('requested_delivery_date_text', '[0-9]{8}') }}
                then cast({{ timestamp_of_yyyymmdd('requested_delivery_date_text') }} as date)
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
