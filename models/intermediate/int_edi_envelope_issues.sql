-- Every envelope problem of the current EDI files, once, at the envelope it concerns: an
-- interchange (ISA ... IEA), a functional group (GS ... GE) or a transaction set (ST ... SE).
-- int_edi_envelope_failures turns them into findings on the orders they invalidate, and
-- marts.rpt_edi_acknowledgements into the 997 that answers each group. ack_code is the X12
-- 997 code: AK502 for a set, AK905 for a group (null where X12 has none).
-- Only the enabled rules of the catalogue (seeds/order_validation_rules.csv) count.
-- Incremental by business date (macro channel_dates), as the other channel models.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

with

interchanges as (
    select * from {{ ref('stg_edi__interchanges') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

groups as (
    select * from {{ ref('stg_edi__groups') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

sets as (
    select * from {{ ref('stg_edi__transaction_sets') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
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
        cast(null as string) as failed_value,
        'the interchange of segment ' || isa_segment || ' (ISA13 ' || isa_control_number
        || ') has no IEA: the file ends at segment ' || last_segment || ', cut short' as message,
        last_segment as segment_number,
        cast(null as string) as ack_code
    from interchanges
    where iea_segment is null
    union all
    select
        load_id,
        'interchange' as scope,
        isa_segment,
        null as gs_segment,
        null as st_segment,
        'edi_interchange_control_match' as rule_id,
        'IEA02' as field_name,
        iea_control_number as failed_value,
        'IEA02 ' || coalesce(iea_control_number, '(empty)') || ' differs from ISA13 '
        || isa_control_number || ' of segment ' || isa_segment as message,
        iea_segment as segment_number,
        null as ack_code
    from interchanges
    where iea_segment is not null and iea_control_number is distinct from isa_control_number
    union all
    select
        load_id,
        'interchange' as scope,
        isa_segment,
        null as gs_segment,
        null as st_segment,
        'edi_version_supported' as rule_id,
        'ISA12' as field_name,
        isa_version as failed_value,
        'ISA12 ' || coalesce(isa_version, '(empty)') || ' is no supported version (00401, 00501)' as message,
        isa_segment as segment_number,
        null as ack_code
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
                then
                    'the group of segment ' || gs_segment || ' (GS06 ' || group_control_number
                    || ') has no GE: it ends at segment ' || last_segment || ', cut short'
            else
                'GE02 ' || coalesce(ge_control_number, '(empty)') || ' differs from GS06 '
                || group_control_number || ' of segment ' || gs_segment
        end as message,
        coalesce(ge_segment, last_segment) as segment_number,
        case when ge_segment is null then '3' else '4' end as ack_code
    from groups
    where ge_segment is null or ge_control_number is distinct from group_control_number
    union all
    select
        load_id,
        'group' as scope,
        isa_segment,
        gs_segment,
        null as st_segment,
        'edi_group_count' as rule_id,
        'GE01' as field_name,
        ge_set_count as failed_value,
        'GE01 says ' || coalesce(ge_set_count, '(empty)') || ' transaction sets, the group holds ' || set_count as message,
        ge_segment as segment_number,
        '5' as ack_code
    from groups
    where ge_segment is not null and try_cast(ge_set_count as bigint) is distinct from set_count
    union all
    select
        load_id,
        'group' as scope,
        isa_segment,
        gs_segment,
        null as st_segment,
        'edi_partner_known' as rule_id,
        'ISA06' as field_name,
        sender_id as failed_value,
        case
            when partner_id is null
                then
                    'the sender ' || coalesce(sender_qualifier || ':', '') || coalesce(sender_id, '(empty)')
                    || ' (GS02 ' || coalesce(gs_sender_id, '(empty)')
                    || ') is no trading partner of reference/partners.csv'
            else 'the trading partner ' || partner_id || ' is not active in reference/partners.csv'
        end as message,
        isa_segment as segment_number,
        null as ack_code
    from groups
    where partner_id is null or not partner_is_active
    union all
    select
        load_id,
        'group' as scope,
        isa_segment,
        gs_segment,
        null as st_segment,
        'edi_version_supported' as rule_id,
        'GS08' as field_name,
        gs_version as failed_value,
        'GS08 ' || coalesce(gs_version, '(empty)') || ' is no supported version (004010, 005010)' as message,
        gs_segment as segment_number,
        '2' as ack_code
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
                then
                    'the transaction set of segment ' || st_segment || ' (ST02 ' || set_control_number
                    || ') has no SE: cut short'
            else
                'SE02 ' || coalesce(se_control_number, '(empty)') || ' differs from ST02 '
                || set_control_number || ' of segment ' || st_segment
        end as message,
        coalesce(se_segment, st_segment) as segment_number,
        case when se_segment is null then '2' else '3' end as ack_code
    from sets
    where se_segment is null or se_control_number is distinct from set_control_number
    union all
    select
        load_id,
        'set' as scope,
        isa_segment,
        gs_segment,
        st_segment,
        'edi_transaction_segment_count' as rule_id,
        'SE01' as field_name,
        se_segment_count as failed_value,
        'SE01 says ' || coalesce(se_segment_count, '(empty)') || ' segments, the transaction set has '
        || segment_count || ' (ST to SE)' as message,
        se_segment as segment_number,
        '4' as ack_code
    from sets
    where se_segment is not null and try_cast(se_segment_count as bigint) is distinct from segment_count
    union all
    select
        load_id,
        'set' as scope,
        isa_segment,
        gs_segment,
        st_segment,
        'edi_line_count' as rule_id,
        'CTT01' as field_name,
        ctt_line_count as failed_value,
        'CTT01 says ' || coalesce(ctt_line_count, '(empty)') || ' lines, the purchase order has '
        || po1_count || ' PO1 segments' as message,
        ctt_segment as segment_number,
        '5' as ack_code
    from sets
    where ctt_segment is not null and try_cast(ctt_line_count as bigint) is distinct from po1_count
    union all
    select
        load_id,
        'set' as scope,
        isa_segment,
        gs_segment,
        st_segment,
        'edi_transaction_set_supported' as rule_id,
        'ST01' as field_name,
        transaction_set_id as failed_value,
        'ST01 ' || coalesce(transaction_set_id, '(empty)') || ' is not a purchase order (850)' as message,
        st_segment as segment_number,
        '1' as ack_code
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
