-- Key-value state of the last complete build.
with

source as (
    select * from {{ source('audit', 'build_state') }}
),

final as (
    select
        state_key,
        state_value,
        updated_at
    from source
)

select * from final
