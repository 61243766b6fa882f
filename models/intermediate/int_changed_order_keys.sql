-- The order numbers the deliveries changed since the last complete build mention,
-- in their new and in their superseded versions, one row per delivery and key: the
-- only orders an incremental build recomputes. key_kind: pos_order (a POS order key),
-- oms_source (an OMS row's source order key), oms_order (an OMS order id). Read from
-- the raw layer, which keeps superseded versions, with the same key normalization as
-- staging; int_order_key_index appends the new deliveries' rows from here, so each
-- delivery's keys are parsed once. Empty when the build recomputes every row
-- (recompute_all): nothing reads it then.
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_build_settings') }}
-- depends_on: {{ source('pos', 'pos_order_lines') }}
-- depends_on: {{ source('oms', 'oms_orders') }}

with

keys as (
    {{ raw_order_keys(changed_load_ids(['pos_orders', 'oms_orders'])) }}
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
