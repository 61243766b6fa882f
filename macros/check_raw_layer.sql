{% macro check_raw_layer() %}
    {#- on-run-start: stop with a message that says what to do when the loader has
        never run against this database (the raw tables are the loader's to create). -#}
    {%- if execute -%}
        {%- set manifest = adapter.get_relation(database=target.database, schema='raw', identifier='file_manifest') -%}
        {%- if manifest is none -%}
            {{ exceptions.raise_compiler_error(
                "No raw layer in " ~ target.path ~ ". Land a drop first: "
                ~ "`python -m loaders ingest --from DIR` (or `make demo`). "
                ~ "The database path comes from RECON_DB_PATH (default data/recon.duckdb)."
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
