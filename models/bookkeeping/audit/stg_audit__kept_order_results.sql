-- The reconciliation results of purged business dates' orders, kept before a build
-- reconciled such a date again (macros/purged_results.sql).
with

source as (
    select * from {{ source('audit', 'kept_order_results') }}
),

final as (
    select
        order_id as order_key,
        business_date,
        pos_source_file,
        recon_status,
        oms_order_id,
        oms_match_count,
        oms_order_total,
        oms_order_status,
        oms_created_at,
        oms_business_date,
        oms_source_file,
        oms_source_line,
        kept_at
    from source
)

select * from final
