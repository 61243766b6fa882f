{#- Which raw column is which order key. The incremental bookkeeping reads the keys of
    given deliveries straight from the raw layer (superseded versions included), with the
    normalization the staging views use. -#}

{% macro raw_order_keys(load_ids) %}
    {#- One row per delivery, key kind and key of the listed deliveries (a SQL list of load
        ids): pos_order (a POS order key), oms_source (an OMS row's source order key) and
        oms_order (an OMS order id). -#}
    select distinct
        'pos_orders' as file_kind,
        _load_id as load_id,
        'pos_order' as key_kind,
        {{ normalize_order_key('order_id') }} as order_key
    from {{ source('pos', 'pos_order_lines') }}
    where _load_id in ({{ load_ids }}) and {{ normalize_order_key('order_id') }} is not null
    union all
    select distinct
        'oms_orders' as file_kind,
        _load_id as load_id,
        'oms_source' as key_kind,
        {{ normalize_order_key('source_order_id') }} as order_key
    from {{ source('oms', 'oms_orders') }}
    where _load_id in ({{ load_ids }}) and {{ normalize_order_key('source_order_id') }} is not null
    union all
    select distinct
        'oms_orders' as file_kind,
        _load_id as load_id,
        'oms_order' as key_kind,
        {{ clean_text('oms_order_id') }} as order_key
    from {{ source('oms', 'oms_orders') }}
    where _load_id in ({{ load_ids }}) and {{ clean_text('oms_order_id') }} is not null
{% endmacro %}
