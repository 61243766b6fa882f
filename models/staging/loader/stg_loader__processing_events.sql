-- Every step the loader recorded (raw.processing_log), with the run it belongs to.
with

source as (
    select * from {{ source('loader', 'processing_log') }}
),

final as (
    select
        event_id,
        run_id,
        event_at,
        event,
        file_name,
        load_id,
        row_count,
        seconds,
        detail,
        max(event_id) over () = max(event_id) over (partition by run_id) as is_latest_run
    from source
)

select * from final
