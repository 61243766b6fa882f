{#- What differs between the engines a target can name (DuckDB, the default, and Spark;
    docs/scaling.md). -#}

{% macro engine_hook(name) %}
    {#- A hook of dbt_project.yml on the target's engine: on DuckDB the macro itself; on
        another engine its <engine>__<name> when the project has one, else nothing. The
        hooks without a Spark version (build state, run results, comments, alerts, the BI
        export, the summary) read or write DuckDB's own catalog and files; docs/scaling.md
        says what a Spark build leaves out. -#}
    {%- if target.type == 'duckdb' -%}
        {{ return(context[name](*varargs)) }}
    {%- endif -%}
    {%- set own = context.get(target.type ~ '__' ~ name) -%}
    {{ return(own(*varargs) if own else '') }}
{% endmacro %}

{% macro spark__check_raw_layer() %}
    {#- on-run-start on Spark: the raw tables as external tables over the Parquet files the
        loader writes (RECON_PARQUET_DIR, loaders/parquet_landing.py), read again at every
        run (a new delivery is a new file). -#}
    {%- if execute -%}
        {%- set landing = env_var('RECON_PARQUET_DIR', '') -%}
        {%- if not landing -%}
            {{ exceptions.raise_compiler_error(
                "The spark target reads the raw layer as Parquet: set RECON_PARQUET_DIR to the directory "
                ~ "`python -m loaders ingest --parquet-dir DIR` writes (docs/scaling.md).") }}
        {%- endif -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in raw_tables() -%}
            {%- do run_query('create table if not exists raw.' ~ table ~ " using parquet location '"
                ~ landing ~ '/' ~ table ~ "'") -%}
            {%- do run_query('refresh table raw.' ~ table) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro raw_tables() %}
    {#- The raw tables the models read (the sources of the project). -#}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() if source.schema == 'raw' -%}
        {%- do tables.append(source.identifier) -%}
    {%- endfor -%}
    {{ return(tables | unique | list) }}
{% endmacro %}
