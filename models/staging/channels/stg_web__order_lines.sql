-- Placeholder until the web reader lands: no lines, in the shared shape.
with

final as (
    select
    {%- for name, type in channel_line_columns() %}
        cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
)

select * from final
where false
