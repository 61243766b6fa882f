-- The order numbers the deliveries changed since the last complete build mention,
-- in their new and in their superseded versions, one row per delivery and key: the
-- only orders an incremental build recomputes. key_kind: pos_order (a POS order key),
-- oms_source (an OMS row's source order key), oms_order (an OMS order id). Read from
-- the raw layer, which keeps superseded versions, with the same key normalization as
-- staging; build_key_index appends the new deliveries' rows from here, so each
-- delivery's keys are parsed once. Empty when the build recomputes every row
-- (recompute_all): nothing reads it then.
-- A purged version that a correction supersedes has no raw rows left: its order numbers are
-- those the marts kept for its business date (audit.kept_order_results).

with

keys as (
    {{ raw_order_keys(new_delivery_ids()) }}
    union all
    select distinct
        'pos_orders' as file_kind,
        superseded.load_id,
        'pos_order' as key_kind,
        kept.order_key
    from {{ ref('stg_audit__kept_order_results') }} as kept
    inner join {{ ref('build_changed_deliveries') }} as superseded on kept.business_date = superseded.business_date
    where
        superseded.file_kind = 'pos_orders' and superseded.change_kind = 'superseded'
        and superseded.load_id in ({{ purged_version_ids() }})
),

final as (
    select
        file_kind,
        load_id,
        key_kind,
        order_key as changed_key
    from keys
    {%- if settings_changed() %}
        where false
    {%- endif %}
)

select * from final
