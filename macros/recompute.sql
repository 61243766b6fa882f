{#- The one recompute mechanism of incremental builds.

    The loader appends deliveries; a build recomputes only what the deliveries that changed
    since the last complete build touch. models/bookkeeping/build_scope says what that is.
    An incremental model states its grain in its config, under meta (dbt keeps custom keys
    there):

        {{ config(materialized='incremental', incremental_strategy='recompute',
                  meta={'grain': {'keys': ['pos_order'], 'files': ['pos_orders'],
                                  'key': 'order_key', 'load': 'load_id', 'final': 'purged_deliveries'}}) }}

      keys     the kinds of changed order keys whose rows it recomputes: pos_order (a POS
               order key), oms_source (an OMS row's source order key), oms_order (an OMS
               order id)
      files    the kinds of changed deliveries whose rows it recomputes whole
      key, load, date
               its own columns holding the order key, the delivery, the business date (a
               table without a key column is recomputed by business date)
      final    rows never deleted, as their raw rows were purged: purged_deliveries,
               purged_dates or purged_unmatched (macros/purged_results.sql)
      dates, rows
               a grain that a macro of its own says (its name): dates called with the
               date column (macros/channels.sql channel_dates), rows with the key column
               (channel_order_keys)
      new_deliveries
               the key index's grain: rows of new and purged deliveries (bookkeeping only)
      findings the error layer's grain instead (findings_condition); with key_is_delivered
               when the key column holds the order number as delivered, and with via and
               unique when the table keeps no delivery (rows identified through another model)

    Its body reads its inputs through in_recompute_scope(...), naming the input's columns;
    the strategy (get_incremental_recompute_sql) deletes the table's rows with the same
    macro and the table's own columns, then inserts the recomputed rows. The kinds come
    from the one grain, so the delete and the insert cannot drift apart.

    The change lists are pasted into the SQL as literals (literal_list): DuckDB skips a
    table's row groups by their min/max statistics for them, and not for the same
    conditions written with subqueries on build_scope once they are OR-ed, as the ones
    here are. Measured on a 31-day history (1M orders a day, the day-31 build's scope,
    3 runs each): the POS lines in scope from staging.stg_pos__order_lines (changed
    deliveries, or key-sharing deliveries and changed keys) 0.34-0.37 s with literal lists
    against 3.37-3.67 s with subqueries (every day's raw rows parsed); the orders in scope
    of int_order_reconciliation (31M rows; recomputed dates, or key dates and changed keys)
    0.12-0.15 s against 0.59-0.81 s. A single list alone is as fast either way (raw POS
    rows of the day: 0.016-0.025 s literal, 0.017-0.020 s subquery); those keep the
    literal form too, so that one way builds every condition.
-#}

{% macro scope_relation() %}
    {#- build_scope as a ref: called unconditionally by in_recompute_scope, so that dbt sees
        the dependency when it parses the model (no "-- depends_on" lines). A generic test,
        which reads it only when it runs (get_where_subquery), finds it in the graph: its
        model, built after build_scope, orders it. -#}
    {%- set scope_id = 'model.' ~ project_name ~ '.build_scope' -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- a unit test builds from scratch: it needs no scope, nor a fixture for it -#}
        {{ return('build_scope') }}
    {%- endif -%}
    {%- if execute and model.resource_type == 'test' and scope_id not in model.depends_on.nodes -%}
        {%- set node = graph.nodes[scope_id] -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endif -%}
    {{ return(ref('build_scope')) }}
{% endmacro %}

{% macro relation_of(name) %}
    {#- A model of this project as a ref, or, in a generic test that does not depend on it,
        as the relation the graph names (the same reasoning as scope_relation). -#}
    {%- set node_id = 'model.' ~ project_name ~ '.' ~ name -%}
    {%- if execute and model.resource_type == 'test' and node_id not in model.depends_on.nodes -%}
        {%- set node = graph.nodes[node_id] -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endif -%}
    {{ return(ref(name)) }}
{% endmacro %}

{% macro model_grain() %}
    {#- The grain of the model being built (its config's meta.grain), {} when it has none. -#}
    {%- set meta = config.get('meta') if execute else none -%}
    {{ return((meta or {}).get('grain', {})) }}
{% endmacro %}

{% macro literal_list(relation, expression, condition, default='null') %}
    {#- The values of expression over the rows of relation that meet condition, as a SQL
        list (', '-separated), or default when there are none, at parse time, and when the
        relation is not in the database (the first build, a unit test's fixture). -#}
    {%- set query -%}
        select coalesce(string_agg(distinct {{ expression }}, ', '), '{{ default }}')
        from {{ relation }} where {{ condition }}
    {%- endset -%}
    {{ return(database_value(relation, query, default)) }}
{% endmacro %}

{% macro scope_list(part, expression, condition='true', dates=false) %}
    {#- literal_list over one part of build_scope; dates=true renders date literals. -#}
    {%- set value = date_literal_of(expression) if dates else 'cast(' ~ expression ~ ' as string)' -%}
    {{ return(literal_list(scope_relation(), value, "part = '" ~ part ~ "' and " ~ condition)) }}
{% endmacro %}

{% macro sql_list(values) -%}
    '{{ values | join("', '") }}'
{%- endmacro %}

{% macro recompute_all() %}
    {#- True when incremental models rebuild every row: the rules seed, a code list or a
        reference snapshot changed since the last complete build (build_settings). -#}
    {%- set scope = scope_relation() -%}
    {%- set query = "select coalesce(bool_or(recompute_all), true) from " ~ scope ~ " where part = 'settings'" -%}
    {{ return(database_value(scope, query, true)) }}
{% endmacro %}

{% macro changed_load_ids(file_kinds, changes=('new', 'superseded')) %}
    {#- The changed deliveries of the given kinds ("null" when none). -#}
    {{ return(scope_list('delivery', 'load_id',
        'file_kind in (' ~ sql_list(file_kinds) ~ ') and change_kind in (' ~ sql_list(changes) ~ ')')) }}
{% endmacro %}

{% macro changed_load_dates(file_kinds) %}
    {#- The business dates of the changed deliveries of the given kinds, as date literals. -#}
    {{ return(scope_list('delivery', 'business_date',
        'file_kind in (' ~ sql_list(file_kinds) ~ ') and business_date is not null', dates=true)) }}
{% endmacro %}

{% macro key_load_ids(indexed_as, key_kinds) %}
    {#- The deliveries that mention, as key kind indexed_as, a key changed as one of key_kinds. -#}
    {{ return(scope_list('key_delivery', 'load_id',
        "key_kind = '" ~ indexed_as ~ "' and changed_key_kind in (" ~ sql_list(key_kinds) ~ ")")) }}
{% endmacro %}

{% macro key_load_dates(key_kinds) %}
    {#- The business dates of the POS deliveries that mention a key changed as one of
        key_kinds: the dates of the orders recomputed. -#}
    {{ return(scope_list('key_delivery', 'business_date',
        "key_kind = 'pos_order' and changed_key_kind in (" ~ sql_list(key_kinds) ~ ") and business_date is not null",
        dates=true)) }}
{% endmacro %}

{% macro key_only_load_ids(indexed_as, key_kinds, file_kinds) %}
    {#- key_load_ids without the changed deliveries of file_kinds, read whole anyway. -#}
    {{ return(load_ids_outside(key_load_ids(indexed_as, key_kinds), changed_load_ids(file_kinds))) }}
{% endmacro %}

{% macro load_ids_outside(load_ids, within) %}
    {#- The items of the literal list load_ids not in the literal list within ("null" when none). -#}
    {%- set skip = within.split(', ') -%}
    {%- set outside = [] -%}
    {%- for load_id in load_ids.split(', ') if load_id != 'null' and load_id not in skip -%}
        {%- do outside.append(load_id) -%}
    {%- endfor -%}
    {{ return(outside | join(', ') if outside else 'null') }}
{% endmacro %}

{% macro same_day_load_ids(file_kind, indexed_as, key_kinds) %}
    {#- The current deliveries of file_kind on the business dates of the deliveries a build
        reads (changed ones, and those that mention a changed key): whole days, for the rules
        over a store's or customer's day. -#}
    {%- set read = load_ids_outside(changed_load_ids([file_kind]), 'null') ~ ', '
        ~ load_ids_outside(key_load_ids(indexed_as, key_kinds), 'null') -%}
    {%- set dates = scope_list('version', 'business_date', 'load_id in (' ~ read ~ ')', dates=true) -%}
    {{ return(scope_list('version', 'load_id',
        "is_current_version and file_kind = '" ~ file_kind ~ "' and business_date in (" ~ dates ~ ")")) }}
{% endmacro %}

{% macro purged_load_ids(superseded_too=false) %}
    {#- The current deliveries whose raw rows were purged ("null" when none): their results
        are final. superseded_too: every purged version (the raw layer holds none of them). -#}
    {{ return(scope_list('version', 'load_id', 'is_purged' ~ ('' if superseded_too else ' and is_current_version'))) }}
{% endmacro %}

{% macro purged_through() %}
    {#- The last business date whose POS or OMS files were purged, as a date literal. -#}
    {%- set scope = scope_relation() -%}
    {%- set query -%}
        select {{ date_literal_of("coalesce(max(business_date), date '0001-01-01')") }}
        from {{ scope }} where part = 'version' and is_purged and file_kind in ('pos_orders', 'oms_orders')
    {%- endset -%}
    {{ return(database_value(scope, query, "date '0001-01-01'")) }}
{% endmacro %}

{% macro date_literal_of(date_expression) %}
    {#- SQL that renders a date as a SQL date literal (date 'YYYY-MM-DD'). -#}
    'date ' || chr(39) || {{ date_expression }} || chr(39)
{%- endmacro %}

{% macro changed_rows_condition(key_column=none, key_kinds=(), load_column=none, file_kinds=(), indexed_as=none, date_column=none) %}
    {#- The rows a build recomputes: those of changed deliveries (load_column, file_kinds),
        and those whose order a changed delivery mentions as one of key_kinds (key_column).
        indexed_as (the kind the input's key is indexed as) also restricts the key part to the
        deliveries that mention a changed key, as a literal list: a view over the raw layer
        then parses those deliveries only. date_column restricts it to the business dates of
        the POS deliveries that mention a changed key (an order table then skips the row
        groups of other days); with pos_order among key_kinds, the dates of changed POS
        deliveries are taken whole (every order of such a date is in the changed file).
        date_column without key_column: every row of those dates. One line. -#}
    {%- set parts = [] -%}
    {%- if load_column and file_kinds -%}
        {%- do parts.append(load_column ~ ' in (' ~ changed_load_ids(file_kinds) ~ ')') -%}
    {%- endif -%}
    {%- if key_column -%}
        {%- set key_part = key_column ~ ' in (select order_key from ' ~ scope_relation()
            ~ " where part = 'key' and key_kind in (" ~ sql_list(key_kinds) ~ "))" -%}
        {%- set key_loads = none -%}
        {%- if indexed_as and load_column -%}
            {%- set key_loads = key_only_load_ids(indexed_as, key_kinds, file_kinds) -%}
            {%- set key_part = '(' ~ load_column ~ ' in (' ~ key_loads ~ ') and ' ~ key_part ~ ')' -%}
        {%- endif -%}
        {%- set key_dates = none -%}
        {%- if date_column -%}
            {%- set key_dates = key_load_dates(key_kinds) -%}
            {%- if 'pos_order' in key_kinds -%}
                {%- set whole_dates = changed_load_dates(['pos_orders']) -%}
                {%- if whole_dates != 'null' -%}
                    {%- do parts.append(date_column ~ ' in (' ~ whole_dates ~ ')') -%}
                    {%- set key_dates = load_ids_outside(key_dates, whole_dates) -%}
                {%- endif -%}
            {%- endif -%}
            {%- set key_part = '(' ~ date_column ~ ' in (' ~ key_dates ~ ') and ' ~ key_part ~ ')' -%}
        {%- endif -%}
        {%- if key_loads != 'null' and key_dates != 'null' -%}
            {%- do parts.append(key_part) -%}
        {%- endif -%}
    {%- elif date_column -%}
        {%- do parts.append(date_column ~ ' in (' ~ key_load_dates(key_kinds) ~ ')') -%}
    {%- endif -%}
    ({{ parts | join(' or ') if parts else 'false' }})
{%- endmacro %}

{% macro findings_condition(key='order_key', key_is_delivered=false) %}
    {#- The findings a build recomputes (rows with source_system, load_id, rule_id and an
        order key): every file rejection, ignored file and reference finding, and the POS
        and OMS findings of the rows their check models recomputed (their grains). -#}
    {%- set pos_key = normalize_order_key(key) if key_is_delivered else key -%}
    (
        rule_id in ('file_rejected', 'file_ignored')
        or source_system not in ('POS', 'OMS')
        or (source_system = 'POS' and {{ changed_rows_condition(
            pos_key, ['pos_order'], 'load_id', ['pos_orders'], 'pos_order'
        ) }})
        or (source_system = 'OMS' and {{ changed_rows_condition(
            'order_id', ['oms_order'], 'load_id', ['oms_orders'], 'oms_order'
        ) }})
    )
{%- endmacro %}

{% macro grain_condition(grain, key=none, load=none, date=none, indexed_as=none) %}
    {#- The rows of a relation with the given columns that a build recomputes at grain. -#}
    {%- if grain.get('findings') -%}
        {{ return(findings_condition(key or grain.get('key', 'order_key'), grain.get('key_is_delivered', false))) }}
    {%- endif -%}
    {%- if grain.get('rows') -%}
        {#- a grain whose rows a macro of its own says (its name), from the key column -#}
        {{ return(context[grain.rows](key or grain.key, date or grain.date)) }}
    {%- endif -%}
    {%- if grain.get('dates') -%}
        {#- a grain of business dates only, whose set a macro of its own says (its name) -#}
        {{ return(context[grain.dates](date or grain.date)) }}
    {%- endif -%}
    {{ return(changed_rows_condition(
        key_column=key, key_kinds=grain.get('keys', []), load_column=load,
        file_kinds=grain.get('files', []), indexed_as=indexed_as, date_column=date
    )) }}
{% endmacro %}

{% macro in_recompute_scope(key=none, load=none, date=none, indexed_as=none, grain=none) %}
    {#- In a model's body: the rows of an input (its key, delivery and business date columns
        named) that this build recomputes at the model's grain, as a condition; true on a
        full build, when everything is recomputed, and in a full refresh. -#}
    {%- set scope = scope_relation() -%}
    {%- set grain = grain or model_grain() -%}
    {%- if not execute or not is_incremental() or flags.FULL_REFRESH or recompute_all() -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(grain_condition(grain, key, load, date, indexed_as)) }}
{% endmacro %}

{% macro recomputed_rows_of_table(grain) %}
    {#- The rows of an incremental table (its own columns, from its grain) that the build
        recomputes, final rows excepted: what the recompute strategy deletes. The key index
        (new_deliveries) is part of build_scope's making: its rows go by delivery, read from
        the bookkeeping tables (macros/bookkeeping.sql). -#}
    {%- if grain.get('new_deliveries') -%}
        {{ return(grain.load ~ ' in (' ~ new_delivery_ids(['new']) ~ ') or ' ~ grain.load ~ ' in (' ~ purged_version_ids() ~ ')') }}
    {%- endif -%}
    {%- if recompute_all() -%}
        {%- set condition = 'true' -%}
    {%- elif grain.get('via') -%}
        {%- set condition = grain.unique ~ ' in (select ' ~ grain.unique ~ ' from ' ~ ref(grain.via)
            ~ ' where ' ~ grain_condition(grain) ~ ')' -%}
    {%- elif grain.get('findings') -%}
        {%- set condition = grain_condition(grain) -%}
    {%- else -%}
        {%- set condition = grain_condition(
            grain, key=grain.get('key'), load=grain.get('load'), date=grain.get('date')) -%}
    {%- endif -%}
    {%- set final = final_rows_condition(grain) -%}
    {{ return(condition ~ (' and not coalesce(' ~ final ~ ', false)' if final else '')) }}
{% endmacro %}

{% macro final_rows_condition(grain) %}
    {#- The rows a build never deletes, for the grain's final setting (purged_results.sql). -#}
    {%- set final = grain.get('final') -%}
    {%- if final == 'purged_deliveries' -%}
        {{ return(grain.load ~ ' in (' ~ purged_load_ids() ~ ')') }}
    {%- elif final == 'purged_dates' -%}
        {{ return(frozen_date_condition(grain.date)) }}
    {%- elif final == 'purged_unmatched' -%}
        {{ return(purged_rows_still_unmatched()) }}
    {%- elif final -%}
        {{ exceptions.raise_compiler_error("grain final '" ~ final ~ "': use purged_deliveries, purged_dates or purged_unmatched") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{% macro get_incremental_recompute_sql(arg_dict) %}
    {#- The recompute strategy: delete the rows the build recomputes (the model's grain),
        insert the recomputed ones (the model's query, already in the temp relation). -#}
    {%- set grain = model_grain() -%}
    {%- if not grain -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'recompute' needs a grain: config(meta={'grain': {...}}), see macros/recompute.sql") }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ recomputed_rows_of_table(grain) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{% macro incremental_models(with_final=false) %}
    {#- The project's incremental models, from the graph (with_final: those whose grain
        keeps final rows of purged deliveries). -#}
    {%- set names = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.config.materialized == 'incremental' -%}
        {%- if not with_final or (node.config.meta.get('grain') or {}).get('final') -%}
            {%- do names.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{% endmacro %}

{% macro database_value(relation, query, default) %}
    {#- The first value of a query on relation, or default at parse time and when the
        relation is not in the database (the first build, a unit test's fixture). -#}
    {%- if not execute or not is_database_relation(relation) -%}{{ return(default) }}{%- endif -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}

{% macro is_database_relation(relation) %}
    {#- The relation exists in the database (false for a unit test's fixture, which has no schema). -#}
    {%- if relation is string or relation.schema is none or relation.identifier is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(load_relation(relation) is not none) }}
{% endmacro %}

{% macro unreflected_load_ids(file_kinds) %}
    {#- The current deliveries of file_kinds that the marts do not reflect yet, read live from
        the manifest and audit.reflected_loads ("null" when none; every current one before
        the first complete build). -#}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.stg_loader__file_versions'] -%}
    {%- set versions = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {{ return(literal_list(versions, 'cast(load_id as string)',
        'is_current_version and file_kind in (' ~ sql_list(file_kinds) ~ ')'
        ~ ' and load_id not in (select load_id from ' ~ audit_schema() ~ '.reflected_loads)')) }}
{% endmacro %}
