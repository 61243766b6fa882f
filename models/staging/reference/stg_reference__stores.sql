-- The current store snapshot (the newest loaded stores.csv), trimmed and typed.
with

source as (
    select * from {{ source('reference', 'stores') }}
),

current_files as (
    {{ current_loads('stores') }}
),

final as (
    select
        source._load_id || ':' || source._source_line as record_id,
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.store_id') }} as store_id,
        {{ clean_text('source.store_name') }} as store_name,
        {{ clean_text('source.is_active') }} as is_active_text,
        {{ parse_boolean(clean_text('source.is_active')) }} as is_active
    from source
    inner join current_files on source._load_id = current_files.load_id
)

select * from final
