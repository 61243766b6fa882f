-- The current product snapshot (the newest loaded products.csv), trimmed and typed.
with

source as (
    select * from {{ source('reference', 'products') }}
),

current_files as (
    {{ current_loads('products') }}
),

final as (
    select
        source._load_id || ':' || source._source_line as record_id,
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.sku') }} as sku,
        {{ clean_text('source.product_name') }} as product_name,
        {{ clean_text('source.is_active') }} as is_active_text,
        {{ parse_boolean(clean_text('source.is_active')) }} as is_active
    from source
    inner join current_files on source._load_id = current_files.load_id
)

select * from final
