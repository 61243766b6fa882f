{% test expression_is_true(model, expression, where_clause=none) %}
{#- Fails with the rows for which the expression is not true (null counts as failing). -#}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}
