-- Every notification the sender delivered (raw.notification_log), flagging the latest
-- version of each.
with

source as (
    select * from {{ source('notify', 'notification_log') }}
),

final as (
    select
        notification_id,
        version,
        recipient,
        kind,
        business_date,
        content_hash,
        item_count,
        target,
        csv_file,
        summary_file,
        run_id,
        sent_at,
        version = max(version) over (partition by notification_id) as is_latest_version
    from source
)

select * from final
