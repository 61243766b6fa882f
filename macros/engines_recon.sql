{#- What differs between DuckDB and Spark in the reconciliation models and their marts
    (int_pos_orders to rpt_escalations): whole-row arg_min, time arithmetic and day series
    (formats and hashes are format_timestamp and key_hash, macros/engines.sql). Documented
    in macros/_macros_recon.yml. -#}

{% macro first_row_by(relation, order_by, group_by) %}
    {#- A select of one whole row of relation (a CTE name) per group_by (an expression list):
        the row with the lowest order_by (an expression list, compared left to right), with
        relation's columns. -#}
    {{ return(adapter.dispatch('first_row_by')(relation, order_by, group_by)) }}
{% endmacro %}

{% macro default__first_row_by(relation, order_by, group_by) -%}
    select unnest(arg_min({{ relation }}, ({{ order_by }})))
    from {{ relation }}
    group by {{ group_by }}
{%- endmacro %}

{% macro spark__first_row_by(relation, order_by, group_by) -%}
    select first_row.*
    from (
        select min_by(struct({{ relation }}.*), struct({{ order_by }})) as first_row
        from {{ relation }}
        group by {{ group_by }}
    )
{%- endmacro %}

{% macro epoch_seconds(value) %}
    {#- A timestamp as seconds since 1970-01-01 (a double, with the fractions of a second). -#}
    {{ return(adapter.dispatch('epoch_seconds')(value)) }}
{% endmacro %}

{% macro default__epoch_seconds(value) -%}
    epoch({{ value }})
{%- endmacro %}

{% macro spark__epoch_seconds(value) -%}
    (unix_micros({{ value }}) / 1e6)
{%- endmacro %}

{% macro days_interval(days) %}
    {#- An interval of a number of days (an integer expression). -#}
    {{ return(adapter.dispatch('days_interval')(days)) }}
{% endmacro %}

{% macro default__days_interval(days) -%}
    to_days({{ days }})
{%- endmacro %}

{% macro spark__days_interval(days) -%}
    make_dt_interval({{ days }})
{%- endmacro %}

{% macro hours_interval(hours) %}
    {#- An interval of a number of hours (an integer expression). -#}
    {{ return(adapter.dispatch('hours_interval')(hours)) }}
{% endmacro %}

{% macro default__hours_interval(hours) -%}
    to_hours({{ hours }})
{%- endmacro %}

{% macro spark__hours_interval(hours) -%}
    make_dt_interval(0, {{ hours }})
{%- endmacro %}

{% macro hour_boundaries_between(start, stop) %}
    {#- How many hour boundaries lie between two timestamps (DuckDB's date_diff('hour', ...)):
        from 10:59 to 11:01 is 1, from 10:01 to 10:59 is 0. -#}
    {{ return(adapter.dispatch('hour_boundaries_between')(start, stop)) }}
{% endmacro %}

{% macro default__hour_boundaries_between(start, stop) -%}
    date_diff('hour', {{ start }}, {{ stop }})
{%- endmacro %}

{% macro spark__hour_boundaries_between(start, stop) -%}
    cast((unix_seconds(date_trunc('hour', {{ stop }})) - unix_seconds(date_trunc('hour', {{ start }}))) / 3600 as bigint)
{%- endmacro %}

{% macro each_day(start, stop) %}
    {#- In a select list: one row per date from start to stop (dates, both included), as a
        date; start and stop may be aggregates. -#}
    {{ return(adapter.dispatch('each_day')(start, stop)) }}
{% endmacro %}

{% macro default__each_day(start, stop) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, interval 1 day)) as date)
{%- endmacro %}

{% macro spark__each_day(start, stop) -%}
    {#- a generator cannot be nested in a cast: sequence of dates gives dates -#}
    explode(sequence(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day))
{%- endmacro %}
