-- The 997 functional acknowledgement of every functional group received in the current EDI
-- files: one row per group, with the complete 997 interchange to send back (sender and
-- receiver swapped, the delimiters of the received interchange). A group with an envelope
-- error of its own or of its interchange, or from an unknown or inactive partner, is rejected
-- (AK9 R) and so are all its sets; otherwise each set with an error is rejected (AK5 R, the
-- AK502 code) and the group is accepted with errors (E) or, with no set left, rejected.
-- The 997 is dated as the interchange it answers and its control numbers derive from the
-- group's identity, so a rebuild gives the same text and python -m recon_tools.acknowledge
-- sends it once.
-- Incremental by business date (macro channel_dates), as the other channel models.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

with

groups as (
    select * from {{ ref('stg_edi__groups') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

interchanges as (
    select * from {{ ref('stg_edi__interchanges') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

sets as (
    select * from {{ ref('stg_edi__transaction_sets') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

issues as (
    select * from {{ ref('int_edi_envelope_issues') }}
    where {{ in_recompute_scope(date='business_date') }}
),

group_problems as (
    select
        groups.load_id,
        groups.gs_segment,
        -- the distinct codes in order, comma-separated
        {{ ordered_agg('issues.ack_code', "','", 'issues.ack_code', distinct=true) }} as ak9_codes,
        {{ ordered_agg('issues.message', "'; '", 'issues.segment_number, issues.rule_id') }} as reasons
    from groups
    inner join issues
        on
            groups.load_id = issues.load_id
            and groups.isa_segment = issues.isa_segment
            and (issues.scope = 'interchange' or groups.gs_segment = issues.gs_segment)
            and issues.scope in ('interchange', 'group')
    group by groups.load_id, groups.gs_segment
),

set_problems as (
    select
        load_id,
        st_segment,
        {{ ordered_agg('ack_code', "','", 'ack_code', distinct=true) }} as ak5_codes,
        {{ ordered_agg('message', "'; '", 'segment_number, rule_id') }} as reasons
    from issues
    where scope = 'set'
    group by load_id, st_segment
),

set_results as (
    select
        sets.load_id,
        sets.gs_segment,
        sets.st_segment,
        sets.transaction_set_id,
        sets.set_control_number,
        set_problems.st_segment is null and group_problems.gs_segment is null as is_accepted,
        set_problems.ak5_codes,
        'set ' || coalesce(sets.set_control_number, '(no ST02)') || ': ' || set_problems.reasons as reasons
    from sets
    left join set_problems on sets.load_id = set_problems.load_id and sets.st_segment = set_problems.st_segment
    left join group_problems on sets.load_id = group_problems.load_id and sets.gs_segment = group_problems.gs_segment
),

delimiters as (
    select
        load_id,
        isa_segment,
        isa_elements,
        element_separator as e,
        segment_terminator || case when segment_terminator in (chr(10), chr(13)) then '' else chr(10) end as t
    from interchanges
),

set_segments as (
    select
        groups.load_id,
        groups.gs_segment,
        count(set_results.st_segment) as sets_received,
        count(set_results.st_segment) filter (where set_results.is_accepted) as sets_accepted,
        {%- set ak2_ak5 -%}
            concat_ws(
                delimiters.e, 'AK2', coalesce(set_results.transaction_set_id, ''),
                coalesce(set_results.set_control_number, '')
            )
            || delimiters.t
            || concat_ws(
                delimiters.e, 'AK5', case when set_results.is_accepted then 'A' else 'R' end,
                replace(set_results.ak5_codes, ',', delimiters.e)
            )
            || delimiters.t
        {%- endset %}
        coalesce({{ ordered_agg(ak2_ak5, "''", 'set_results.st_segment') }}, '') as ak2_ak5,
        nullif({{ ordered_agg('set_results.reasons', "'; '", 'set_results.st_segment') }}, '') as set_reasons
    from groups
    inner join delimiters on groups.load_id = delimiters.load_id and groups.isa_segment = delimiters.isa_segment
    left join set_results on groups.load_id = set_results.load_id and groups.gs_segment = set_results.gs_segment
    group by groups.load_id, groups.gs_segment
),

counted as (
    select
        groups.*,
        delimiters.isa_elements,
        delimiters.e,
        delimiters.t,
        group_problems.ak9_codes,
        group_problems.reasons as group_reasons,
        set_segments.sets_received,
        set_segments.sets_accepted,
        set_segments.ak2_ak5,
        set_segments.set_reasons,
        md5(groups.load_id || ':' || groups.gs_segment) as ack_id,
        -- a 9-digit control number of the 997's interchange and group, from the group's identity
        cast({{ md5_number_mod("groups.load_id || ':' || groups.gs_segment", 999999999) }} + 1 as bigint) as ack_control
    from groups
    inner join delimiters on groups.load_id = delimiters.load_id and groups.isa_segment = delimiters.isa_segment
    inner join set_segments on groups.load_id = set_segments.load_id and groups.gs_segment = set_segments.gs_segment
    left join group_problems on groups.load_id = group_problems.load_id and groups.gs_segment = group_problems.gs_segment
),

statused as (
    select
        *,
        case
            when group_reasons is not null or (sets_received > 0 and sets_accepted = 0) then 'R'
            when sets_accepted < sets_received then 'E'
            else 'A'
        end as group_status,
        coalesce(try_cast(ge_set_count as integer), sets_received) as sets_included
    from counted
),

texts as (
    select
        *,
        -- the segments joined with chr(31), which final replaces by the terminator
        concat_ws(
            chr(31),
            concat_ws(
                e, 'ISA', '00', '          ', '00', '          ', {{ list_item('isa_elements', 8) }}, {{ list_item('isa_elements', 9) }},
                {{ list_item('isa_elements', 6) }}, {{ list_item('isa_elements', 7) }}, {{ list_item('isa_elements', 10) }}, {{ list_item('isa_elements', 11) }}, {{ list_item('isa_elements', 12) }},
                {{ list_item('isa_elements', 13) }}, lpad(cast(ack_control as string), 9, '0'), '0', {{ list_item('isa_elements', 16) }},
                {{ list_item('isa_elements', 17) }}
            ),
            concat_ws(
                e, 'GS', 'FA', {{ list_item('gs_elements', 4) }}, {{ list_item('gs_elements', 3) }}, {{ list_item('gs_elements', 5) }}, {{ list_item('gs_elements', 6) }},
                cast(ack_control as string), 'X', {{ list_item('gs_elements', 9) }}
            ),
            concat_ws(e, 'ST', '997', '0001'),
            concat_ws(e, 'AK1', coalesce(functional_id_code, ''), coalesce(group_control_number, ''))
        ) as head,
        concat_ws(
            e, 'AK9', group_status, cast(sets_included as string), cast(sets_received as string),
            cast(case when group_status = 'R' then 0 else sets_accepted end as string),
            replace(ak9_codes, ',', e)
        ) as ak9
    from statused
),

final as (
    select
        ack_id,
        load_id,
        source_file,
        file_business_date as business_date,
        partner_id,
        sender_id,
        coalesce(partner_id, sender_id) as recipient,
        isa_control_number as interchange_control_number,
        group_control_number,
        functional_id_code,
        cast(sets_included as integer) as transaction_sets_included,
        cast(sets_received as integer) as transaction_sets_received,
        cast(case when group_status = 'R' then 0 else sets_accepted end as integer) as transaction_sets_accepted,
        group_status,
        nullif(concat_ws('; ', group_reasons, set_reasons), '') as reasons,
        lpad(cast(ack_control as string), 9, '0') as ack_control_number,
        replace(head, chr(31), t) || t
        || coalesce(ak2_ak5, '')
        || ak9 || t
        || concat_ws(e, 'SE', cast(4 + 2 * sets_received as string), '0001') || t
        || concat_ws(e, 'GE', '1', cast(ack_control as string)) || t
        || concat_ws(e, 'IEA', '1', lpad(cast(ack_control as string), 9, '0')) || t as ack_text
    from texts
)

select
    *,
    md5(ack_text) as content_hash
from final
