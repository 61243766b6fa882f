-- What was sent to whom: every notification the sender delivered, with where it went and
-- whether it still says what the marts say. A view, so it shows the sender's latest
-- sends without a build; the status compares the send with rpt_outbound_notifications as
-- of the last build.
{{ config(materialized = 'view') }}

with

sent as (
    select * from {{ ref('stg_notify__notifications_sent') }}
),

notifications as (
    select * from {{ ref('rpt_outbound_notifications') }}
),

final as (
    select
        sent.notification_id,
        sent.version,
        sent.recipient,
        sent.kind,
        sent.business_date,
        sent.item_count,
        sent.target,
        sent.csv_file,
        sent.summary_file,
        -- a timestamp without a zone on Spark, as the raw Parquet lands it: the contract type
        cast(sent.sent_at as timestamp) as sent_at,
        sent.run_id,
        sent.content_hash,
        case
            when not sent.is_latest_version then 'superseded'
            -- the findings were corrected, or the missing orders arrived: nothing to send now
            when notifications.notification_id is null then 'resolved'
            when sent.content_hash = notifications.content_hash then 'current'
            else 'amendment_due'
        end as send_status
    from sent
    left join notifications on sent.notification_id = notifications.notification_id
)

select * from final
