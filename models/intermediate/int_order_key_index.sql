-- Which delivery mentions which order number: one row per delivery and key, for every
-- delivery in the raw layer (superseded versions included). An incremental build reads
-- it to find the few older deliveries that share an order number with today's, so it
-- reads those deliveries instead of parsing all of history. The key is kept as its
-- 64-bit hash: a lookup over a month of deliveries then compares integers, and a
-- collision only makes a build read one delivery more. key_kind as in
-- int_changed_order_keys. Incremental: a build appends the new deliveries' keys, taken
-- from int_changed_order_keys (parsed there already) unless that is empty because the
-- build recomputes every row.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    pre_hook = "{{ delete_new_and_purged_loads() }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}
-- depends_on: {{ source('pos', 'pos_order_lines') }}
-- depends_on: {{ source('oms', 'oms_orders') }}

with

keys as (
    {% if is_incremental() and not recompute_all() -%}
        select
            file_kind,
            load_id,
            key_kind,
            changed_key as order_key
        from {{ ref('int_changed_order_keys') }}
        where load_id in ({{ changed_load_ids(['pos_orders', 'oms_orders'], ['new']) }})
    {%- elif is_incremental() -%}
        {{ raw_order_keys(changed_load_ids(['pos_orders', 'oms_orders'], ['new'])) }}
    {%- else -%}
        {{ raw_order_keys('select load_id from ' ~ ref('stg_loader__file_versions')) }}
    {%- endif %}
),

final as (
    select
        file_kind,
        load_id,
        key_kind,
        hash(order_key) as key_hash
    from keys
)

select * from final
