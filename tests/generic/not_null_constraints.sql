{% test not_null_constraints(model) %}
{#- The not_null constraints of a view's contract, tested: DuckDB enforces them on tables
    only, and a public mart that is a view over an incremental table keeps its contract's
    promise through this test. One node for all the columns; fails with the rows that have
    a null in any of them. -#}
{%- set node = graph.nodes.get(model_node_id()) if execute else none -%}
{%- set columns = [] -%}
{%- if node -%}
    {%- for column in node.columns.values() -%}
        {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
            {%- do columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}
select *
from {{ model }}
where {{ (columns | join(' is null or ') ~ ' is null') if columns else 'false' }}
{% endtest %}
