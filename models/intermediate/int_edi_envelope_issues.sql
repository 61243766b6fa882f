-- Every envelope problem of the current EDI files, once, at the envelope it concerns: an
-- interchange (ISA ... IEA), a functional group (GS ... GE) or a transaction set (ST ... SE).
-- int_edi_envelope_failures turns them into findings on the orders they invalidate, and
-- marts.rpt_edi_acknowledgements into the 997 that answers each group. ack_code is the X12
-- 997 code: AK502 for a set, AK905 for a group (null where X12 has none).
-- Only the enabled rules of the catalogue (seeds/order_validation_rules.csv) count.
with

interchanges as (
    select * from {{ ref('stg_edi__interchanges') }}
),

groups as (
    select * from {{ ref('stg_edi__groups') }}
),

sets as (
    select * from {{ ref('stg_edi__transaction_sets') }}
),

rules as (
    select rule_id from {{ ref('order_validation_rules') }}
    where is_enabled
),

interchange_issues as (
    select
        load_id,
        'interchange' as scope,
        isa_segment,
        cast(null as bigint) as gs_segment,
        cast(null as bigint) as st_segment,
        'edi_interchange_incomplete' as rule_id,
        'IEA' as field_name,
        cast(null as varchar) as failed_value,
        'the interchange of segment ' || isa_segment || ' (ISA13 ' || isa_control_number
        || ') has no IEA: the file ends at segment ' || last_segment || ', cut short' as message,
        last_segment as segment_number,
        cast(null as varchar) as ack_code
    from interchanges
    where iea_segment is null
    union all
    select
        load_id,
        'interchange',
        isa_segment,
        null,
        null,
        'edi_interchange_control_match',
        'IEA02',
        iea_control_number,
        'IEA02 ' || coalesce(iea_control_number, '(empty)') || ' differs from ISA13 '
        || isa_control_number || ' of segment ' || isa_segment,
        iea_segment,
        null
    from interchanges
    where iea_segment is not null and iea_control_number is distinct from isa_control_number
    union all
    select
        load_id,
        'interchange',
        isa_segment,
        null,
        null,
        'edi_version_supported',
        'ISA12',
        isa_version,
        'ISA12 ' || coalesce(isa_version, '(empty)') || ' is no supported version (00401, 00501)',
        isa_segment,
        null
    from interchanges
    where isa_version is null or isa_version not in ('00401', '00501')
),

group_issues as (
    select
        load_id,
        'group' as scope,
        isa_segment,
        gs_segment,
        cast(null as bigint) as st_segment,
        'edi_group_control_match' as rule_id,
        'GE02' as field_name,
        ge_control_number as failed_value,
        case
            when ge_segment is null
                then 'the group of segment ' || gs_segment || ' (GS06 ' || group_control_number
                    || ') has no GE: it ends at segment ' || last_segment || ', cut short'
            else 'GE02 ' || coalesce(ge_control_number, '(empty)') || ' differs from GS06 '
                || group_control_number || ' of segment ' || gs_segment
        end as message,
        coalesce(ge_segment, last_segment) as segment_number,
        case when ge_segment is null then '3' else '4' end as ack_code
    from groups
    where ge_segment is null or ge_control_number is distinct from group_control_number
    union all
    select
        load_id,
        'group',
        isa_segment,
        gs_segment,
        null,
        'edi_group_count',
        'GE01',
        ge_set_count,
        'GE01 says ' || coalesce(ge_set_count, '(empty)') || ' transaction sets, the group holds ' || set_count,
        ge_segment,
        '5'
    from groups
    where ge_segment is not null and try_cast(ge_set_count as bigint) is distinct from set_count
    union all
    select
        load_id,
        'group',
        isa_segment,
        gs_segment,
        null,
        'edi_partner_known',
        'ISA06',
        sender_id,
        case
            when partner_id is null
                then 'the sender ' || coalesce(sender_qualifier || ':', '') || coalesce(sender_id, '(empty)')
                    || ' (GS02 ' || coalesce(gs_sender_id, '(empty)')
                    || ') is no trading partner of reference/partners.csv'
            else 'the trading partner ' || partner_id || ' is not active in reference/partners.csv'
        end,
        isa_segment,
        null
    from groups
    where partner_id is null or not partner_is_active
    union all
    select
        load_id,
        'group',
        isa_segment,
        gs_segment,
        null,
        'edi_version_supported',
        'GS08',
        gs_version,
        'GS08 ' || coalesce(gs_version, '(empty)') || ' is no supported version (004010, 005010)',
        gs_segment,
        '2'
    from groups
    where gs_version is null or left(gs_version, 6) not in ('004010', '005010')
),

set_issues as (
    select
        load_id,
        'set' as scope,
        isa_segment,
        gs_segment,
        st_segment,
        'edi_transaction_control_match' as rule_id,
        'SE02' as field_name,
        se_control_number as failed_value,
        case
            when se_segment is null
                then 'the transaction set of segment ' || st_segment || ' (ST02 ' || set_control_number
                    || ') has no SE: cut short'
            else 'SE02 ' || coalesce(se_control_number, '(empty)') || ' differs from ST02 '
                || set_control_number || ' of segment ' || st_segment
        end as message,
        coalesce(se_segment, st_segment) as segment_number,
        case when se_segment is null then '2' else '3' end as ack_code
    from sets
    where se_segment is null or se_control_number is distinct from set_control_number
    union all
    select
        load_id,
        'set',
        isa_segment,
        gs_segment,
        st_segment,
        'edi_transaction_segment_count',
        'SE01',
        se_segment_count,
        'SE01 says ' || coalesce(se_segment_count, '(empty)') || ' segments, the transaction set has '
        || segment_count || ' (ST to SE)',
        se_segment,
        '4'
    from sets
    where se_segment is not null and try_cast(se_segment_count as bigint) is distinct from segment_count
    union all
    select
        load_id,
        'set',
        isa_segment,
        gs_segment,
        st_segment,
        'edi_line_count',
        'CTT01',
        ctt_line_count,
        'CTT01 says ' || coalesce(ctt_line_count, '(empty)') || ' lines, the purchase order has '
        || po1_count || ' PO1 segments',
        ctt_segment,
        '5'
    from sets
    where ctt_segment is not null and try_cast(ctt_line_count as bigint) is distinct from po1_count
    union all
    select
        load_id,
        'set',
        isa_segment,
        gs_segment,
        st_segment,
        'edi_transaction_set_supported',
        'ST01',
        transaction_set_id,
        'ST01 ' || coalesce(transaction_set_id, '(empty)') || ' is not a purchase order (850)',
        st_segment,
        '1'
    from sets
    where transaction_set_id is distinct from '850'
),

issues as (
    select * from interchange_issues
    union all
    select * from group_issues
    union all
    select * from set_issues
),

final as (
    select
        issues.load_id,
        interchanges.source_file,
        interchanges.file_business_date as business_date,
        issues.scope,
        issues.isa_segment,
        issues.gs_segment,
        issues.st_segment,
        issues.rule_id,
        issues.field_name,
        issues.failed_value,
        issues.message,
        issues.segment_number,
        issues.ack_code
    from issues
    inner join rules on issues.rule_id = rules.rule_id
    inner join interchanges
        on issues.load_id = interchanges.load_id and issues.isa_segment = interchanges.isa_segment
)

select * from final
