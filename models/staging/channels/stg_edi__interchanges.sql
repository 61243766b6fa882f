-- One row per interchange (ISA ... IEA) of the current EDI files: its header and trailer
-- elements as delivered, the delimiters it declares, and what it holds.
with

segments as (
    select * from {{ ref('stg_edi__segments') }}
),

final as (
    select
        load_id,
        any_value(source_file) as source_file,
        any_value(file_business_date) as file_business_date,
        interchange_number,
        isa_segment,
        max(segment_number) as last_segment,
        any_value(elements) filter (where segment_id = 'ISA') as isa_elements,
        trim(any_value(elements[6]) filter (where segment_id = 'ISA')) as sender_qualifier,
        trim(any_value(elements[7]) filter (where segment_id = 'ISA')) as sender_id,
        trim(any_value(elements[9]) filter (where segment_id = 'ISA')) as receiver_id,
        any_value(elements[13]) filter (where segment_id = 'ISA') as isa_version,
        any_value(elements[14]) filter (where segment_id = 'ISA') as isa_control_number,
        min(segment_number) filter (where segment_id = 'IEA') as iea_segment,
        arg_min(elements[2], segment_number) filter (where segment_id = 'IEA') as iea_group_count,
        arg_min(elements[3], segment_number) filter (where segment_id = 'IEA') as iea_control_number,
        count(*) filter (where segment_id = 'GS') as group_count,
        any_value(element_separator) as element_separator,
        any_value(component_separator) as component_separator,
        any_value(repetition_separator) as repetition_separator,
        any_value(segment_terminator) as segment_terminator
    from segments
    group by load_id, interchange_number, isa_segment
)

select * from final
