{#- dbt's built-in unique, not_null and accepted_values, with one optional argument more:
    scope, which restricts the test to the rows the build changed. A daily build adds one
    day to a history of many: a primary-key test over every row would cost what history
    costs. Rows outside the scope are the ones no build since has written (the raw layer
    is append-only, incremental models rewrite only changed loads and keys), so testing
    the scope tests everything that can have changed. See scope_condition. -#}

{% test unique(model, column_name, scope=none) %}
    {{ scope_dependencies(scope) }}
    {{ adapter.dispatch('test_unique', 'dbt')(in_scope(model, scope), column_name) }}
{% endtest %}

{% test not_null(model, column_name, scope=none) %}
    {{ scope_dependencies(scope) }}
    {{ adapter.dispatch('test_not_null', 'dbt')(in_scope(model, scope), column_name) }}
{% endtest %}

{% test accepted_values(model, column_name, values, quote=True, scope=none) %}
    {{ scope_dependencies(scope) }}
    {{ adapter.dispatch('test_accepted_values', 'dbt')(in_scope(model, scope), column_name, values, quote) }}
{% endtest %}
