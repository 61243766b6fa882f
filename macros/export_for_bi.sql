{#- BI access that never blocks the build. DuckDB allows one writer per database file, so
    BI tools do not read the pipeline's database: at the end of every build that rebuilt
    the marts, each mart is published as <RECON_BI_DIR>/<mart>.parquet (default data/bi),
    and python -m recon_tools.bi init makes a small DuckDB file of views over those files
    for the tools to open read-only (docs/bi_access.md).

    COPY ... (USE_TMP_FILE true) writes tmp_<mart>.parquet next to the target and renames it
    over the old file when complete: rename replaces the file in one step, so a reader opens
    either the previous export or the new one, never a half-written file, and a query
    already reading the old file finishes on it. -#}

{% macro export_marts_for_bi(results) %}
    {#- on-run-end hook. Runs only for build/run/retry invocations in which the marts were
        built and none of them (nor a test on them) failed; otherwise the previous export
        stays in place. A missing directory is not an error: the hook says so and skips
        (python -m recon_tools.bi init creates it). Only a failed write (disk full, no
        permission) fails the hook, so that a stale export does not go unnoticed. -#}
    {%- if execute and flags.WHICH in ('build', 'run', 'retry') -%}
        {%- set bi_dir = env_var('RECON_BI_DIR', 'data/bi') | trim -%}
        {%- set bi_dir = bi_dir.rstrip('/') if bi_dir.rstrip('/') else bi_dir -%}
        {%- set marts = bi_export_marts() -%}
        {%- set mart_ids = marts | map(attribute='unique_id') | list -%}
        {%- set built = [] -%}
        {%- set problems = [] -%}
        {%- for result in results -%}
            {%- if result.node.unique_id in mart_ids -%}
                {%- if result.status == 'success' -%}
                    {%- do built.append(result.node.name) -%}
                {%- else -%}
                    {%- do problems.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
                {%- endif -%}
            {%- elif result.node.resource_type in ('test', 'unit_test') and result.status in ('fail', 'error') -%}
                {%- if result.node.depends_on.nodes | select('in', mart_ids) | list -%}
                    {%- do problems.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if flags.EMPTY -%}
            {{ log("BI export skipped: --empty run (the marts hold no rows)", info=true) }}
        {%- elif problems -%}
            {{ log("BI export skipped, the previous export stays in " ~ bi_dir ~ ": "
                   ~ problems | join(', '), info=true) }}
        {%- elif not built -%}
            {{ log("BI export skipped: no mart was built in this run", info=true) }}
        {%- elif not bi_directory_exists(bi_dir) -%}
            {{ log("BI export skipped: directory " ~ bi_dir ~ " does not exist "
                   ~ "(create it with `python -m recon_tools.bi init`, or set RECON_BI_DIR)", info=true) }}
        {%- else -%}
            {%- set written = [] -%}
            {%- for node in marts -%}
                {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
                {%- if relation is not none -%}
                    {%- set path = bi_dir ~ '/' ~ node.alias ~ '.parquet' -%}
                    {%- set copy_sql -%}
                        copy (select * from {{ relation }})
                        to '{{ path | replace("'", "''") }}'
                        (format parquet, compression zstd, use_tmp_file true)
                    {%- endset -%}
                    {%- set rows = run_query(copy_sql).columns[0].values()[0] -%}
                    {%- do written.append(node.alias ~ ' (' ~ rows ~ ' rows)') -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do export_mart_descriptions(marts, bi_dir) -%}
            {{ log("BI export: " ~ written | length ~ " marts written to " ~ bi_dir ~ ": " ~ written | join(', '), info=true) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro bi_export_marts() %}
    {#- The project's models in schema marts, by name. -#}
    {%- set marts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name and node.schema == 'marts'
              and node.config.materialized != 'ephemeral' -%}
            {%- do marts.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(marts) }}
{% endmacro %}

{% macro bi_directory_exists(path) %}
    {#- DuckDB SQL cannot create or test for a directory, but glob('<parent>/*/') lists the
        parent's subdirectories: look for this one among them. -#}
    {%- if '/' in path -%}
        {%- set parent = path.rsplit('/', 1)[0] -%}
        {%- set name = path.rsplit('/', 1)[1] -%}
    {%- else -%}
        {%- set parent = '.' -%}
        {%- set name = path -%}
    {%- endif -%}
    {%- set query -%}
        select count(*) from glob('{{ parent | replace("'", "''") }}/*/')
        where parse_filename(file) = '{{ name | replace("'", "''") }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro export_mart_descriptions(marts, bi_dir) %}
    {#- The marts' and their columns' descriptions from the project's docs, as
        <bi_dir>/_descriptions.parquet (relation, column_name, description; column_name is
        null for the relation itself): python -m recon_tools.bi init puts them on the BI
        views, where SQLAlchemy and BI tools read them as table and column comments. -#}
    {%- set rows = [] -%}
    {%- for node in marts -%}
        {%- do rows.append((node.alias, none, node.description)) -%}
        {%- for column in node.columns.values() -%}
            {%- do rows.append((node.alias, column.name, column.description)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set copy_sql -%}
        copy (
            select relation::string as relation, column_name::string as column_name,
                description::string as description
            from (values
            {%- for relation, column_name, description in rows %}
                ({{ sql_literal(relation) }}, {{ sql_literal(column_name) }}, {{ sql_literal(description | trim) }})
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
            ) as descriptions (relation, column_name, description)
        ) to '{{ (bi_dir ~ '/_descriptions.parquet') | replace("'", "''") }}'
        (format parquet, use_tmp_file true)
    {%- endset -%}
    {%- if rows -%}
        {%- do run_query(copy_sql) -%}
    {%- endif -%}
{% endmacro %}
