-- The current trading-partner snapshot (the newest loaded reference/partners.csv), trimmed and
-- typed: who may send EDI purchase orders, how their interchanges name them (ISA05/ISA06,
-- GS02), and the customer their orders are booked to.
with

source as (
    select * from {{ source('reference', 'partners') }}
),

current_files as (
    {{ current_loads('partners') }}
),

trimmed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        source._source_line as source_line,
        {{ clean_text('source.partner_id') }} as partner_id,
        {{ clean_text('source.partner_name') }} as partner_name,
        {{ clean_text('source.isa_qualifier') }} as isa_qualifier,
        {{ clean_text('source.isa_id') }} as isa_id,
        {{ clean_text('source.gs_id') }} as gs_id,
        {{ clean_text('source.is_active') }} as is_active_text,
        {{ clean_text('source.customer_id') }} as customer_id
    from source
    inner join current_files on source._load_id = current_files.load_id
),

final as (
    select
        load_id || ':' || source_line as record_id,
        load_id,
        source_file,
        source_line,
        partner_id,
        partner_name,
        isa_qualifier,
        isa_id,
        gs_id,
        is_active_text,
        coalesce({{ parse_boolean('is_active_text') }}, is_active_text is null) as is_active,
        customer_id
    from trimmed
)

select * from final
