-- The order numbers the deliveries changed since the last complete build mention,
-- in their new and in their superseded versions: the only orders an incremental
-- build recomputes. key_kind: pos_order (a POS order key), oms_source (an OMS
-- row's source order key), oms_order (an OMS order id). Read from the raw layer,
-- which keeps superseded versions, with the same key normalization as staging.
-- Empty when the build recomputes every row (recompute_all): nothing reads it then.
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_build_settings') }}
with

pos_lines as (
    select {{ normalize_order_key('order_id') }} as order_key
    from {{ source('pos', 'pos_order_lines') }}
    where _load_id in ({{ changed_load_ids(['pos_orders']) }})
),

oms_rows as (
    select
        {{ normalize_order_key('source_order_id') }} as source_order_key,
        {{ clean_text('oms_order_id') }} as oms_order_id
    from {{ source('oms', 'oms_orders') }}
    where _load_id in ({{ changed_load_ids(['oms_orders']) }})
),

keys as (
    select distinct
        'pos_order' as key_kind,
        order_key as changed_key
    from pos_lines
    where order_key is not null
    union all
    select distinct
        'oms_source' as key_kind,
        source_order_key as changed_key
    from oms_rows
    where source_order_key is not null
    union all
    select distinct
        'oms_order' as key_kind,
        oms_order_id as changed_key
    from oms_rows
    where oms_order_id is not null
),

final as (
    select * from keys
    {%- if recompute_all() %}
        where false
    {%- endif %}
)

select * from final
