{#- Building blocks of the validation layer. A check model builds, per record, a
    list of failures in one scan and unnests it, so adding a rule adds a list
    element, not another pass over the data. Whether a rule is enabled, and its
    severity and category, come from the order_validation_rules seed, joined in
    int_validation_failures: the SQL here only says when a record fails. -#}

{% macro failure(rule_id, condition, field_name, failed_value, message) -%}
    {#- The condition travels with the expression (before the separator) so that
        failures_of can skip building the list for records that pass every check. -#}
    {{ condition }}{{ check_separator() }}{{ rule_id }}{{ check_separator() }}case
        when {{ condition }}
            then {{ failure_struct(rule_id, field_name, failed_value, message) }}
    end
{%- endmacro %}

{% macro failure_struct(rule_id, field_name, failed_value, message) %}
    {#- A failure as a struct: rule_id, field_name, failed_value and message. -#}
    {{ return(adapter.dispatch('failure_struct')(rule_id, field_name, failed_value, message)) }}
{% endmacro %}

{% macro default__failure_struct(rule_id, field_name, failed_value, message) -%}
    {
        'rule_id': '{{ rule_id }}',
        'field_name': '{{ field_name }}',
        'failed_value': cast({{ failed_value }} as string),
        'message': cast({{ message }} as string)
    }
{%- endmacro %}

{% macro spark__failure_struct(rule_id, field_name, failed_value, message) -%}
    named_struct(
        'rule_id', '{{ rule_id }}',
        'field_name', '{{ field_name }}',
        'failed_value', cast({{ failed_value }} as string),
        'message', cast({{ message }} as string)
    )
{%- endmacro %}

{% macro check_separator() %}{{ return(' /*check*/ ') }}{% endmacro %}

{% macro required(rule_id, field_name, column=none) -%}
    {%- set column = column or field_name -%}
    {{ failure(rule_id, column ~ ' is null', field_name, 'null', "'" ~ field_name ~ " is missing'") }}
{%- endmacro %}

{% macro well_formed(rule_id, field_name, expected) -%}
    {{ failure(
        rule_id,
        field_name ~ '_text is not null and ' ~ field_name ~ ' is null',
        field_name,
        field_name ~ '_text',
        "'" ~ field_name ~ " ' || chr(39) || " ~ field_name ~ "_text || chr(39) || ' is not " ~ expected ~ "'"
    ) }}
{%- endmacro %}

{% macro failures_of(checks, left_out=()) -%}
    {#- Most records pass every check: build the list only for those that fail one (null
        otherwise, which unnest turns into no rows). distinct_items drops the null elements
        (checks that passed); failures differ by rule_id. The checks of the rules in
        left_out (rules_without_snapshot) are not part of the query at all. -#}
    {%- set kept = [] -%}
    {%- for check in checks -%}
        {%- if check.split(check_separator())[1] not in left_out -%}
            {%- do kept.append(check) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set checks = kept -%}
    {%- set failures = [] -%}
    {%- for check in checks -%}
        {%- do failures.append(check.split(check_separator())[2]) -%}
    {%- endfor -%}
    case
        when
            {%- for check in checks %}
                coalesce(({{ check.split(check_separator())[0] }}), false){{ " or" if not loop.last }}
            {%- endfor %}
            then {{ distinct_items(failures) }}
    end
{%- endmacro %}

{% macro current_reference(snapshot_kind) -%}
    {#- One row per key of a reference snapshot, however often the file repeats it (the
        repeats are reported by int_reference_failures): the one reading of each snapshot
        that every check over it shares. -#}
    {%- set shapes = {
        'stores': (['store_id'], ['bool_or(coalesce(is_active, false)) as is_active']),
        'products': (['sku'], ['bool_or(coalesce(is_active, false)) as is_active']),
        'customers': (['customer_id'], [
            'bool_or(is_active) as is_active', 'max(credit_limit) as credit_limit',
            'min(delivery_weekdays) as delivery_weekdays'
        ]),
        'prices': (['sku'], ['min(unit_price) as list_price']),
        'stock': (['store_id', 'sku'], ['sum(on_hand) as on_hand']),
    } -%}
    {%- set keys, values = shapes[snapshot_kind] -%}
    select
        {{ keys | join(', ') }},
        {{ values | join(',\n        ') }}
    from {{ ref('stg_reference__' ~ snapshot_kind) }}
    where {{ keys | join(' is not null and ') }} is not null
    group by {{ keys | join(', ') }}
{%- endmacro %}

{% macro rules_without_snapshot() -%}
    {#- The rules whose reference snapshot (the seed's needs_snapshot) is not loaded, for
        failures_of to leave out: such a rule reports nothing until the snapshot arrives, and
        its predicate need not say so. Loading a snapshot changes the build settings
        (int_build_settings), so the next build rechecks every line with the rule in. -#}
    {%- set rules = ref('order_validation_rules') -%}
    {%- set query -%}
        select coalesce(string_agg(rules.rule_id, ','), '')
        from {{ rules }} as rules
        inner join {{ ref('int_reference_snapshots') }} as snapshots
            on rules.needs_snapshot = snapshots.snapshot_kind
        where not snapshots.is_loaded
    {%- endset -%}
    {{ return(database_value(rules, query, '').split(',')) }}
{%- endmacro %}

{% macro distinct_items(items) %}
    {#- The list of the distinct non-null values of the expressions items. -#}
    {{ return(adapter.dispatch('distinct_items')(items)) }}
{% endmacro %}

{% macro default__distinct_items(items) -%}
    list_distinct([
        {%- for item in items %}
        {{ item }}{{ "," if not loop.last }}
        {%- endfor %}
    ])
{%- endmacro %}

{% macro spark__distinct_items(items) -%}
    {#- array_distinct keeps one null -#}
    array_compact(array_distinct(array(
        {%- for item in items %}
        {{ item }}{{ "," if not loop.last }}
        {%- endfor %}
    )))
{%- endmacro %}

{% macro unnest_list(list) %}
    {#- One row per item of a list, in a select list (no row for an empty or null list). -#}
    {{ return(adapter.dispatch('unnest_list')(list)) }}
{% endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}
