-- The order numbers the deliveries changed since the last complete build mention,
-- in their new and in their superseded versions: the only orders an incremental
-- build recomputes. key_kind: pos_order (a POS order key), oms_source (an OMS
-- row's source order key), oms_order (an OMS order id). From the key index, which
-- keeps superseded versions' keys. Empty when the build recomputes every row
-- (recompute_all): nothing reads it then.
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_build_settings') }}

with

keys as (
    select distinct
        key_kind,
        order_key as changed_key
    from {{ ref('int_order_key_index') }}
    where load_id in ({{ changed_load_ids(['pos_orders', 'oms_orders']) }})
),

final as (
    select * from keys
    {%- if recompute_all() %}
        where false
    {%- endif %}
)

select * from final
