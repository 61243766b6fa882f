-- One row per channel order copy: an order id of a channel in one file (a line without an
-- order id is an order of its own), with its lines counted and whether an error finding
-- keeps it out of the validated layer. What the channel reconciliation, the per-channel
-- figures and the metrics read instead of every line.
-- Incremental by business date, as int_channel_order_lines.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

with

lines as (
    select * from {{ ref('int_channel_order_lines') }}
    where {{ in_recompute_scope(date='file_business_date') }}
),

findings as (
    select * from ({{ enabled_findings(ref('int_channel_order_line_failures')) }})
    where {{ in_recompute_scope(date='business_date') }}
),

rules as (
    select * from {{ ref('order_validation_rules') }}
),

records_in_error as (
    select distinct findings.record_id
    from findings
    inner join rules on findings.rule_id = rules.rule_id
    where rules.severity = 'error'
),

final as (
    select
        lines.channel,
        coalesce(lines.order_key, lines.record_id) as order_ref,
        lines.order_key,
        lines.load_id,
        min(lines.file_business_date) as business_date,
        min(lines.source_file) as source_file,
        min(lines.order_position) as order_position,
        min(lines.order_id) as order_id,
        min(lines.customer_id) as customer_id,
        min(lines.partner_id) as partner_id,
        min(lines.ordered_at) as ordered_at,
        min(lines.currency) as currency,
        cast(count(*) as bigint) as record_count,
        cast(count(*) filter (where lines.line_number_text is not null or lines.sku is not null) as integer)
            as line_count,
        min(lines.order_total) as order_total,
        bool_or(records_in_error.record_id is not null) as has_validation_errors
    from lines
    left join records_in_error on lines.record_id = records_in_error.record_id
    group by lines.channel, coalesce(lines.order_key, lines.record_id), lines.order_key, lines.load_id
)

select * from final
