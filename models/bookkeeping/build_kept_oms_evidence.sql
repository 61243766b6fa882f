-- What the marts kept of OMS files purged since, while a file's current version stays
-- purged: the OMS match a reopened date's order had (its kept result), and the rows that
-- matched no POS order then (kept from the unmatched OMS rows). int_order_reconciliation
-- matches POS orders against these as against loaded OMS rows (macros/purged_results.sql).
{{ config(materialized = 'view') }}

with

purged_oms_files as (
    select
        load_id,
        file_name
    from {{ ref('stg_loader__file_versions') }}
    where file_kind = 'oms_orders' and is_current_version and is_purged
),

kept_oms_rows as (
    select
        kept.source_order_key,
        kept.oms_order_id,
        kept.order_total,
        kept.order_status,
        kept.created_at,
        kept.business_date,
        kept.source_file,
        kept.source_line,
        cast(null as integer) as kept_match_count
    from {{ ref('stg_audit__kept_oms_rows') }} as kept
    semi join purged_oms_files on kept.load_id = purged_oms_files.load_id
),

kept_matches as (
    select
        kept.order_key as source_order_key,
        kept.oms_order_id,
        kept.oms_order_total as order_total,
        kept.oms_order_status as order_status,
        kept.oms_created_at as created_at,
        kept.oms_business_date as business_date,
        kept.oms_source_file as source_file,
        kept.oms_source_line as source_line,
        kept.oms_match_count as kept_match_count
    from {{ ref('stg_audit__kept_order_results') }} as kept
    semi join purged_oms_files on kept.oms_source_file = purged_oms_files.file_name
    where kept.recon_status = 'matched'
),

final as (
    select * from kept_matches
    union all
    select * from kept_oms_rows
)

select * from final
