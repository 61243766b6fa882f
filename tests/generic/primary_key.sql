{% test primary_key(model, column_name) %}
{#- unique and not_null in one test node and one scan: fails with one row per key value
    that is null or occurs more than once. A build pays dbt's fixed cost per test node, so
    the pair costs half as much as one node. -#}
select
    {{ column_name }} as key_value,
    count(*) as occurrences
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
