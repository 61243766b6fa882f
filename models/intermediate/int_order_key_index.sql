-- Which delivery mentions which order number: one row per delivery and key, for every
-- delivery in the raw layer (superseded versions included). An incremental build reads
-- it to find the few older deliveries that share an order number with today's, so it
-- reads those deliveries instead of parsing all of history. The key is kept as its
-- 64-bit hash: a lookup over a month of deliveries then compares integers, and a
-- collision only makes a build read one delivery more. key_kind as in
-- int_changed_order_keys. Incremental: a build appends the new deliveries' keys.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    pre_hook = "{{ delete_new_and_purged_loads() }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}

with

pos_lines as (
    select
        _load_id as load_id,
        {{ normalize_order_key('order_id') }} as order_key
    from {{ source('pos', 'pos_order_lines') }}
    {% if is_incremental() -%}
        where _load_id in ({{ changed_load_ids(['pos_orders'], ['new']) }})
    {%- endif %}
),

oms_rows as (
    select
        _load_id as load_id,
        {{ normalize_order_key('source_order_id') }} as source_order_key,
        {{ clean_text('oms_order_id') }} as oms_order_id
    from {{ source('oms', 'oms_orders') }}
    {% if is_incremental() -%}
        where _load_id in ({{ changed_load_ids(['oms_orders'], ['new']) }})
    {%- endif %}
),

keys as (
    select distinct
        'pos_orders' as file_kind,
        load_id,
        'pos_order' as key_kind,
        hash(order_key) as key_hash
    from pos_lines
    where order_key is not null
    union all
    select distinct
        'oms_orders' as file_kind,
        load_id,
        'oms_source' as key_kind,
        hash(source_order_key) as key_hash
    from oms_rows
    where source_order_key is not null
    union all
    select distinct
        'oms_orders' as file_kind,
        load_id,
        'oms_order' as key_kind,
        hash(oms_order_id) as key_hash
    from oms_rows
    where oms_order_id is not null
),

final as (
    select * from keys
)

select * from final
