-- One row per transaction set (ST ... SE) of the current EDI files: its header and trailer,
-- what it holds (segments, PO1 lines), and the order-level fields of a purchase order (850)
-- as delivered text (docs/channels.md, EDI purchase orders).
with

segments as (
    select * from {{ ref('stg_edi__segments') }}
),

final as (
    select
        load_id,
        any_value(source_file) as source_file,
        any_value(file_business_date) as file_business_date,
        any_value(interchange_number) as interchange_number,
        isa_segment,
        any_value(gs_segment) as gs_segment,
        st_segment,
        {{ any_where(list_item('elements', 3), "segment_id = 'ST'") }} as set_control_number,
        min(segment_number) filter (where segment_id = 'SE') as se_segment,
        {{ first_by(list_item('elements', 2), 'segment_number', "segment_id = 'SE'") }} as se_segment_count,
        {{ first_by(list_item('elements', 3), 'segment_number', "segment_id = 'SE'") }} as se_control_number,
        count(*) as segment_count,
        min(segment_number) filter (where segment_id = 'PO1') as first_po1_segment,
        min(segment_number) filter (where segment_id = 'CTT') as ctt_segment,
        {{ first_by(list_item('elements', 2), 'segment_number', "segment_id = 'CTT'") }} as ctt_line_count,
        {{ edi_purchase_order_fields() }}
    from segments
    where st_segment is not null
    group by load_id, isa_segment, st_segment
)

select * from final
