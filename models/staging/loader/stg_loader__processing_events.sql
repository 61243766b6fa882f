-- Every step the loader recorded (raw.processing_log), flagging the latest ingest run.
with

source as (
    select * from {{ source('loader', 'processing_log') }}
),

latest_ingest as (
    select max_by(run_id, event_id) as run_id
    from source
    where event = 'run_started'
),

final as (
    select
        source.event_id,
        source.run_id,
        source.event_at,
        source.event,
        source.file_name,
        source.load_id,
        source.row_count,
        source.seconds,
        source.detail,
        source.run_id = latest_ingest.run_id as is_latest_run
    from source
    cross join latest_ingest
)

select * from final
