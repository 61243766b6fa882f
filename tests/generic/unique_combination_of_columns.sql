{% test unique_combination_of_columns(model, combination, scope=none) %}
{{ scope_dependencies(scope) }}
{#- Fails with one row per combination of the given columns that occurs more than once. -#}
with

grouped as (
    select
        {{ combination | join(', ') }},
        count(*) as occurrences
    from {{ in_scope(model, scope) }}
    group by {{ combination | join(', ') }}
)

select * from grouped
where occurrences > 1
{% endtest %}
