-- OMS orders of the current version of each OMS file, trimmed and typed.
-- Every delivered row is here; code values are compared trimmed and upper-cased.
with

source as (
    select * from {{ source('oms', 'oms_orders') }}
),

current_files as (
    {{ current_loads('oms_orders') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        source._file_sha256 as file_sha256,
        source._loaded_at as loaded_at,
        current_files.file_business_date,
        {{ clean_text('source.oms_order_id') }} as oms_order_id,
        {{ clean_text('source.source_system') }} as source_system_text,
        {{ clean_text('source.source_order_id') }} as source_order_id,
        source.source_order_id as source_order_id_as_delivered,
        {{ clean_text('source.store_id') }} as store_id,
        {{ clean_text('source.customer_id') }} as customer_id,
        {{ clean_text('source.order_status') }} as order_status_text,
        {{ clean_text('source.order_total') }} as order_total_text,
        {{ clean_text('source.currency') }} as currency,
        {{ clean_text('source.created_at') }} as created_at_text,
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
        oms_order_id,
        source_system_text,
        upper(source_system_text) as source_system,
        source_order_id,
        {{ normalize_order_key('source_order_id') }} as source_order_key,
        source_order_id_as_delivered,
        store_id,
        customer_id,
        order_status_text,
        upper(order_status_text) as order_status,
        order_total_text,
        {{ parse_money('order_total_text') }} as order_total,
        currency,
        created_at_text,
        {{ parse_timestamp_utc('created_at_text') }} as created_at,
        extra_columns
    from trimmed
)

select * from final
