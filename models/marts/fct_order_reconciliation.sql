-- One row per POS order: is it in the OMS? (contract sections 6 and 7)
-- The public face of int_order_reconciliation, which a build updates incrementally:
-- a view, so that BI tools and dbt show read every order.
{{ config(materialized = 'view') }}

with

reconciliation as (
    select * from {{ ref('int_order_reconciliation') }}
),

final as (
    select
        order_id,
        delivered_order_id,
        business_date,
        store_id,
        ordered_at,
        currency,
        line_count,
        pos_order_total,
        recon_status,
        oms_order_id,
        oms_match_count,
        is_late_match,
        has_amount_mismatch,
        has_validation_errors,
        oms_order_total,
        oms_order_status,
        oms_created_at,
        oms_business_date,
        pos_source_file,
        oms_source_file,
        oms_source_line,
        order_key
    from reconciliation
)

select * from final
