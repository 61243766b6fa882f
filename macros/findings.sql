{#- The error layer's incremental builds. Its models (int_validation_failures,
    fct_validation_errors, int_validation_error_history, rpt_review_queue) replace the
    findings of the rows the check models recomputed, with the same change lists
    (build_state.sql), instead of rewriting every finding of history each day. -#}

{% macro changed_findings_condition(pos_order_key='order_key') %}
    {#- The findings an incremental build recomputes, for the error layer's models (rows with
        source_system, load_id, order_id and rule_id): every file rejection, ignored file and
        reference finding, and the POS and OMS findings of the rows their check models
        recomputed (changed_rows_condition with those models' arguments). pos_order_key: a POS
        finding's order key, a column or normalize_order_key('order_id') where a table keeps
        the order as delivered only. -#}
    (
        rule_id in ('file_rejected', 'file_ignored')
        or source_system not in ('POS', 'OMS')
        or (source_system = 'POS' and {{ changed_rows_condition(
            pos_order_key, ['pos_order'], 'load_id', ['pos_orders'], 'pos_order'
        ) }})
        or (source_system = 'OMS' and {{ changed_rows_condition(
            'order_id', ['oms_order'], 'load_id', ['oms_orders'], 'oms_order'
        ) }})
    )
{%- endmacro %}

{% macro only_changed_findings(pos_order_key='order_key') %}
    {#- The model-side filter of an error-layer model: the findings a build recomputes. -#}
    {%- if is_incremental() and not recompute_all() -%}
        where {{ changed_findings_condition(pos_order_key) }}
    {%- endif -%}
{% endmacro %}

{% macro delete_changed_findings(pos_order_key='order_key') %}
    {#- pre-hook of an error-layer model: remove the findings it is about to recompute. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where
        {%- if recompute_all() %} true
        {%- else %} {{ changed_findings_condition(pos_order_key) }}
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{% macro delete_changed_reviews() %}
    {#- pre-hook of rpt_review_queue, which keeps no load id: remove the findings whose
        history rows the build compared again. -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        {%- if not recompute_all() %}
        where error_key in (
            select error_key from {{ ref('int_validation_error_history') }}
            where {{ changed_findings_condition(pos_order_key=normalize_order_key('order_id')) }}
        )
        {%- endif %}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{% macro review_age_days(first_seen_at, resolved_at) %}
    {#- Days from first seen to the build (open) or to the resolution, to a tenth. -#}
    cast(
        date_diff('hour', {{ first_seen_at }}, coalesce({{ resolved_at }}, {{ build_timestamp() }})) / 24.0
        as decimal(10, 1)
    )
{%- endmacro %}
