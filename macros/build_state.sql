{#- The build's state. What the marts reflect is recorded in audit.reflected_loads at the
    end of a complete build (record_build_state); build_changed_deliveries compares it with
    the current versions, and build_scope says what the next build recomputes
    (macros/recompute.sql). -#}

{% macro build_state_tables_ddl() %}
    {#- The statements that create the audit schema and its tables when missing. -#}
    {%- set statements = [
        "create schema if not exists " ~ audit_schema(),
        "create table if not exists " ~ audit_schema() ~ ".reflected_loads ("
            ~ "load_id bigint not null, file_kind string, reflected_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".build_state ("
            ~ "state_key string not null, state_value string, updated_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".kept_order_results ("
            ~ "order_id string not null, business_date date not null, pos_source_file string, "
            ~ "recon_status string, oms_order_id string, oms_match_count integer, oms_order_total decimal(18, 2), "
            ~ "oms_order_status string, oms_created_at timestamp, oms_business_date date, oms_source_file string, "
            ~ "oms_source_line bigint, kept_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".kept_oms_rows ("
            ~ "record_id string not null, load_id bigint not null, oms_order_id string, source_order_key string, "
            ~ "order_total decimal(18, 2), order_status string, created_at timestamp, business_date date, "
            ~ "source_file string, source_line bigint, kept_at timestamp not null)",
        "create table if not exists " ~ audit_schema() ~ ".dbt_run_results ("
            ~ "invocation_id string not null, run_started_at timestamp, node_id string, resource_type string, "
            ~ "node_name string, status string, rows_affected bigint, execution_seconds double, message string, "
            ~ "recorded_at timestamp not null)",
    ] -%}
    {{ return(statements) }}
{% endmacro %}

{% macro create_build_state_tables() %}
    {#- on-run-start: the audit schema and its tables, one statement at a time. -#}
    {%- if execute -%}
        {%- for statement in build_state_tables_ddl() -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {#- dbt rolls the hooks' transaction back at the end: commit the DDL now. -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro build_is_complete(results) %}
    {#- Every incremental model (from the graph) ran and succeeded in this invocation, a
        build or a run. -#}
    {%- if not (execute and flags.WHICH in ('build', 'run')) -%}{{ return(false) }}{%- endif -%}
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
    {{ return(failed | length == 0 and not_run | length == 0) }}
{% endmacro %}

{% macro record_build_state(results) %}
    {#- Advance the state only when the build is complete (build_is_complete): a partial or
        failed run leaves it, so the next build redoes the delta. -#}
    {%- if build_is_complete(results) -%}
        {%- set sql -%}
            delete from {{ audit_schema() }}.reflected_loads;
            insert into {{ audit_schema() }}.reflected_loads
            {{ reflected_loads_now() }};
            delete from {{ audit_schema() }}.build_state where state_key = 'settings_hash';
            insert into {{ audit_schema() }}.build_state
            {{ settings_hash_now() }};
        {%- endset -%}
        {%- do run_query(sql) -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro spark__record_build_state(results) %}
    {#- record_build_state on Spark: the two tables written again (no DELETE on Parquet). -#}
    {%- if build_is_complete(results) -%}
        {%- do run_query('insert overwrite table audit.reflected_loads ' ~ reflected_loads_now()) -%}
        {%- set state = api.Relation.create(schema='audit', identifier='build_state', type='table') -%}
        {%- do run_query(spark_replace_table(state,
            "select * from audit.build_state where state_key <> 'settings_hash' union all " ~ settings_hash_now())) -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro reflected_loads_now() %}
    {#- The rows of audit.reflected_loads after a complete build: every current delivery. -#}
    select load_id, file_kind, {{ utc_now() }}
    from {{ state_relation('staging', 'stg_loader__file_versions') }}
    where is_current_version
{%- endmacro %}

{% macro state_relation(schema, identifier) %}
    {#- A relation of the project read by the end-of-build hooks (no database on Spark). -#}
    {{ return(api.Relation.create(database=(target.database if target.type == 'duckdb' else none),
        schema=schema, identifier=identifier)) }}
{% endmacro %}

{% macro settings_hash_now() %}
    {#- The build_state row of the settings this build used (build_settings). -#}
    select 'settings_hash', settings_hash, {{ utc_now() }}
    from {{ state_relation('bookkeeping', 'build_settings') }}
{%- endmacro %}

{% macro spark__create_build_state_tables() %}
    {#- create_build_state_tables on Spark: Parquet tables, whose NOT NULL Spark does not keep. -#}
    {%- if execute -%}
        {%- for statement in build_state_tables_ddl() -%}
            {%- set statement = statement.replace(' not null', '') -%}
            {%- do run_query(statement ~ (' using parquet' if statement.startswith('create table') else '')) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro rule_thresholds(rule_ids) %}
    {#- One row with a column per rule parameter (the seed's threshold), to cross join. -#}
    select
        {%- for rule_id in rule_ids %}
        max(threshold) filter (where rule_id = '{{ rule_id }}') as {{ rule_id }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('order_validation_rules') }}
{% endmacro %}

{% macro audit_schema() %}
    {#- The audit schema, qualified with the project's database (the DuckDB file; Spark
        names no database). -#}
    {{- return('audit' if target.type == 'spark' else adapter.quote(target.database) ~ '.audit') -}}
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
    {%- if target.type == 'spark' -%}
        {#- Spark has no such hint: it plans each reader of a CTE itself -#}
        {{ return('') }}
    {%- endif -%}
    {%- set choice = var('check_lines', 'auto') -%}
    {%- if choice in ('materialized', 'not materialized') -%}{{ return(choice) }}{%- endif -%}
    {%- if choice != 'auto' -%}
        {{ exceptions.raise_compiler_error(
            "var check_lines is '" ~ choice ~ "': use auto, materialized or not materialized") }}
    {%- endif -%}
    {%- set scope = scope_relation() -%}
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
        from {{ scope }}
        cross join memory_limit
        where part = 'version' and {{ in_scope }}
    {%- endset -%}
    {{ return('not materialized' if database_value(scope, query, false) else 'materialized') }}
{% endmacro %}
