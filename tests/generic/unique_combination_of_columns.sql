{% test unique_combination_of_columns(model, combination) %}
{#- Fails with one row per combination of the given columns that occurs more than once. -#}
with

grouped as (
    select
        {{ combination | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination | join(', ') }}
)

select * from grouped
where occurrences > 1
{% endtest %}
