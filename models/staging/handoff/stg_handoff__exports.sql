-- Every order version the hand-off exported to the OMS (raw.handoff_log), flagging the
-- latest version of each order.
with

source as (
    select * from {{ source('handoff', 'handoff_log') }}
),

final as (
    select
        handoff_id,
        version,
        record_type,
        channel,
        order_id,
        business_date,
        content_hash,
        line_count,
        order_total,
        batch_file,
        target,
        run_id,
        exported_at,
        version = max(version) over (partition by handoff_id) as is_latest_version
    from source
)

select * from final
