{#- Incremental builds. The loader appends deliveries; a build only recomputes what
    the deliveries that changed since the last complete build touch. What the marts
    reflect is recorded in audit.reflected_loads at the end of a successful build
    (record_build_state); int_load_changes compares it with the current versions. -#}

{% macro create_build_state_tables() %}
    {#- on-run-start: the audit schema and its tables, one statement at a time. -#}
    {%- set statements = [
        "create schema if not exists " ~ audit_schema(),
        "create table if not exists " ~ audit_schema() ~ ".reflected_loads ("
            ~ "load_id bigint not null, file_kind varchar, reflected_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".build_state ("
            ~ "state_key varchar not null, state_value varchar, updated_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".kept_order_results ("
            ~ "order_id varchar not null, business_date date not null, pos_source_file varchar, "
            ~ "recon_status varchar, oms_order_id varchar, oms_match_count integer, oms_order_total decimal(18, 2), "
            ~ "oms_order_status varchar, oms_created_at timestamp, oms_business_date date, oms_source_file varchar, "
            ~ "oms_source_line bigint, kept_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".kept_oms_rows ("
            ~ "record_id varchar not null, load_id bigint not null, oms_order_id varchar, source_order_key varchar, "
            ~ "order_total decimal(18, 2), order_status varchar, created_at timestamp, business_date date, "
            ~ "source_file varchar, source_line bigint, kept_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".dbt_run_results ("
            ~ "invocation_id varchar not null, run_started_at timestamp, node_id varchar, resource_type varchar, "
            ~ "node_name varchar, status varchar, rows_affected bigint, execution_seconds double, message varchar, "
            ~ "recorded_at timestamp not null)",
    ] -%}
    {%- if execute -%}
        {%- for statement in statements -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {#- dbt rolls the hooks' transaction back at the end: commit the DDL now. -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro incremental_models() %}
    {{ return([
        'int_order_key_index', 'int_pos_order_line_failures', 'int_oms_order_failures', 'int_pos_orders',
        'fct_order_reconciliation', 'fct_oms_unmatched_orders', 'int_reconciliation_daily',
        'int_validation_failures', 'fct_validation_errors', 'int_validation_error_history', 'rpt_review_queue'
    ]) }}
{% endmacro %}

{% macro record_build_state(results) %}
    {#- Advance the state only when every incremental model ran and succeeded in this
        invocation: a partial or failed run leaves it, so the next build redoes the delta. -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set done = [] -%}
        {%- set failed = [] -%}
        {%- for result in results -%}
            {%- if result.node.resource_type == 'model' -%}
                {%- if result.status == 'success' -%}
                    {%- do done.append(result.node.name) -%}
                {%- elif result.status in ('error', 'skipped') -%}
                    {%- do failed.append(result.node.name) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {#- (a filter, not a flag set inside a loop: Jinja keeps such a set inside the loop) -#}
        {%- set not_run = incremental_models() | reject('in', done) | list -%}
        {%- if failed | length == 0 and not_run | length == 0 -%}
            {%- set sql -%}
                delete from {{ audit_schema() }}.reflected_loads;
                insert into {{ audit_schema() }}.reflected_loads
                select load_id, file_kind, now() at time zone 'UTC'
                from {{ api.Relation.create(database=target.database, schema='staging', identifier='stg_loader__file_versions') }}
                where is_current_version;
                delete from {{ audit_schema() }}.build_state where state_key = 'settings_hash';
                insert into {{ audit_schema() }}.build_state
                select 'settings_hash', settings_hash, now() at time zone 'UTC'
                from {{ api.Relation.create(database=target.database, schema='intermediate', identifier='int_build_settings') }};
            {%- endset -%}
            {%- do run_query(sql) -%}
            {%- do adapter.commit() -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro changed_load_ids(file_kinds, changes=('new', 'superseded')) %}
    {#- Literal list of the changed deliveries of the given kinds ("null" when none), so
        DuckDB can skip the raw row groups of older loads by their min/max statistics. -#}
    {%- set query -%}
        select coalesce(string_agg(cast(load_id as varchar), ', ' order by load_id), 'null')
        from {{ ref('int_load_changes') }}
        where file_kind in ('{{ file_kinds | join("', '") }}') and change_kind in ('{{ changes | join("', '") }}')
    {%- endset -%}
    {{ return(database_value(ref('int_load_changes'), query, 'null')) }}
{% endmacro %}

{% macro recompute_all() %}
    {#- True when incremental models must rebuild every row: the rules seed, a code list or
        a reference snapshot changed since the last complete build. -#}
    {%- set relation = ref('int_build_settings') -%}
    {{ return(database_value(relation, 'select recompute_all from ' ~ relation, true)) }}
{% endmacro %}

{% macro changed_rows_condition(key_column=none, key_kinds=(), load_column=none, file_kinds=(), indexed_as=none, date_column=none) %}
    {#- The rows an incremental build recomputes: those of changed deliveries, and those
        whose order (or OMS order) a changed delivery mentions, in any file. One line.
        indexed_as (the key_kind of key_column in int_order_key_index) also restricts the
        second part to the deliveries that mention a changed key (int_changed_key_loads),
        as a literal list of load ids: a view over the raw layer then parses those
        deliveries only, not all of history. date_column (a POS business date) restricts it
        to the business dates of the POS deliveries that mention a changed key: an order
        table appended day by day then skips the row groups of other days. With pos_order
        among key_kinds, the dates of changed POS deliveries are taken whole, without the key
        lookup: every order of such a date has a line in the changed file, so all of them
        are recomputed anyway. Deliveries the
        first part takes whole are left out of that list, and the key part is dropped when
        none is left: the usual daily build then reads its new files without a key lookup.
        date_column without key_column: every row of those business dates (a table kept per
        date, or a test that reads the recomputed dates whole). -#}
    {%- set parts = [] -%}
    {%- if load_column -%}
        {%- do parts.append(load_column ~ ' in (' ~ changed_load_ids(file_kinds) ~ ')') -%}
    {%- endif -%}
    {%- if key_column -%}
        {%- set key_part = key_column ~ ' in (select changed_key from ' ~ ref('int_changed_order_keys')
            ~ " where key_kind in ('" ~ (key_kinds | join("', '")) ~ "'))" -%}
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

{% macro key_load_ids(indexed_as, key_kinds) %}
    {#- Literal list of the deliveries that mention, as key_kind indexed_as, an order number
        changed as one of key_kinds ("null" when none). -#}
    {%- set relation = ref('int_changed_key_loads') -%}
    {%- set query -%}
        select coalesce(string_agg(distinct cast(load_id as varchar), ', '), 'null')
        from {{ relation }}
        where key_kind = '{{ indexed_as }}' and changed_key_kind in ('{{ key_kinds | join("', '") }}')
    {%- endset -%}
    {{ return(database_value(relation, query, 'null')) }}
{% endmacro %}

{% macro key_only_load_ids(indexed_as, key_kinds, file_kinds) %}
    {#- key_load_ids without the changed deliveries of file_kinds, which an incremental
        build reads whole anyway ("null" when none is left). -#}
    {{ return(load_ids_outside(key_load_ids(indexed_as, key_kinds), changed_load_ids(file_kinds))) }}
{% endmacro %}

{% macro load_ids_outside(load_ids, within) %}
    {#- The ids of the literal list load_ids that are not in the literal list within, as a
        literal list ("null" when none): the deliveries a key filter still has to read (or
        the dates, for lists of date literals). -#}
    {%- set skip = within.split(', ') -%}
    {%- set outside = [] -%}
    {%- for load_id in load_ids.split(', ') if load_id != 'null' and load_id not in skip -%}
        {%- do outside.append(load_id) -%}
    {%- endfor -%}
    {{ return(outside | join(', ') if outside else 'null') }}
{% endmacro %}

{% macro changed_load_dates(file_kinds) %}
    {#- Literal list of the business dates of the changed deliveries of the given kinds
        ("null" when none), as SQL date literals. -#}
    {%- set query -%}
        select coalesce(string_agg(distinct {{ date_literal_of('business_date') }}, ', '), 'null')
        from {{ ref('int_load_changes') }}
        where file_kind in ('{{ file_kinds | join("', '") }}') and change_kind in ('new', 'superseded')
            and business_date is not null
    {%- endset -%}
    {{ return(database_value(ref('int_load_changes'), query, 'null')) }}
{% endmacro %}

{% macro key_load_dates(key_kinds) %}
    {#- Literal list of the business dates of the POS deliveries that mention an order number
        changed as one of key_kinds ("null" when none): the dates of the orders recomputed. -#}
    {%- set relation = ref('int_changed_key_loads') -%}
    {%- set query -%}
        select coalesce(string_agg(distinct {{ date_literal_of('business_date') }}, ', '), 'null')
        from {{ relation }}
        where key_kind = 'pos_order' and changed_key_kind in ('{{ key_kinds | join("', '") }}')
            and business_date is not null
    {%- endset -%}
    {{ return(database_value(relation, query, 'null')) }}
{% endmacro %}

{% macro date_literal_of(date_expression) %}
    {#- SQL that renders a date as a SQL date literal (date 'YYYY-MM-DD'): how the change
        lists hand business dates to the queries they are pasted into. -#}
    'date ' || chr(39) || {{ date_expression }} || chr(39)
{%- endmacro %}

{% macro same_day_load_ids(file_kind, indexed_as, key_kinds) %}
    {#- Literal list of the current deliveries of file_kind whose business date is that of a
        delivery an incremental build reads (a changed one, or one that mentions a changed
        key): the rows of whole days, for rules over a store's or customer's day. -#}
    {%- set versions = ref('stg_loader__file_versions') -%}
    {%- set query -%}
        select coalesce(string_agg(cast(load_id as varchar), ', '), 'null')
        from {{ versions }}
        where is_current_version and file_kind = '{{ file_kind }}' and business_date in (
            select business_date from {{ versions }}
            where
                load_id in ({{ changed_load_ids([file_kind]) }})
                or load_id in ({{ key_load_ids(indexed_as, key_kinds) }})
        )
    {%- endset -%}
    {{ return(database_value(versions, query, 'null')) }}
{% endmacro %}

{% macro delete_changed_rows(key_column=none, key_kinds=(), load_column=none, file_kinds=(), frozen=none, date_column=none) %}
    {#- pre-hook of an incremental model: remove the rows it is about to recompute. Rows
        whose raw data a retention purge removed are final (frozen) and never deleted. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where
        {%- if recompute_all() %} true
        {%- else %} {{ changed_rows_condition(key_column, key_kinds, load_column, file_kinds, date_column=date_column) }}
        {%- endif %}
        {%- if frozen %} and not coalesce(({{ frozen }}), false){% endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{% macro purged_load_ids(superseded_too=false) %}
    {#- Literal list of the current deliveries whose raw rows were purged ("null" when none):
        their rows are final. A purged version a correction superseded is not final (the
        correction replaces what it said); superseded_too lists those as well (every delivery
        the raw layer no longer holds). -#}
    {%- set versions = ref('stg_loader__file_versions') -%}
    {%- set query -%}
        select coalesce(string_agg(cast(load_id as varchar), ', ' order by load_id), 'null')
        from {{ versions }} where is_purged{{ '' if superseded_too else ' and is_current_version' }}
    {%- endset -%}
    {{ return(database_value(versions, query, 'null')) }}
{% endmacro %}

{% macro purged_through() %}
    {#- The last business date whose POS or OMS files were purged, as a SQL date literal
        (date '0001-01-01' when nothing was): orders up to it are final. -#}
    {%- set versions = ref('stg_loader__file_versions') -%}
    {%- set query -%}
        select {{ date_literal_of("coalesce(max(business_date), date '0001-01-01')") }}
        from {{ versions }} where is_purged and file_kind in ('pos_orders', 'oms_orders')
    {%- endset -%}
    {{ return(database_value(versions, query, "date '0001-01-01'")) }}
{% endmacro %}

{% macro only_changed_rows(key_column=none, key_kinds=(), load_column=none, file_kinds=(), indexed_as=none, date_column=none) %}
    {#- The model-side filter matching delete_changed_rows. -#}
    {%- if is_incremental() and not recompute_all() -%}
        where {{ changed_rows_condition(key_column, key_kinds, load_column, file_kinds, indexed_as, date_column) }}
    {%- endif -%}
{% endmacro %}

{% macro rule_thresholds(rule_ids) %}
    {#- One row with a column per rule parameter (the seed's threshold), to cross join. -#}
    select
        {%- for rule_id in rule_ids %}
        max(threshold) filter (where rule_id = '{{ rule_id }}') as {{ rule_id }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('order_validation_rules') }}
{% endmacro %}

{% macro delete_new_and_purged_loads() %}
    {#- pre-hook of int_order_key_index: a rerun after a failed build appends the same new
        deliveries again, so remove them first; and drop the keys of purged deliveries. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where load_id in ({{ changed_load_ids(['pos_orders', 'oms_orders'], ['new']) }})
            or load_id in ({{ purged_load_ids(superseded_too=true) }})
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{% macro audit_schema() %}
    {#- The audit schema, qualified with the project's database (the DuckDB file). -#}
    {{- return(adapter.quote(target.database) ~ '.audit') -}}
{% endmacro %}

{% macro and_changed_rows(key_column=none, key_kinds=(), load_column=none, file_kinds=(), indexed_as=none, date_column=none) %}
    {#- only_changed_rows for a query that already has a where clause. -#}
    {%- if is_incremental() and not recompute_all() -%}
        and {{ changed_rows_condition(key_column, key_kinds, load_column, file_kinds, indexed_as, date_column) }}
    {%- endif -%}
{% endmacro %}

{% macro database_value(relation, query, default) %}
    {#- The first value of a query on relation, or default at parse time and when the
        relation is not in the database (the first build, a unit test's fixture): how the
        build reads its change lists and settings into the SQL it compiles. -#}
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

{% macro current_loads(file_kind) %}
    {#- The current version of every file of a kind (the newest loaded delivery of each
        name, stg_loader__file_versions.is_current_version): the one rule by which a
        correction supersedes the version before it, imported the same way everywhere. -#}
    select
        load_id,
        business_date as file_business_date
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and file_kind = '{{ file_kind }}'
{% endmacro %}

{% macro scope_condition(scope) %}
    {#- The rows a build changed, for a data test's scope argument, which takes the
        arguments of the tested model's incremental filter (changed_rows_condition):
          {load_column: load_id, file_kinds: [pos_orders]}        rows of changed deliveries
          {key_column: order_id, key_kinds: [pos_order, ...]}    rows of the recomputed orders
        (both together: either). Every row ("true") on a full rebuild (recompute_all) and
        with --vars '{check_all_history: true}'. A standalone dbt test checks the last build's.
        With a date_column and no load_column (an order table), the test takes every row of
        the recomputed dates: a superset of the recomputed rows that a scan of those dates'
        row groups finds faster than a lookup of each row's key in the change list; exact:
        true keeps the recomputed rows only (a test that compares them with another set). -#}
    {%- if var('check_all_history', false) or recompute_all() -%}
        true
    {%- else -%}
        {%- set whole_dates = scope.get('date_column') and not scope.get('load_column') and not scope.get('exact') -%}
        {{ changed_rows_condition(
            none if whole_dates else scope.get('key_column'), scope.get('key_kinds', []), scope.get('load_column'),
            scope.get('file_kinds', []), scope.get('indexed_as'), scope.get('date_column')
        ) }}
    {%- endif -%}
{% endmacro %}

{% macro in_scope(model, scope) %}
    {#- The relation a scoped test reads: the model itself, or its rows in scope (scope_condition). -#}
    {%- if not scope -%}
        {{ return(model) }}
    {%- endif -%}
    {{ return('(select * from ' ~ model ~ ' where ' ~ scope_condition(scope) ~ ') as rows_in_scope') }}
{% endmacro %}

{% macro scope_dependencies(scope) %}
    {#- A scoped test reads the build's changes: name them to dbt when the test is parsed. -#}
    {%- if scope -%}
        -- depends_on: {{ ref('int_load_changes') }} {{ ref('int_changed_order_keys') }} {{ ref('int_build_settings') }} {{ ref('int_changed_key_loads') }}
    {%- endif %}
{% endmacro %}

{% macro build_timestamp() %}
    {#- This build's start (UTC) as a SQL timestamp: the time models stamp on what they record. -#}
    {{ return("cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)") }}
{% endmacro %}

{% macro lines_cte(file_kind, indexed_as, key_kinds) %}
    {#- The keyword of a check model's parsed-lines CTE, which its aggregates and its row
        checks read several times. Materialized (DuckDB's default for a CTE read more than once),
        the lines are parsed once but held in memory, at about 6.4 times their CSV bytes
        (measured: 1.55 GB for 248 MB of POS files, 15.9 GB for 2.48 GB); past the memory limit
        DuckDB spills them to disk and reads them back. 'not materialized' has every reader parse
        its own columns from the raw rows instead: more CPU, little memory. The build keeps them
        when the files it reads (all current ones, or on an incremental build the changed and
        key-sharing deliveries) would take at most half the memory limit; the var check_lines
        (auto, materialized, not materialized) overrides that. -#}
    {%- set choice = var('check_lines', 'auto') -%}
    {%- if choice in ('materialized', 'not materialized') -%}{{ return(choice) }}{%- endif -%}
    {%- if choice != 'auto' -%}
        {{ exceptions.raise_compiler_error(
            "var check_lines is '" ~ choice ~ "': use auto, materialized or not materialized") }}
    {%- endif -%}
    {%- set versions = ref('stg_loader__file_versions') -%}
    {%- if is_incremental() and not recompute_all() -%}
        {%- set in_scope = 'load_id in (' ~ changed_load_ids([file_kind]) ~ ', '
            ~ key_only_load_ids(indexed_as, key_kinds, [file_kind]) ~ ')' -%}
    {%- else -%}
        {%- set in_scope = "is_current_version and file_kind = '" ~ file_kind ~ "'" -%}
    {%- endif -%}
    {%- set query -%}
        with memory_limit as (
            select
                cast(split_part(current_setting('memory_limit'), ' ', 1) as double)
                * case split_part(current_setting('memory_limit'), ' ', 2)
                    when 'bytes' then 1 when 'KiB' then 2 ^ 10 when 'MiB' then 2 ^ 20
                    when 'GiB' then 2 ^ 30 when 'TiB' then 2 ^ 40 when 'PiB' then 2 ^ 50
                end as bytes
        )
        select coalesce(6.4 * sum(size_bytes) > 0.5 * any_value(memory_limit.bytes), false)
        from {{ versions }}
        cross join memory_limit
        where {{ in_scope }}
    {%- endset -%}
    {{ return('not materialized' if database_value(versions, query, false) else 'materialized') }}
{% endmacro %}
