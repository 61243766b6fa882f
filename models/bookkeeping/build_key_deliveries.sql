-- The deliveries that mention an order number the build recomputes: one row per
-- delivery, the kind of key it mentions it as (key_kind, as in build_key_index)
-- and the kind of the changed key (changed_key_kind), with the delivery's business date.
-- An incremental build reads only these deliveries (and the new ones) of the staging
-- views, by their load ids, and only these dates of the order tables
-- (changed_rows_condition). Empty when the build recomputes every row.
-- The changed deliveries themselves are listed with their own key kinds, from
-- build_changed_keys: the build reads them whole, so the lookup in the key index
-- skips their rows, which would otherwise match every one of their own keys.

with

-- not made distinct: a key that two changed deliveries share only repeats a match,
-- which older_loads' distinct removes
changed as (
    select
        key_kind,
        {{ key_hash("changed_key") }} as key_hash
    from {{ ref('build_changed_keys') }}
),

older_loads as (
    select distinct
        key_index.file_kind,
        key_index.key_kind,
        changed.key_kind as changed_key_kind,
        key_index.load_id
    from {{ ref('build_key_index') }} as key_index
    inner join changed on key_index.key_hash = changed.key_hash
    -- ("not in (null)" keeps nothing: then no delivery changed and there is no key)
    where key_index.load_id not in ({{ new_delivery_ids() }})
),

changed_loads as (
    select distinct
        file_kind,
        key_kind,
        key_kind as changed_key_kind,
        load_id
    from {{ ref('build_changed_keys') }}
),

loads as (
    select * from older_loads
    union all
    select * from changed_loads
),

final as (
    select
        loads.*,
        versions.business_date
    from loads
    left join {{ ref('stg_loader__file_versions') }} as versions on loads.load_id = versions.load_id
)

select * from final
