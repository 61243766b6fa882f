-- What was handed to the OMS: every order version the exporter wrote into a batch file
-- (raw.handoff_log), with where and when, and whether it is still what the platform says
-- about the order. A view, so it shows the exporter's latest runs without a build; the
-- status compares with rpt_order_handoff as of the last build.
{{ config(materialized = 'view') }}

with

exports as (
    select * from {{ ref('stg_handoff__exports') }}
),

orders as (
    select
        handoff_id,
        content_hash
    from {{ ref('rpt_order_handoff') }}
),

final as (
    select
        exports.handoff_id,
        exports.version,
        exports.record_type,
        exports.channel,
        exports.order_id,
        exports.business_date,
        exports.line_count,
        exports.order_total,
        exports.content_hash,
        exports.batch_file,
        exports.target,
        exports.run_id,
        -- a timestamp without a zone on Spark, as the raw Parquet lands it: the contract type
        cast(exports.exported_at as timestamp) as exported_at,
        case
            when not exports.is_latest_version then 'superseded'
            -- a corrected file dropped the order or made it fail validation
            when orders.handoff_id is null then 'withdrawn'
            when exports.content_hash = orders.content_hash then 'current'
            else 'amendment_due'
        end as version_status
    from exports
    left join orders on exports.handoff_id = orders.handoff_id
)

select * from final
