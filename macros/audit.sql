{#- The audit trail's dbt half: every node of every invocation, written at the end of
    the invocation into audit.dbt_run_results (order_processing_log reads it), and the
    alert lines printed for operators. -#}

{% macro record_run_results(results) %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed') and results -%}
        {%- set rows = [] -%}
        {%- for result in results -%}
            {%- set rows_affected = (result.adapter_response or {}).get('rows_affected') -%}
            {%- do rows.append(
                "(" ~ [
                    sql_literal(invocation_id),
                    sql_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) ~ '::timestamp',
                    sql_literal(result.node.unique_id),
                    sql_literal(result.node.resource_type),
                    sql_literal(result.node.name),
                    sql_literal(result.status),
                    (rows_affected if rows_affected is not none else 'null'),
                    (result.execution_time or 0),
                    sql_literal(result.message),
                    "now() at time zone 'UTC'",
                ] | join(', ') ~ ")"
            ) -%}
        {%- endfor -%}
        {%- do run_query(
            'insert into ' ~ audit_schema() ~ '.dbt_run_results values ' ~ (rows | join(', '))
        ) -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro sql_literal(value) %}
    {#- A value as a SQL string literal (quotes doubled), or null. -#}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- endif -%}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro print_alerts() %}
    {#- After a build, one line per alert condition of the order staging plan, naming the
        source and the figure (the warn-severity tests in tests/alerts fail on the same). -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set metrics = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_source_metrics') -%}
        {%- set queue = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_review_queue') -%}
        {%- if metrics is not none -%}
            {%- set rows = run_query(
                "select source_system, business_date::varchar, error_rate, records_in_error, records_received from "
                ~ metrics ~ " where is_error_rate_alert order by 2, 1"
            ) -%}
            {%- for row in rows -%}
                {{ log("ALERT: " ~ row[0] ~ " " ~ row[1] ~ ": error rate " ~ ((row[2] * 100) | round(1)) ~ "% ("
                    ~ row[3] ~ " of " ~ row[4] ~ " records) is above " ~ (var('alert_error_rate') * 100) ~ "%", info=true) }}
            {%- endfor -%}
        {%- endif -%}
        {%- if queue is not none -%}
            {%- set open_items = run_query("select count(*) from " ~ queue ~ " where review_status = 'open'").columns[0].values()[0] -%}
            {%- if open_items > var('alert_review_queue_size') -%}
                {{ log("ALERT: review queue holds " ~ open_items ~ " open business-rule findings (threshold "
                    ~ var('alert_review_queue_size') ~ "): see marts.rpt_review_queue", info=true) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
