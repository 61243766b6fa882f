-- One row per order of any channel, the POS included: is it in the OMS? The POS rows are
-- fct_order_reconciliation's (its contract unchanged), the others int_channel_order_reconciliation's,
-- matched the same way against the OMS rows of their channel. A view: nothing is copied.
{{ config(materialized = 'view') }}

with

pos as (
    select
        'POS' as channel,
        order_id,
        business_date,
        pos_order_total as order_total,
        recon_status,
        oms_order_id,
        oms_match_count,
        is_late_match,
        has_amount_mismatch,
        has_validation_errors,
        order_key,
        cast(null as string) as customer_id,
        cast(null as string) as partner_id,
        store_id,
        ordered_at,
        currency,
        cast(line_count as integer) as line_count,
        oms_order_total,
        oms_order_status,
        oms_business_date,
        pos_source_file as source_file,
        cast(null as string) as source_position,
        oms_source_file,
        oms_source_line,
        match_method
    from {{ ref('fct_order_reconciliation') }}
),

channels as (
    select
        channel,
        order_id,
        business_date,
        order_total,
        recon_status,
        oms_order_id,
        oms_match_count,
        is_late_match,
        has_amount_mismatch,
        has_validation_errors,
        order_key,
        customer_id,
        partner_id,
        cast(null as string) as store_id,
        ordered_at,
        currency,
        cast(line_count as integer) as line_count,
        oms_order_total,
        oms_order_status,
        oms_business_date,
        source_file,
        source_position,
        oms_source_file,
        oms_source_line,
        match_method
    from {{ ref('int_channel_order_reconciliation') }}
),

final as (
    select * from pos
    union all
    select * from channels
)

select * from final
