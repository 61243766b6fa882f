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
        any_value(elements) filter (where segment_id = 'GS') as gs_elements,
        any_value(elements[2]) filter (where segment_id = 'GS') as functional_id_code,
        trim(any_value(elements[3]) filter (where segment_id = 'GS')) as gs_sender_id,
        trim(any_value(elements[4]) filter (where segment_id = 'GS')) as gs_receiver_id,
        any_value(elements[7]) filter (where segment_id = 'GS') as group_control_number,
        any_value(elements[9]) filter (where segment_id = 'GS') as gs_version,
        min(segment_number) filter (where segment_id = 'GE') as ge_segment,
        arg_min(elements[2], segment_number) filter (where segment_id = 'GE') as ge_set_count,
        arg_min(elements[3], segment_number) filter (where segment_id = 'GE') as ge_control_number,
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

select * from final
