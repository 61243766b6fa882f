{#- Building blocks of the validation layer. A check model builds, per record, a
    list of failures in one scan and unnests it, so adding a rule adds a list
    element, not another pass over the data. Whether a rule is enabled, and its
    severity and category, come from the order_validation_rules seed, joined in
    int_validation_failures: the SQL here only says when a record fails. -#}

{% macro failure(rule_id, condition, field_name, failed_value, message) -%}
    {#- The condition travels with the expression (before the separator) so that
        failures_of can skip building the list for records that pass every check. -#}
    {{ condition }}{{ check_separator() }}case
        when {{ condition }}
            then {
                'rule_id': '{{ rule_id }}',
                'field_name': '{{ field_name }}',
                'failed_value': cast({{ failed_value }} as string),
                'message': cast({{ message }} as string)
            }
    end
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
        "'" ~ field_name ~ " ''' || " ~ field_name ~ "_text || ''' is not " ~ expected ~ "'"
    ) }}
{%- endmacro %}

{% macro failures_of(checks, left_out=()) -%}
    {#- Most records pass every check: build the list only for those that fail one (null
        otherwise, which unnest turns into no rows). list_distinct drops the null elements
        (checks that passed); failures differ by rule_id. The checks of the rules in
        left_out (rules_without_snapshot) are not part of the query at all. -#}
    {%- set kept = [] -%}
    {%- for check in checks -%}
        {%- if check.split("'rule_id': '")[1].split("'")[0] not in left_out -%}
            {%- do kept.append(check) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set checks = kept -%}
    case
        when
            {%- for check in checks %}
                coalesce(({{ check.split(check_separator())[0] }}), false){{ " or" if not loop.last }}
            {%- endfor %}
            then list_distinct([
                {%- for check in checks %}
                    {{ check.split(check_separator())[1] }}{{ "," if not loop.last }}
                {%- endfor %}
            ])
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
