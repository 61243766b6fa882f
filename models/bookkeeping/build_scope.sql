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
    {{ union_ctes_by_name(
        [('part', 'string'), ('file_kind', 'string'), ('load_id', 'bigint'), ('business_date', 'date'),
         ('change_kind', 'string'), ('key_kind', 'string'), ('order_key', 'string'),
         ('changed_key_kind', 'string'), ('recompute_all', 'boolean'), ('file_name', 'string'),
         ('is_current_version', 'boolean'), ('is_purged', 'boolean'), ('size_bytes', 'bigint')],
        [('deliveries', ['part', 'file_kind', 'load_id', 'business_date', 'change_kind']),
         ('keys', ['part', 'file_kind', 'load_id', 'key_kind', 'order_key']),
         ('key_deliveries', ['part', 'file_kind', 'load_id', 'key_kind', 'changed_key_kind', 'business_date']),
         ('settings', ['part', 'recompute_all']),
         ('versions', ['part', 'file_kind', 'load_id', 'file_name', 'business_date', 'is_current_version',
                       'is_purged', 'size_bytes'])]
    ) }}
)

select * from final
