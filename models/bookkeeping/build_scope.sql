-- What this build recomputes, in one place: the deliveries that changed, the order keys
-- they mention, the older deliveries that mention those keys too, whether everything is
-- recomputed (the rules, a code list or a reference snapshot changed), and the versions
-- of every file (which are current, which purged: the results of purged files are final).
-- One row per fact, its kind in part. Incremental models read it through
-- in_recompute_scope (macros/recompute.sql) and the recompute strategy deletes what they
-- rewrite with the same macro, so what is deleted and what is inserted cannot differ.
-- A view: its parts are the small bookkeeping tables it names, read where used.
{{ config(materialized = 'view') }}

with

deliveries as (
    select
        'delivery' as part,
        file_kind,
        load_id,
        business_date,
        change_kind
    from {{ ref('build_changed_deliveries') }}
),

keys as (
    select
        'key' as part,
        file_kind,
        load_id,
        key_kind,
        changed_key as order_key
    from {{ ref('build_changed_keys') }}
),

key_deliveries as (
    select
        'key_delivery' as part,
        file_kind,
        load_id,
        key_kind,
        changed_key_kind,
        business_date
    from {{ ref('build_key_deliveries') }}
),

settings as (
    select
        'settings' as part,
        recompute_all
    from {{ ref('build_settings') }}
),

versions as (
    select
        'version' as part,
        file_kind,
        load_id,
        file_name,
        business_date,
        is_current_version,
        is_purged,
        size_bytes
    from {{ ref('stg_loader__file_versions') }}
),

final as (
    select * from deliveries
    union all by name
    select * from keys
    union all by name
    select * from key_deliveries
    union all by name
    select * from settings
    union all by name
    select * from versions
)

select * from final
