-- The current customer snapshot (the newest loaded reference/customers.csv), trimmed and typed.
with

source as (
    select * from {{ source('reference', 'customers') }}
),

current_files as (
    {{ current_loads('customers') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.customer_id') }} as customer_id,
        {{ clean_text('source.customer_name') }} as customer_name,
        {{ clean_text('source.is_active') }} as is_active_text,
        {{ clean_text('source.credit_limit') }} as credit_limit_text,
        {{ clean_text('source.delivery_days') }} as delivery_days_text
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        load_id,
        source_file,
        source_line,
        customer_id,
        customer_name,
        is_active_text,
        coalesce({{ parse_boolean('is_active_text') }}, is_active_text is null) as is_active,
        credit_limit_text,
        {{ parse_money('credit_limit_text') }} as credit_limit,
        delivery_days_text,
        {{ parse_weekdays('delivery_days_text') }} as delivery_weekdays
    from trimmed
)

select * from final
