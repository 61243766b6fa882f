-- The current stock snapshot (the newest loaded reference/stock.csv), trimmed and typed.
with

source as (
    select * from {{ source('reference', 'stock') }}
),

current_files as (
    {{ current_loads('stock') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.store_id') }} as store_id,
        {{ clean_text('source.sku') }} as sku,
        {{ clean_text('source.on_hand') }} as on_hand_text
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        load_id,
        source_file,
        source_line,
        store_id,
        sku,
        on_hand_text,
        {{ parse_integer('on_hand_text') }} as on_hand
    from trimmed
)

select * from final
