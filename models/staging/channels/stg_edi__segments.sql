-- The segments of the current version of each EDI file, each assigned to its envelopes: the
-- interchange (ISA ... IEA), functional group (GS ... GE) and transaction set (ST ... SE) it
-- sits in, each named by the segment number of its header. A group or set whose trailer is
-- missing ends where the next header of its level or above starts, so a truncated file
-- still assigns every segment. Elements are 1-based here: elements[1] is the segment id,
-- elements[2] its element 01.
with

source as (
    select * from {{ source('edi', 'edi_segments') }}
),

current_files as (
    {{ current_loads('edi_850') }}
),

parsed as (
    select
        source._load_id as load_id,
        source._source_file as source_file,
        current_files.file_business_date,
        source._source_line as segment_number,
        cast(source.interchange_number as integer) as interchange_number,
        source.segment_id,
        {{ json_string_list('source.elements') }} as elements,
        source.element_separator,
        source.component_separator,
        source.repetition_separator,
        source.segment_terminator
    from source
    inner join current_files on source._load_id = current_files.load_id
),

headers as (
    select
        *,
        max(case when segment_id = 'ISA' then segment_number end) over running as isa_segment,
        max(case when segment_id = 'GS' then segment_number end) over running as last_gs,
        max(case when segment_id = 'GE' then segment_number end) over before as last_ge_before,
        max(case when segment_id = 'ST' then segment_number end) over running as last_st,
        max(case when segment_id = 'SE' then segment_number end) over before as last_se_before
    from parsed
    window
        running as (partition by load_id order by segment_number rows unbounded preceding),
        before as (
            partition by load_id order by segment_number
            rows between unbounded preceding and 1 preceding
        )
),

assigned as (
    select
        load_id,
        source_file,
        file_business_date,
        segment_number,
        interchange_number,
        segment_id,
        elements,
        element_separator,
        component_separator,
        repetition_separator,
        segment_terminator,
        isa_segment,
        case
            when
                segment_id not in ('ISA', 'IEA')
                and last_gs > isa_segment
                and coalesce(last_ge_before, 0) < last_gs
                then last_gs
        end as gs_segment,
        case
            when
                segment_id not in ('ISA', 'IEA', 'GS', 'GE')
                and last_st > greatest(isa_segment, coalesce(last_gs, 0))
                and coalesce(last_se_before, 0) < last_st
                then last_st
        end as st_segment
    from headers
),

final as (
    select
        *,
        -- the N1 loop a segment belongs to (N1 and its N2/N3/N4, up to the next N1 or PO1):
        -- the entity code of that N1 (ST ship-to, BT bill-to, ...)
        case
            when
                max(case when segment_id = 'N1' then segment_number end) over in_set
                > coalesce(max(case when segment_id = 'PO1' then segment_number end) over in_set, 0)
                then {{ last_non_null("case when segment_id = 'N1' then " ~ list_item('elements', 2) ~ ' end') }} over in_set
        end as n1_entity
    from assigned
    window in_set as (partition by load_id, st_segment order by segment_number rows unbounded preceding)
)

select * from final
