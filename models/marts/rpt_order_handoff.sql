-- The orders to hand to the OMS: one row per validated channel order (web, EDI, API, manual;
-- the POS's orders reach the OMS by themselves), with its header, its line count, the hash
-- of what the OMS import file says about it (int_order_handoff), and whether that was
-- exported (raw.handoff_log): new, amended (exported with another hash) or exported. A view,
-- so the status follows the exporter's runs without a build. python -m recon_tools.handoff
-- writes the new and amended ones into the outbox (docs/handoff.md).
{{ config(materialized = 'view') }}

with

orders as (
    select * from {{ ref('int_order_handoff') }}
),

exports as (
    select * from {{ ref('stg_handoff__exports') }}
    where is_latest_version
),

final as (
    select
        orders.*,
        exports.version as last_exported_version,
        exports.content_hash as last_exported_hash,
        -- a timestamp without a zone on Spark, as the raw Parquet lands it: the contract type
        cast(exports.exported_at as timestamp) as last_exported_at,
        exports.batch_file as last_batch_file,
        case
            when exports.handoff_id is null then 'new'
            when exports.content_hash = orders.content_hash then 'exported'
            else 'amended'
        end as export_status
    from orders
    left join exports on orders.handoff_id = exports.handoff_id
)

select * from final
