{% macro check_raw_layer() %}
    {#- on-run-start: stop with a message that says what to do when the loader has
        never run against this database, or last ran in an earlier version (the raw tables
        are the loader's to create). -#}
    {%- if execute -%}
        {%- set manifest = adapter.get_relation(database=target.database, schema='raw', identifier='file_manifest') -%}
        {%- if manifest is none -%}
            {{ exceptions.raise_compiler_error(
                "No raw layer in " ~ target.path ~ ". Land a drop first: "
                ~ "`python -m loaders ingest --from DIR` (or `make demo`). "
                ~ "The database path comes from RECON_DB_PATH (default data/recon.duckdb)."
            ) }}
        {%- endif -%}
        {#- A raw layer an earlier version made lacks the tables the review, notification, 997 and
            hand-off commands write, and the order channels' tables: the loader adds them
            (ensure_raw_layer), with nothing to load. -#}
        {%- for table in [
            'review_decisions', 'notification_log', 'handoff_log', 'edi_ack_log', 'partners', 'web_orders',
            'edi_segments', 'api_orders', 'manual_order_lines'
        ] -%}
            {%- if adapter.get_relation(database=target.database, schema='raw', identifier=table) is none -%}
                {{ exceptions.raise_compiler_error(
                    "The raw layer in " ~ target.path ~ " has no raw." ~ table ~ " (it was made by an earlier "
                    ~ "version): run the loader once, `python -m loaders ingest --from DIR`, which adds it, then build."
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
