-- The current price list (the newest loaded reference/prices.csv), trimmed and typed.
with

source as (
    select * from {{ source('reference', 'prices') }}
),

current_files as (
    {{ current_loads('prices') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.sku') }} as sku,
        {{ clean_text('source.unit_price') }} as unit_price_text
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        load_id,
        source_file,
        source_line,
        sku,
        unit_price_text,
        {{ parse_money('unit_price_text') }} as unit_price
    from trimmed
)

select * from final
