{% macro notification_id(recipient, kind, business_date) -%}
    {#- The notification's stable name: recipient, kind and business date, lower case, no
        spaces, so that it reads as a file name (pos_format_findings_20261120). One place,
        so the detail models and the notifications cannot name one notification twice. -#}
    lower({{ recipient }}) || '_' || {{ kind }} || '_' || coalesce({{ format_timestamp(business_date, '%Y%m%d') }}, 'undated')
{%- endmacro %}

{% macro notification_dates(date_column) %}
    {#- The business dates whose notifications a build recomputes (the grain `dates` of the
        notification marts, macros/recompute.sql): a notification's lines change only with
        its date's deliveries and orders, and with the grace window. So: the undated ones;
        the dates of the changed deliveries (the order channels' included) and of every delivery that mentions a changed
        order key (a finding across files, a late match); and every date from the grace
        window's start before this build's deliveries moved the horizon (the previous
        build's OMS dates, audit.reflected_loads) or after it, whichever is earlier, with a
        day of margin for orders rung up after midnight UTC. One line. -#}
    {%- set versions = relation_of('stg_loader__file_versions') -%}
    {%- set horizon = relation_of('int_reconciliation_horizon') -%}
    {#- the earlier of the horizons before and after this build's deliveries -#}
    {%- set start -%}
            least(
                coalesce(
                    (
                        select max(versions.business_date) + 1
                        from {{ versions }} as versions
                        where
                            versions.file_kind = 'oms_orders'
                            and versions.load_id in (select load_id from {{ audit_schema() }}.reflected_loads)
                    ),
                    horizon.as_of
                ),
                horizon.as_of
            )
    {%- endset -%}
    {%- set query -%}
        select coalesce(cast(
            {{ days_before(start, 'cast(ceil(horizon.grace_days) as integer) + 2') }} as string), '0001-01-01')
        from {{ horizon }} as horizon
    {%- endset -%}
    {%- set window_start = database_value(horizon, query, '0001-01-01') -%}
    {%- set mentioned = scope_list('key_delivery', 'business_date', 'business_date is not null', dates=true) -%}
    ({{ date_column }} is null
        or {{ date_column }} >= date '{{ window_start }}'
        or {{ date_column }} in ({{ changed_load_dates(
            ['pos_orders', 'oms_orders', 'web_orders', 'edi_850', 'api_orders', 'manual_orders']) }})
        or {{ date_column }} in ({{ mentioned }}))
{%- endmacro %}
