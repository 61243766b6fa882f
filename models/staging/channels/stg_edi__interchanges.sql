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
        {{ any_where('elements', "segment_id = 'ISA'") }} as isa_elements,
        trim({{ any_where(list_item('elements', 6), "segment_id = 'ISA'") }}) as sender_qualifier,
        trim({{ any_where(list_item('elements', 7), "segment_id = 'ISA'") }}) as sender_id,
        trim({{ any_where(list_item('elements', 9), "segment_id = 'ISA'") }}) as receiver_id,
        {{ any_where(list_item('elements', 13), "segment_id = 'ISA'") }} as isa_version,
        {{ any_where(list_item('elements', 14), "segment_id = 'ISA'") }} as isa_control_number,
        min(segment_number) filter (where segment_id = 'IEA') as iea_segment,
        {{ first_by(list_item('elements', 2), 'segment_number', "segment_id = 'IEA'") }} as iea_group_count,
        {{ first_by(list_item('elements', 3), 'segment_number', "segment_id = 'IEA'") }} as iea_control_number,
        count(*) filter (where segment_id = 'GS') as group_count,
        any_value(element_separator) as element_separator,
        any_value(component_separator) as component_separator,
        any_value(repetition_separator) as repetition_separator,
        any_value(segment_terminator) as segment_terminator
    from segments
    group by load_id, interchange_number, isa_segment
)

select * from final
