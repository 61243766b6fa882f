{#- Incremental models on Spark (docs/scaling.md). Plain Parquet tables have no DELETE,
    UPDATE or MERGE, and Spark refuses to overwrite a table a query reads from, so the rows a
    DuckDB build deletes and inserts become a new table swapped in: the kept rows (those the
    build does not recompute) and the recomputed ones are written to <model>__dbt_next,
    which then replaces the model. The condition is the same macro as DuckDB's delete
    (recomputed_rows_of_table, macros/recompute.sql), so both engines keep the same rows.
    It rewrites the whole table at every build: the recompute stays incremental (only the
    changed rows are computed), the write does not. -#}

{% materialization incremental, adapter='spark' -%}
    {%- set strategy = config.get('incremental_strategy') -%}
    {%- if strategy not in ('recompute', 'delete+insert') -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy '" ~ strategy ~ "' on Spark: this project runs recompute and delete+insert "
            ~ "(macros/spark_incremental.sql)") }}
    {%- endif -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_relation(this) -%}
    {%- set new_relation = target_relation.incorporate(path={'identifier': this.identifier ~ '__dbt_new'}) -%}

    {{ run_hooks(pre_hooks) }}

    {%- if existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
        {%- if existing_relation is not none -%}
            {%- do adapter.drop_relation(existing_relation) -%}
        {%- endif -%}
        {%- call statement('main') -%}
            {{ create_table_as(False, target_relation, compiled_code) }}
        {%- endcall -%}
    {%- else -%}
        {%- do adapter.drop_relation(new_relation) -%}
        {%- call statement('recomputed_rows') -%}
            {{ create_table_as(False, new_relation, compiled_code) }}
        {%- endcall -%}
        {%- do process_schema_changes(on_schema_change, new_relation, existing_relation) -%}
        {%- set columns = adapter.get_columns_in_relation(existing_relation) | map(attribute='quoted') | join(', ') -%}
        {%- if strategy == 'recompute' -%}
            {%- set kept -%}
                select {{ columns }} from {{ target_relation }}
                where not coalesce({{ recomputed_rows_of_table(model_grain()) }}, false)
            {%- endset -%}
        {%- else -%}
            {%- set kept -%}
                select {{ columns }} from {{ target_relation }} as kept
                where not exists (
                    select 1 from {{ new_relation }} as recomputed
                    where recomputed.{{ unique_key }} = kept.{{ unique_key }}
                )
            {%- endset -%}
        {%- endif -%}
        {%- call statement('main') -%}
            {{ spark_replace_table(target_relation,
                kept ~ '\nunion all\nselect ' ~ columns ~ ' from ' ~ new_relation) }}
        {%- endcall -%}
        {%- do adapter.drop_relation(new_relation) -%}
    {%- endif -%}

    {%- do persist_docs(target_relation, model) -%}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}

{% macro spark_replace_table(relation, query) %}
    {#- Replace a Parquet table on Spark with the rows of query, which may read it: the rows
        go to <table>__dbt_next first, which then takes the table's name. Returns the last
        statement, for the caller's statement block (it runs the others). -#}
    {%- set next_relation = relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_next'}) -%}
    {%- do adapter.drop_relation(next_relation) -%}
    {%- do run_query('create table ' ~ next_relation ~ ' using parquet as ' ~ query) -%}
    {%- do adapter.drop_relation(relation) -%}
    alter table {{ next_relation }} rename to {{ relation }}
{% endmacro %}

{% macro stamp_open_findings() %}
    {#- int_validation_error_history's post-hook: this build's time as the last sighting of
        every open finding. -#}
    {{ return(adapter.dispatch('stamp_open_findings')()) }}
{% endmacro %}

{% macro default__stamp_open_findings() -%}
    update {{ this }} set last_seen_at = {{ build_timestamp() }} where resolved_at is null
{%- endmacro %}

{% macro spark__stamp_open_findings() -%}
    {#- no UPDATE on Parquet: the table is written again with the column set -#}
    {%- if execute -%}
        {%- set columns = [] -%}
        {%- for column in adapter.get_columns_in_relation(this) -%}
            {%- if column.name == 'last_seen_at' -%}
                {%- do columns.append('case when resolved_at is null then ' ~ build_timestamp()
                    ~ ' else last_seen_at end as last_seen_at') -%}
            {%- else -%}
                {%- do columns.append(column.quoted) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ spark_replace_table(this.incorporate(type='table'), 'select ' ~ columns | join(', ') ~ ' from ' ~ this) }}
    {%- endif -%}
{%- endmacro %}
