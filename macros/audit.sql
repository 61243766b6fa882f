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
                    'cast(' ~ sql_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) ~ ' as timestamp)',
                    sql_literal(result.node.unique_id),
                    sql_literal(result.node.resource_type),
                    sql_literal(result.node.name),
                    sql_literal(result.status),
                    (rows_affected if rows_affected is not none else 'null'),
                    (result.execution_time or 0),
                    sql_literal(result.message),
                    utc_now(),
                ] | join(', ') ~ ")"
            ) -%}
        {%- endfor -%}
        {%- do run_query(
            'insert into ' ~ audit_schema() ~ '.dbt_run_results values ' ~ (rows | join(', '))
        ) -%}
        {%- if target.type == 'duckdb' -%}{%- do adapter.commit() -%}{%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro spark__record_run_results(results) %}
    {#- record_run_results on Spark: the same rows, appended to the Parquet table. -#}
    {{ return(record_run_results(results)) }}
{% endmacro %}

{% macro sql_literal(value) %}
    {#- A value as a SQL string literal (quotes doubled), or null. -#}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- endif -%}
    {%- if target.type == 'spark' -%}
        {#- Spark unescapes backslashes in literals -#}
        {{- return(spark_string_literal(value | string)) -}}
    {%- endif -%}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro print_alerts() %}
    {#- After a build, one line per alert condition of the order staging plan, naming the
        source and the figure (the warn-severity tests in tests/alerts fail on the same): a
        source's order error rate for a date, the orders awaiting a decision in the review
        queue, and each kind of escalation (marts.rpt_escalations, its first three). -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set metrics = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_source_metrics') -%}
        {%- set queue = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_review_queue') -%}
        {%- if metrics is not none -%}
            {%- set rows = run_query(
                "select source_system, business_date::string, order_error_rate, orders_with_errors, orders from "
                ~ metrics ~ " where is_error_rate_alert order by 2, 1"
            ) -%}
            {%- for row in rows -%}
                {{ log("ALERT: " ~ row[0] ~ " " ~ row[1] ~ ": error rate " ~ ((row[2] * 100) | round(1)) ~ "% ("
                    ~ row[3] ~ " of " ~ row[4] ~ " orders) is above " ~ (var('alert_error_rate') * 100) ~ "%", info=true) }}
            {%- endfor -%}
        {%- endif -%}
        {%- if queue is not none -%}
            {%- set counts = run_query(
                "select count(distinct " ~ review_order() ~ "), count(*) from " ~ queue ~ " where review_status = 'open'"
            ).rows[0] -%}
            {%- if counts[0] > var('alert_review_queue_size') -%}
                {{ log("ALERT: review queue holds " ~ counts[0] ~ (" order" if counts[0] == 1 else " orders")
                    ~ " awaiting a decision (" ~ counts[1] ~ (" open finding" if counts[1] == 1 else " open findings")
                    ~ "; threshold " ~ var('alert_review_queue_size') ~ "): see marts.rpt_review_queue", info=true) }}
            {%- endif -%}
        {%- endif -%}
        {%- set escalations = adapter.get_relation(database=target.database, schema='marts', identifier='rpt_escalations') -%}
        {%- if escalations is not none -%}
            {%- set rows = run_query(
                "select reason, count(*), string_agg(detail, ' | ' order by since) filter (where rank <= 3) from ("
                ~ "select *, row_number() over (partition by reason order by since) as rank from " ~ escalations
                ~ ") group by reason order by reason"
            ).rows -%}
            {%- for row in rows -%}
                {{ log("ESCALATED: " ~ row[1] ~ " " ~ row[0] ~ ": " ~ row[2] ~ (" | ..." if row[1] > 3 else "")
                    ~ " (see marts.rpt_escalations)", info=true) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro review_order() %}
    {#- What a review-queue finding awaits a decision on, for counting them: its order (a POS
        order by its normalized number, whatever file it came in; an OMS order by its id), or,
        for a finding without one (a reference row), its record. Reads the columns of
        marts.rpt_review_queue. -#}
    case
        when source_system = 'POS' and order_id is not null then 'POS:' || {{ normalize_order_key('order_id') }}
        when source_system = 'OMS' and order_id is not null then 'OMS:' || order_id
        else 'record:' || source_file || ':' || coalesce(cast(source_line as string), 'file')
    end
{%- endmacro %}
