-- The audit trail in one relation (the name the order staging plan gives it):
-- every loader step (run started, file loaded with rows and seconds, repeat,
-- rejected with why, ignored, purged), every review decision made on the command line
-- (python -m recon_tools.review decide), and every dbt node of every recorded
-- invocation (model, test, seed: status, rows, seconds), in time order.
{{ config(materialized = 'view') }}

with

loader_events as (
    select
        'loader:' || event_id as event_key,
        event_at,
        -- a reviewer's decision made on the command line is logged beside the loader's steps
        case when event = 'review_decision' then 'review' else 'loader' end as component,
        run_id,
        event as step,
        file_name as subject,
        case
            when event in ('file_rejected', 'file_unreadable') then 'error'
            when event in ('file_ignored', 'file_skipped') then 'warn'
            else 'success'
        end as status,
        row_count,
        seconds,
        detail
    from {{ ref('stg_loader__processing_events') }}
),

dbt_results as (
    select
        'dbt:' || invocation_id || ':' || node_id as event_key,
        recorded_at as event_at,
        'dbt' as component,
        invocation_id as run_id,
        resource_type as step,
        node_name as subject,
        status,
        rows_affected as row_count,
        execution_seconds as seconds,
        message as detail
    from {{ ref('stg_audit__dbt_run_results') }}
),

final as (
    select * from loader_events
    union all
    select * from dbt_results
)

select * from final
