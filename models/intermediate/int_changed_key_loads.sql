-- The deliveries that mention an order number the build recomputes: one row per
-- delivery, the kind of key it mentions it as (key_kind, as in int_order_key_index)
-- and the kind of the changed key (changed_key_kind). An incremental build reads only
-- these deliveries (and the new ones) of the staging views, by their load ids
-- (changed_rows_condition). Empty when the build recomputes every row.
-- depends_on: {{ ref('int_build_settings') }}

with

final as (
    select distinct
        key_index.file_kind,
        key_index.key_kind,
        changed.key_kind as changed_key_kind,
        key_index.load_id
    from {{ ref('int_order_key_index') }} as key_index
    inner join {{ ref('int_changed_order_keys') }} as changed
        on key_index.order_key = changed.changed_key
)

select * from final
