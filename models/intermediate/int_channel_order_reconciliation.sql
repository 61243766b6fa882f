-- One row per channel order (web, EDI, API, manual): is it in the OMS? An order is one
-- order id of a channel; its earliest file's copy gives its date and total (a later copy is
-- a duplicate finding). It matches the OMS rows of the current OMS files whose
-- source_system is its channel and whose source_order_id, trimmed and upper-cased, is its
-- id (as POS orders match). A table rebuilt at every build: the channels' few hundred
-- orders a day are reconciled whole against the OMS files loaded so far.
{{ config(materialized = 'table') }}

with

lines as (
    select * from {{ ref('int_channel_order_lines') }}
    where order_key is not null
),

findings as (
    select * from ({{ enabled_findings(ref('int_channel_order_line_failures')) }})
),

rules as (
    select * from {{ ref('order_validation_rules') }}
),

oms_loads as (
    {{ current_loads('oms_orders') }}
),

copies as (
    select
        channel,
        order_key,
        load_id,
        min(file_business_date) as business_date,
        min(source_file) as source_file,
        min(order_position) as order_position,
        min(order_id) as order_id,
        min(customer_id) as customer_id,
        min(partner_id) as partner_id,
        min(ordered_at) as ordered_at,
        min(currency) as currency,
        count(*) filter (where line_number_text is not null or sku is not null) as line_count,
        min(order_total) as order_total,
        rank() over (partition by channel, order_key order by min(file_business_date), load_id) as copy_rank
    from lines
    group by channel, order_key, load_id
),

orders as (
    select * from copies
    where copy_rank = 1
),

orders_in_error as (
    select distinct
        findings.source_system as channel,
        findings.order_key
    from findings
    inner join rules on findings.rule_id = rules.rule_id
    where rules.severity = 'error' and findings.order_key is not null
),

oms_rows as (
    select
        oms.source_system,
        oms.source_order_key,
        oms.source_order_id_as_delivered,
        oms.oms_order_id,
        oms.order_total,
        oms.order_status,
        oms.created_at,
        oms.file_business_date as business_date,
        oms.source_file,
        oms.source_line
    from {{ ref('stg_oms__orders') }} as oms
    semi join oms_loads on oms.load_id = oms_loads.load_id
    where oms.source_system in ('WEB', 'EDI', 'API', 'MANUAL') and oms.source_order_key is not null
),

matches as (
    select
        orders.channel,
        orders.order_key,
        oms_rows.oms_order_id,
        oms_rows.order_total,
        oms_rows.order_status,
        oms_rows.business_date,
        oms_rows.source_file,
        oms_rows.source_line,
        oms_rows.source_order_id_as_delivered = orders.order_id as is_exact_key,
        row_number() over (
            partition by orders.channel, orders.order_key
            order by
                oms_rows.oms_order_id is null,
                oms_rows.business_date,
                oms_rows.oms_order_id,
                oms_rows.source_file,
                oms_rows.source_line
        ) as match_rank
    from orders
    inner join oms_rows
        on orders.channel = oms_rows.source_system and orders.order_key = oms_rows.source_order_key
),

match_summary as (
    select
        channel,
        order_key,
        count(distinct coalesce(oms_order_id, source_file || ':' || source_line)) as oms_match_count,
        min(business_date) as first_oms_business_date,
        case when bool_or(is_exact_key) then 'exact' else 'normalized' end as match_method
    from matches
    group by channel, order_key
),

representative_match as (
    select * from matches
    where match_rank = 1
),

final as (
    select
        orders.channel,
        orders.order_key,
        orders.order_id,
        orders.business_date,
        orders.customer_id,
        orders.partner_id,
        orders.ordered_at,
        orders.currency,
        cast(orders.line_count as integer) as line_count,
        cast(orders.order_total as decimal(18, 2)) as order_total,
        case when match_summary.order_key is null then 'missing_in_oms' else 'matched' end as recon_status,
        representative_match.oms_order_id,
        cast(coalesce(match_summary.oms_match_count, 0) as integer) as oms_match_count,
        coalesce(match_summary.first_oms_business_date > orders.business_date, false) as is_late_match,
        coalesce(
            abs(representative_match.order_total - orders.order_total) > {{ var('amount_tolerance') }}, false
        ) as has_amount_mismatch,
        orders_in_error.order_key is not null as has_validation_errors,
        cast(representative_match.order_total as decimal(18, 2)) as oms_order_total,
        representative_match.order_status as oms_order_status,
        match_summary.first_oms_business_date as oms_business_date,
        orders.source_file,
        orders.order_position as source_position,
        representative_match.source_file as oms_source_file,
        representative_match.source_line as oms_source_line,
        match_summary.match_method
    from orders
    left join match_summary on orders.channel = match_summary.channel and orders.order_key = match_summary.order_key
    left join representative_match
        on orders.channel = representative_match.channel and orders.order_key = representative_match.order_key
    left join orders_in_error on orders.channel = orders_in_error.channel and orders.order_key = orders_in_error.order_key
)

select * from final
