-- The deliveries that changed since the last complete build: current versions the
-- marts do not reflect yet ("new"), and reflected versions that are no longer
-- current ("superseded" by a correction). Incremental models recompute only the
-- orders these deliveries touch.
with

versions as (
    select * from {{ ref('stg_loader__file_versions') }}
),

reflected as (
    select * from {{ ref('stg_audit__reflected_loads') }}
),

new_loads as (
    select
        versions.load_id,
        versions.file_name,
        versions.file_kind,
        versions.business_date,
        'new' as change_kind
    from versions
    anti join reflected on versions.load_id = reflected.load_id
    where versions.is_current_version
),

superseded_loads as (
    select
        versions.load_id,
        versions.file_name,
        versions.file_kind,
        versions.business_date,
        'superseded' as change_kind
    from versions
    inner join reflected on versions.load_id = reflected.load_id
    where not versions.is_current_version
),

final as (
    select * from new_loads
    union all
    select * from superseded_loads
)

select * from final
