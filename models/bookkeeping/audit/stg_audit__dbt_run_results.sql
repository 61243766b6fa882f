-- One row per node of every recorded dbt invocation.
with

source as (
    select * from {{ source('audit', 'dbt_run_results') }}
),

final as (
    select
        invocation_id,
        run_started_at,
        node_id,
        resource_type,
        node_name,
        status,
        rows_affected,
        execution_seconds,
        message,
        recorded_at
    from source
)

select * from final
