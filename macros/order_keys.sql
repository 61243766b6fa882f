{#- Which raw column is which order key. The incremental bookkeeping reads the keys of
    given deliveries straight from the raw layer (superseded versions included), with the
    normalization the staging views use. -#}

{% macro raw_order_keys(load_ids) %}
    {#- One row per delivery, key kind and key of the listed deliveries (a SQL list of load
        ids): pos_order (a POS order key), oms_source (an OMS row's source order key) and
        oms_order (an OMS order id, trimmed but not upper-cased, as in staging). -#}
    {%- set keys = [
        {'file_kind': 'pos_orders', 'raw': source('pos', 'pos_order_lines'), 'key_kind': 'pos_order',
         'key': normalize_order_key('order_id')},
        {'file_kind': 'oms_orders', 'raw': source('oms', 'oms_orders'), 'key_kind': 'oms_source',
         'key': normalize_order_key('source_order_id')},
        {'file_kind': 'oms_orders', 'raw': source('oms', 'oms_orders'), 'key_kind': 'oms_order',
         'key': clean_text('oms_order_id')},
    ] -%}
    {%- for k in keys %}
        {%- if not loop.first %}
    union all
        {%- endif %}
    select distinct
        '{{ k.file_kind }}' as file_kind,
        _load_id as load_id,
        '{{ k.key_kind }}' as key_kind,
        {{ k.key }} as order_key
    from {{ k.raw }}
    where _load_id in ({{ load_ids }}) and {{ k.key }} is not null
    {%- endfor %}
{% endmacro %}
