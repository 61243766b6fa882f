{#- Literal lists for the bookkeeping models, which build_scope is made of and so cannot
    read: the same facts, read from the bookkeeping tables themselves. Each ref is made
    unconditionally, so dbt sees it when it parses the model. -#}

{% macro new_delivery_ids(changes=('new', 'superseded')) %}
    {#- The changed POS and OMS deliveries ("null" when none), from build_changed_deliveries. -#}
    {{ return(literal_list(ref('build_changed_deliveries'), 'cast(load_id as string)',
        "file_kind in ('pos_orders', 'oms_orders') and change_kind in (" ~ sql_list(changes) ~ ")")) }}
{% endmacro %}

{% macro settings_changed() %}
    {#- build_settings.recompute_all: every row is recomputed, no key is looked up. -#}
    {%- set relation = ref('build_settings') -%}
    {{ return(database_value(relation, 'select bool_or(recompute_all) from ' ~ relation, true)) }}
{% endmacro %}

{% macro purged_version_ids() %}
    {#- Every purged version, current or superseded ("null" when none). -#}
    {{ return(literal_list(ref('stg_loader__file_versions'), 'cast(load_id as string)', 'is_purged')) }}
{% endmacro %}
