{#- Descriptions as DuckDB comments (persist_docs), written once per invocation. The
    adapter's own persist_docs asks the database for each relation's columns and runs a
    statement batch per model, about 0.1 s a model; here every model the invocation
    built gets its comments from one column listing and one batch at the end. -#}

{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) %}
    {#- Deferred to persist_docs_of_run (on-run-end). -#}
{% endmacro %}

{% macro persist_docs_of_run(results) %}
    {%- if execute and flags.WHICH in ('build', 'run') and results -%}
        {%- set models = [] -%}
        {%- for result in results -%}
            {%- set node = result.node -%}
            {%- set persist = node.config.get('persist_docs') or {} -%}
            {%- if node.resource_type == 'model' and result.status == 'success'
                and node.config.materialized != 'ephemeral'
                and (persist.get('relation') or persist.get('columns')) -%}
                {%- do models.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if models -%}
            {%- set listing = run_query(
                "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
                ~ "where database_name = " ~ sql_literal(target.database)
            ) -%}
            {%- set existing = listing.columns[0].values() -%}
            {%- set statements = [] -%}
            {%- for node in models -%}
                {%- set relation = api.Relation.create(database=target.database, schema=node.schema, identifier=node.alias) -%}
                {%- set kind = 'view' if node.config.materialized == 'view' else 'table' -%}
                {%- set persist = node.config.get('persist_docs') -%}
                {%- if persist.get('relation') and node.description -%}
                    {%- do statements.append('comment on ' ~ kind ~ ' ' ~ relation ~ ' is ' ~ duckdb_escape_comment(node.description)) -%}
                {%- endif -%}
                {%- if persist.get('columns') -%}
                    {%- for column in node.columns.values() -%}
                        {%- if column.description and (node.schema ~ '.' ~ node.alias ~ '.' ~ column.name) in existing -%}
                            {%- do statements.append(
                                'comment on column ' ~ relation ~ '.' ~ adapter.quote(column.name)
                                ~ ' is ' ~ duckdb_escape_comment(column.description)
                            ) -%}
                        {%- endif -%}
                    {%- endfor -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if statements -%}
                {%- do run_query(statements | join(';\n')) -%}
                {%- do adapter.commit() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
