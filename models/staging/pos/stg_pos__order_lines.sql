-- POS order lines of the current version of each POS file, trimmed and typed.
-- Every delivered row is here, however bad: values that do not parse are null
-- in the typed column and kept in the *_text column for the error layer.
with

source as (
    select * from {{ source('pos', 'pos_order_lines') }}
),

current_files as (
    {{ current_loads('pos_orders') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        source._file_sha256 as file_sha256,
        source._loaded_at as loaded_at,
        current_files.file_business_date,
        {{ clean_text('source.order_id') }} as order_id,
        source.order_id as order_id_as_delivered,
        {{ clean_text('source.store_id') }} as store_id,
        {{ clean_text('source.register_id') }} as register_id,
        {{ clean_text('source.business_date') }} as business_date_text,
        {{ clean_text('source.order_ts') }} as order_ts_text,
        {{ clean_text('source.customer_id') }} as customer_id,
        {{ clean_text('source.currency') }} as currency,
        {{ clean_text('source.line_number') }} as line_number_text,
        {{ clean_text('source.sku') }} as sku,
        {{ clean_text('source.quantity') }} as quantity_text,
        {{ clean_text('source.unit_price') }} as unit_price_text,
        {{ clean_text('source.discount_amount') }} as discount_amount_text,
        {{ clean_text('source.line_total') }} as line_total_text,
        {{ clean_text('source.order_total') }} as order_total_text,
        {{ clean_text('source.requested_delivery_date') }} as requested_delivery_date_text,
        source._extra_columns as extra_columns
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        load_id,
        source_file,
        source_line,
        file_sha256,
        loaded_at,
        file_business_date,
        order_id,
        {{ normalize_order_key('order_id') }} as order_key,
        order_id_as_delivered,
        store_id,
        register_id,
        business_date_text,
        {{ parse_date('business_date_text') }} as business_date,
        order_ts_text,
        {{ parse_timestamp_utc('order_ts_text') }} as ordered_at,
        customer_id,
        currency,
        line_number_text,
        {{ parse_integer('line_number_text') }} as line_number,
        sku,
        quantity_text,
        {{ parse_integer('quantity_text') }} as quantity,
        unit_price_text,
        {{ parse_money('unit_price_text') }} as unit_price,
        discount_amount_text,
        {{ parse_money('discount_amount_text') }} as discount_amount,
        line_total_text,
        {{ parse_money('line_total_text') }} as line_total,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        requested_delivery_date_text,
        {{ parse_date('requested_delivery_date_text') }} as requested_delivery_date,
        extra_columns
    from trimmed
)

select * from final
