-- Which delivery mentions which order number: one row per delivery and key, for every
-- delivery in the raw layer (superseded versions included). An incremental build reads
-- it to find the few older deliveries that share an order number with today's, so it
-- reads those deliveries instead of parsing all of history. The key is kept as its
-- 64-bit hash: a lookup over a month of deliveries then compares integers, and a
-- collision only makes a build read one delivery more. key_kind as in
-- build_changed_keys. Incremental: a build appends the new deliveries' keys, taken
-- from build_changed_keys (parsed there already) unless that is empty because the
-- build recomputes every row.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    meta = {'grain': {'new_deliveries': true, 'files': ['pos_orders', 'oms_orders'], 'load': 'load_id'}}
) }}

with

keys as (
    {%- set new_deliveries = new_delivery_ids(['new']) %}
    {%- set changed_keys = ref('build_changed_keys') %}
    {%- set all_versions = 'select load_id from ' ~ ref('stg_loader__file_versions') %}
    {%- set recompute_everything = settings_changed() %}
    {%- if is_incremental() and not recompute_everything %}
        select
            file_kind,
            load_id,
            key_kind,
            changed_key as order_key
        from {{ changed_keys }}
        where load_id in ({{ new_deliveries }})
    {%- else %}
        {{ raw_order_keys(new_deliveries if is_incremental() else all_versions) }}
    {%- endif %}
),

final as (
    select
        file_kind,
        load_id,
        key_kind,
        {{ key_hash("order_key") }} as key_hash
    from keys
)

select * from final
