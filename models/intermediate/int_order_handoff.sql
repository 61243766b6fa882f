-- The orders to hand to the OMS: one row per validated channel order (web, EDI, API, manual;
-- the POS's orders reach the OMS by themselves), with its header, its line count and the
-- hash of what the OMS import file says about it (docs/handoff.md). marts.rpt_order_handoff
-- adds whether that was exported.
-- Incremental by business date (macro channel_dates), as the channel models.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

{#- What the hash covers: every field of the import file but record_type and version
    (docs/handoff.md), as text, null as empty, the header and then each line by line number. -#}
{%- set header_fields = [
    'channel', 'order_id', 'business_date', 'ordered_at', 'customer_id', 'partner_id', 'currency',
    'order_total', 'order_charges', 'requested_delivery_date', 'ship_to_name', 'ship_to_address1',
    'ship_to_city', 'ship_to_postal_code', 'ship_to_country', 'payment_method'
] -%}
{%- set line_fields = ['line_number', 'sku', 'quantity', 'unit_price', 'discount_amount', 'line_total'] -%}
{%- set line_text -%}
    concat_ws('|', {% for field in line_fields %}coalesce(cast({{ field }} as string), ''){{ ', ' if not loop.last }}{% endfor %})
{%- endset %}

with

lines as (
    select * from {{ ref('order_staging_validated') }}
    where channel != 'POS' and {{ channel_scope('business_date', 'load_id') }}
),

-- the header is the first line's (a manual order repeats it on every line)
headers as (
    select *
    from lines
    qualify row_number() over (partition by channel, order_key order by line_number nulls last, record_id nulls last) = 1
),

order_lines as (
    select
        channel,
        order_key,
        count(*) as line_count,
        cast(sum(line_total) as decimal(18, 2)) as lines_total,
        {{ ordered_agg(line_text, 'chr(10)', 'line_number') }} as lines_text
    from lines
    group by channel, order_key
),

final as (
    select
        headers.channel || ':' || headers.order_key as handoff_id,
        headers.channel,
        headers.order_id,
        headers.order_key,
        headers.business_date,
        headers.load_id,
        headers.source_file,
        headers.customer_id,
        headers.partner_id,
        headers.operator_id,
        headers.ordered_at,
        headers.currency,
        order_lines.line_count,
        order_lines.lines_total,
        headers.order_charges,
        headers.order_total,
        headers.requested_delivery_date,
        headers.ship_to_name,
        headers.ship_to_address1,
        headers.ship_to_city,
        headers.ship_to_postal_code,
        headers.ship_to_country,
        headers.payment_method,
        md5(
            concat_ws(
                '|',
                {%- for field in header_fields %}
                    coalesce(cast(headers.{{ field }} as string), ''){{ ',' if not loop.last }}
                {%- endfor %}
            )
            || chr(10)
            || order_lines.lines_text
        ) as content_hash
    from headers
    inner join order_lines
        on headers.channel = order_lines.channel and headers.order_key = order_lines.order_key
)

select * from final
