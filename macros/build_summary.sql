{#- dbt build ends with the answer: the reconciliation of the business dates the build changed,
    as `make demo` prints it. The summary mart is remembered when the run starts (one row per
    business date, so the copy is small) and compared when it ends. -#}

{% macro remember_reconciliation_summary() %}
    {#- on-run-start: keep the summary as it stands, to compare with at the end. -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set summary = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_reconciliation_summary') -%}
        {%- if summary is none -%}
            {%- do run_query("drop table if exists " ~ audit_schema() ~ ".summary_before_build") -%}
        {%- else -%}
            {%- do run_query("create or replace table " ~ audit_schema() ~ ".summary_before_build as select * from " ~ summary) -%}
        {%- endif -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro print_reconciliation_summary(max_dates=10) %}
    {#- on-run-end: one line per business date whose summary row this build changed (at most
        max_dates, the latest), with orders, matched, missing and the match rate. -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set summary = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_reconciliation_summary') -%}
        {#- (asked of the database: dbt's relation cache does not see a table a hook made) -#}
        {%- set remembered = run_query(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            ~ "and schema_name = 'audit' and table_name = 'summary_before_build'"
        ).rows[0][0] > 0 -%}
        {%- set before = audit_schema() ~ ".summary_before_build" if remembered else none -%}
        {%- if summary is not none -%}
            {%- set changed -%}
                select business_date::string, pos_orders, matched_orders, missing_orders, match_rate
                from (
                    select * from {{ summary }}
                    {%- if before is not none %}
                    except
                    select * from {{ before }}
                    {%- endif %}
                )
                order by business_date desc
            {%- endset -%}
            {%- set rows = run_query(changed).rows -%}
            {%- set total = run_query("select count(*) from " ~ summary).rows[0][0] -%}
            {%- if rows | length == 0 -%}
                {{ log("Reconciliation: no business date changed in this build (" ~ total ~ " in marts.rpt_reconciliation_summary)", info=true) }}
            {%- else -%}
                {{ log("Reconciliation of the " ~ rows | length ~ " business date" ~ ("" if rows | length == 1 else "s")
                    ~ " this build changed (POS orders found in the OMS):", info=true) }}
                {{ log("  date          orders   matched   missing     rate", info=true) }}
                {%- for row in (rows[:max_dates] | reverse) -%}
                    {%- set rate = "-" if row[4] is none else ("%.1f%%" | format(row[4] * 100)) -%}
                    {{ log("  " ~ row[0] ~ "  " ~ ("%8d" | format(row[1])) ~ "  " ~ ("%8d" | format(row[2]))
                        ~ "  " ~ ("%8d" | format(row[3])) ~ "  " ~ ("%7s" | format(rate)), info=true) }}
                {%- endfor -%}
                {%- if rows | length > max_dates -%}
                    {{ log("  ... and " ~ (rows | length - max_dates) ~ " earlier dates: select * from marts.rpt_reconciliation_summary", info=true) }}
                {%- endif -%}
                {{ log("Missing orders: select * from marts.fct_order_reconciliation where recon_status = 'missing_in_oms'", info=true) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
