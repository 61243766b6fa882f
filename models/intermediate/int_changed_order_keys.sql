-- The order numbers the deliveries changed since the last complete build mention,
-- in their new and in their superseded versions, one row per delivery and key: the
-- only orders an incremental build recomputes. key_kind: pos_order (a POS order key),
-- oms_source (an OMS row's source order key), oms_order (an OMS order id). Read from
-- the raw layer, which keeps superseded versions, with the same key normalization as
-- staging; int_order_key_index appends the new deliveries' rows from here, so each
-- delivery's keys are parsed once. Empty when the build recomputes every row
-- (recompute_all): nothing reads it then.
-- A purged version that a correction supersedes has no raw rows left: its order numbers are
-- those the marts kept for its business date (audit.kept_order_results).
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_build_settings') }}
-- depends_on: {{ source('pos', 'pos_order_lines') }}
-- depends_on: {{ source('oms', 'oms_orders') }}

with

keys as (
    {{ raw_order_keys(changed_load_ids(['pos_orders', 'oms_orders'])) }}
    union all
    select distinct
        'pos_orders' as file_kind,
        superseded.load_id,
        'pos_order' as key_kind,
        kept.order_id as order_key
    from {{ source('audit', 'kept_order_results') }} as kept
    inner join {{ ref('int_load_changes') }} as superseded on kept.business_date = superseded.business_date
    where
        superseded.file_kind = 'pos_orders' and superseded.change_kind = 'superseded'
        and superseded.load_id in ({{ purged_load_ids(superseded_too=true) }})
),

final as (
    select
        file_kind,
        load_id,
        key_kind,
        order_key as changed_key
    from keys
    {%- if recompute_all() %}
        where false
    {%- endif %}
)

select * from final
