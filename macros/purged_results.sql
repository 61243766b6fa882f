{#- Results of purged deliveries. A retention purge (python -m loaders purge) removes raw
    rows; what dbt built from them stays in the incremental models, final. These macros say
    which business dates are final, keep what a correction of a purged date needs, and stop a
    full refresh that would drop what the raw layer no longer holds. -#}

{% macro reopened_dates() %}
    {#- Literal list of the business dates up to the last purged one whose current POS file
        is not purged ("null" when none): a correction of a purged file, or the date's first
        POS file delivered after the purge. Their orders are reconciled again. -#}
    {%- set scope = scope_relation() -%}
    {%- set versions = "(select * from " ~ scope ~ " where part = 'version')" -%}
    {%- set query -%}
        select coalesce(string_agg(distinct {{ date_literal_of('business_date') }}, ', '), 'null')
        from {{ versions }}
        where {{ reopening_versions(versions) }}
    {%- endset -%}
    {{ return(database_value(scope, query, 'null')) }}
{% endmacro %}

{% macro reopening_versions(versions) %}
    {#- Condition on stg_loader__file_versions (the relation versions): the current POS files
        that reopen a purged business date, being not purged themselves and of a date up to
        the last purged one. The one statement of that rule, for the build and its hooks. -#}
    (is_current_version and file_kind = 'pos_orders' and not is_purged
    and business_date <= (
        select max(business_date) from {{ versions }}
        where is_purged and file_kind in ('pos_orders', 'oms_orders')
    ))
{%- endmacro %}

{% macro frozen_date_condition(date_column) %}
    {#- True for the business dates whose orders are final: up to the last purged date
        (purged_through), except the reopened dates. One line; a range, so a scan of an
        order table skips the row groups of later dates. -#}
    {%- set reopened = reopened_dates() -%}
    ({{ date_column }} <= {{ purged_through() }}
    {%- if reopened != 'null' %} and {{ date_column }} not in ({{ reopened }}){% endif %})
{%- endmacro %}

{% macro keep_reopened_results() %}
    {#- on-run-start: before a build reconciles a reopened date again (reopened_dates), keep
        the results the marts hold for its orders in audit.kept_order_results. Their OMS
        matches may come from purged OMS files, which the build cannot read any more:
        build_kept_oms_evidence takes them from here, and build_changed_keys the order
        numbers of the purged version the correction replaces. Kept once per order number, by
        the build that first reads the date's new POS file (one the marts do not reflect yet). -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set orders = adapter.get_relation(
            database=target.database, schema='marts', identifier='fct_order_reconciliation') -%}
        {%- set versions = adapter.get_relation(
            database=target.database, schema='staging', identifier='stg_loader__file_versions') -%}
        {%- if orders is not none and versions is not none -%}
            {%- set query -%}
                select coalesce(string_agg(distinct {{ date_literal_of('business_date') }}, ', '), 'null')
                from {{ versions }}
                where
                    {{ reopening_versions(versions) }}
                    and load_id not in (select load_id from {{ audit_schema() }}.reflected_loads)
            {%- endset -%}
            {%- set reopened = run_query(query).columns[0].values()[0] -%}
            {%- if reopened != 'null' -%}
                {%- set columns = adapter.get_columns_in_relation(orders) | map(attribute='name') | list -%}
                {%- set sql -%}
                    insert into {{ audit_schema() }}.kept_order_results
                    select
                        orders.order_id,
                        orders.business_date,
                        orders.pos_source_file,
                        orders.recon_status,
                        orders.oms_order_id,
                        orders.oms_match_count,
                        orders.oms_order_total,
                        orders.oms_order_status,
                        orders.oms_created_at,
                        orders.oms_business_date,
                        orders.oms_source_file,
                        {{ 'orders.oms_source_line' if 'oms_source_line' in columns else 'null' }},
                        {{ utc_now() }}
                    from {{ orders }} as orders
                    where
                        orders.business_date in ({{ reopened }})
                        and orders.order_id not in (select order_id from {{ audit_schema() }}.kept_order_results)
                {%- endset -%}
                {%- do run_query(sql) -%}
                {%- do adapter.commit() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro keep_purged_oms_rows() %}
    {#- on-run-start: the rows of purged OMS deliveries that matched no POS order live on only
        in fct_oms_unmatched_orders. Keep a copy in audit.kept_oms_rows (once per row, for
        each purged delivery not kept yet), so that a POS order delivered after the purge (a
        reopened date, a late file) still finds them: fct_order_reconciliation matches them
        like the OMS rows the raw layer holds, and fct_oms_unmatched_orders then drops them. -#}
    {%- if execute and flags.WHICH in ('build', 'run') -%}
        {%- set unmatched = adapter.get_relation(
            database=target.database, schema='marts', identifier='fct_oms_unmatched_orders') -%}
        {%- set versions = adapter.get_relation(
            database=target.database, schema='staging', identifier='stg_loader__file_versions') -%}
        {%- if unmatched is not none and versions is not none -%}
            {%- set query -%}
                select coalesce({{ ordered_agg('cast(load_id as string)', "', '", 'load_id') }}, 'null')
                from {{ versions }}
                where
                    is_purged and is_current_version and file_kind = 'oms_orders'
                    and load_id not in (select load_id from {{ audit_schema() }}.kept_oms_rows)
            {%- endset -%}
            {%- set load_ids = run_query(query).columns[0].values()[0] -%}
            {%- if load_ids != 'null' -%}
                {%- set sql -%}
                    insert into {{ audit_schema() }}.kept_oms_rows
                    select
                        record_id, load_id, oms_order_id, source_order_key, order_total, order_status, created_at,
                        business_date, source_file, source_line, {{ utc_now() }}
                    from {{ unmatched }}
                    where load_id in ({{ load_ids }}) and source_order_key is not null
                {%- endset -%}
                {%- do run_query(sql) -%}
                {%- do adapter.commit() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro purged_rows_still_unmatched() %}
    {#- For int_oms_unmatched_orders' grain (final: purged_unmatched): true for its rows of purged deliveries that
        still match no POS order (final); false for those whose order number a POS order the
        build recomputes now carries (int_order_reconciliation matches them). The POS orders
        are looked up on the business dates the build recomputes, or all on a full rebuild. -#}
    {%- set purged = purged_load_ids() -%}
    {%- if purged == 'null' -%}
        false
    {%- else -%}
        (load_id in ({{ purged }}) and (
            source_order_key is null
            or source_order_key not in (
                select order_key from {{ ref('int_pos_orders') }}
                {%- if not recompute_all() %}
                    where
                        {{ changed_rows_condition(key_kinds=['pos_order'], date_column='business_date') }}
                        and order_key in (
                            select order_key from {{ scope_relation() }} where part = 'key' and key_kind = 'pos_order'
                        )
                {%- endif %}
            )
        ))
    {%- endif -%}
{%- endmacro %}

{% macro refuse_full_refresh_after_purge() %}
    {#- on-run-start: a full refresh rebuilds the incremental models from the raw layer, so it
        would drop the results of purged deliveries (orders, OMS rows without a POS order,
        findings). Stop it, naming the purged dates and what each would lose, unless
        --vars '{allow_full_refresh_after_purge: true}' says to drop them. Only when the run
        selects a model that keeps such results and some are kept. -#}
    {%- if execute and flags.FULL_REFRESH and not var('allow_full_refresh_after_purge', false) -%}
        {%- set keeping = incremental_models(with_final=true) -%}
        {%- set keeping_ids = [] -%}
        {%- for name in keeping -%}
            {%- do keeping_ids.append('model.' ~ project_name ~ '.' ~ name) -%}
        {%- endfor -%}
        {%- set selected = selected_resources | select('in', keeping_ids) | list -%}
        {%- set versions = adapter.get_relation(
            database=target.database, schema='staging', identifier='stg_loader__file_versions') -%}
        {%- set parts = [] -%}
        {#- what each mart keeps of a purged date: its orders (by date), the rows and findings
            of its purged deliveries (by load id) -#}
        {%- for identifier, label in [
            ('fct_order_reconciliation', 'orders'),
            ('fct_oms_unmatched_orders', 'OMS rows without a POS order'),
            ('fct_validation_errors', 'findings'),
        ] -%}
            {%- set relation = adapter.get_relation(database=target.database, schema='marts', identifier=identifier) -%}
            {%- if relation is not none -%}
                {%- if identifier == 'fct_order_reconciliation' -%}
                    {%- do parts.append(
                        "select kept.business_date, '" ~ label ~ "' as what, count(*) as n from " ~ relation
                        ~ " as kept semi join purged on kept.business_date = purged.business_date"
                        ~ " and purged.file_kind = 'pos_orders' group by all") -%}
                {%- else -%}
                    {%- do parts.append(
                        "select purged.business_date, '" ~ label ~ "' as what, count(*) as n from " ~ relation
                        ~ " as kept inner join purged on kept.load_id = purged.load_id group by all") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if selected and versions is not none and parts -%}
            {%- set query -%}
                with purged as (
                    select load_id, file_kind, business_date
                    from {{ versions }}
                    where is_purged and is_current_version and file_kind in ('pos_orders', 'oms_orders')
                ),
                kept as (
                    {{ parts | join(' union all ') }}
                )
                select
                    strftime(business_date, '%Y-%m-%d') || ': '
                    || {{ ordered_agg("n || ' ' || what", "', '", 'what desc') }}
                from kept
                where n > 0
                group by business_date
                order by business_date
            {%- endset -%}
            {%- set lines = run_query(query).columns[0].values() -%}
            {%- if lines | length > 0 -%}
                {{ exceptions.raise_compiler_error(
                    "--full-refresh would drop results whose raw rows a retention purge removed "
                    ~ "(python -m loaders purge); a full refresh rebuilds from the raw layer and cannot "
                    ~ "rebuild them. Kept for the purged business dates:\n  " ~ lines | join("\n  ")
                    ~ "\nRun the build without --full-refresh (incremental builds keep them), or pass "
                    ~ "--vars '{allow_full_refresh_after_purge: true}' to rebuild from the raw layer "
                    ~ "and drop them."
                ) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
