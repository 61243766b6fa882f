-- The rows of purged OMS deliveries that matched no POS order, kept at the first build
-- after their purge (macros/purged_results.sql).
with

source as (
    select * from {{ source('audit', 'kept_oms_rows') }}
),

final as (
    select
        record_id,
        load_id,
        oms_order_id,
        source_order_key,
        order_total,
        order_status,
        created_at,
        business_date,
        source_file,
        source_line,
        kept_at
    from source
)

select * from final
