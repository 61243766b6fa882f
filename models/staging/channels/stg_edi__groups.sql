-- One row per functional group (GS ... GE) of the current EDI files, with its interchange's
-- sender and the trading partner it resolves to: reference/partners.csv's isa_id (and
-- isa_qualifier, when given) against ISA05/ISA06, else its gs_id against GS02.
with

segments as (
    {{ edi_with_senders(ref('stg_edi__segments')) }}
),

{{ edi_partner_ctes() }},

groups as (
    select
        load_id,
        isa_segment,
        gs_segment,
        {{ any_where('elements', "segment_id = 'GS'") }} as gs_elements,
        {{ any_where(list_item('elements', 2), "segment_id = 'GS'") }} as functional_id_code,
        trim({{ any_where(list_item('elements', 3), "segment_id = 'GS'") }}) as gs_sender_id,
        trim({{ any_where(list_item('elements', 4), "segment_id = 'GS'") }}) as gs_receiver_id,
        {{ any_where(list_item('elements', 7), "segment_id = 'GS'") }} as group_control_number,
        {{ any_where(list_item('elements', 9), "segment_id = 'GS'") }} as gs_version,
        min(segment_number) filter (where segment_id = 'GE') as ge_segment,
        {{ first_by(list_item('elements', 2), 'segment_number', "segment_id = 'GE'") }} as ge_set_count,
        {{ first_by(list_item('elements', 3), 'segment_number', "segment_id = 'GE'") }} as ge_control_number,
        count(*) filter (where segment_id = 'ST') as set_count,
        max(segment_number) as last_segment,
        any_value(source_file) as source_file,
        any_value(file_business_date) as file_business_date,
        any_value(interchange_number) as interchange_number,
        any_value(sender_qualifier) as sender_qualifier,
        any_value(sender_id) as sender_id,
        any_value(isa_control_number) as isa_control_number
    from segments
    where gs_segment is not null
    group by load_id, isa_segment, gs_segment
),

final as (
    {{ edi_with_partner('groups', ['load_id', 'gs_segment']) }}
)

select
    load_id,
    isa_segment,
    gs_segment,
    gs_elements,
    functional_id_code,
    gs_sender_id,
    gs_receiver_id,
    group_control_number,
    gs_version,
    ge_segment,
    ge_set_count,
    ge_control_number,
    set_count,
    last_segment,
    source_file,
    file_business_date,
    interchange_number,
    sender_qualifier,
    sender_id,
    isa_control_number,
    partner_id,
    partner_is_active,
    customer_id
from final
