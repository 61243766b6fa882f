{#- The error layer's helpers. Which findings a build recomputes is the findings grain of
    macros/recompute.sql (findings_condition). -#}

{% macro review_age_days(first_seen_at, resolved_at) %}
    {#- Days from first seen to the resolution (or to the build), to a tenth, counted in hour
        boundaries crossed (hour_boundaries_between). -#}
    cast(
        {{ hour_boundaries_between(first_seen_at, 'coalesce(' ~ resolved_at ~ ', ' ~ build_timestamp() ~ ')') }} / 24.0
        as decimal(10, 1)
    )
{%- endmacro %}

{% macro enabled_findings(check_model) %}
    {#- The findings of a check model (or of any relation of findings) under rules the seed
        does not switch off: the one statement of that switch. The error layer
        (int_validation_failures) holds these, and an order or OMS row learns from them that it
        has findings without reading every other source's findings. -#}
    select findings.*
    from {{ check_model }} as findings
    anti join {{ ref('order_validation_rules') }} as switched_off
        on findings.rule_id = switched_off.rule_id and not switched_off.is_enabled
{% endmacro %}
