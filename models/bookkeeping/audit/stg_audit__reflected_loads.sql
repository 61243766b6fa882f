-- The deliveries the marts reflected at the end of the last complete build.
with

source as (
    select * from {{ source('audit', 'reflected_loads') }}
),

final as (
    select
        load_id,
        file_kind,
        reflected_at
    from source
)

select * from final
