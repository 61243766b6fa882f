-- OMS orders that claim to come from the POS but match no POS order loaded so far
-- (contract section 7). The public face of int_oms_unmatched_orders, which a build
-- updates incrementally: a view, so that BI tools and dbt show read every row.
{{ config(materialized = 'view') }}

with

unmatched as (
    select * from {{ ref('int_oms_unmatched_orders') }}
),

final as (
    select
        record_id,
        load_id,
        oms_order_id,
        source_order_id,
        source_order_key,
        store_id,
        order_status,
        order_total,
        currency,
        created_at,
        business_date,
        source_file,
        source_line,
        has_validation_errors
    from unmatched
)

select * from final
