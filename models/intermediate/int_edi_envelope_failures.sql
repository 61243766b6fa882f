-- The envelope checks of EDI files (rules edi_*, docs/channels.md) as findings: one per
-- purchase order an envelope problem invalidates (every order of an interchange, a group or a
-- transaction set), with the order's id and the record_id of its first line in
-- stg_edi__order_lines, so that the validated layer drops the whole order. A problem that
-- concerns no order (a group without transaction sets, a set that is no 850) is one finding
-- on the segment where it shows (record_id load_id:segment:N).
-- Incremental by business date (macro channel_dates), as the other channel models.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

with

issues as (
    select * from {{ ref('int_edi_envelope_issues') }}
    where {{ in_recompute_scope(date='business_date') }}
),

orders as (
    select
        load_id,
        isa_segment,
        gs_segment,
        st_segment,
        load_id || ':segment:' || coalesce(first_po1_segment, st_segment) as record_id
    from {{ ref('stg_edi__transaction_sets') }}
    where transaction_set_id = '850' and {{ channel_scope('file_business_date', 'load_id') }}
),

order_ids as (
    select distinct
        record_id,
        order_id,
        order_key
    from {{ ref('stg_edi__order_lines') }}
    where {{ channel_scope('file_business_date', 'load_id') }}
),

affected as (
    select
        issues.*,
        orders.record_id as order_record_id
    from issues
    left join orders
        on
            issues.load_id = orders.load_id
            and issues.isa_segment = orders.isa_segment
            and (issues.scope = 'interchange' or issues.gs_segment = orders.gs_segment)
            and (issues.scope in ('interchange', 'group') or issues.st_segment = orders.st_segment)
),

final as (
    select
        'EDI' as source_system,
        coalesce(affected.order_record_id, affected.load_id || ':segment:' || affected.segment_number) as record_id,
        affected.load_id,
        affected.source_file,
        affected.segment_number as source_line,
        affected.business_date,
        order_ids.order_id,
        order_ids.order_key,
        affected.rule_id,
        affected.field_name,
        affected.failed_value,
        affected.message,
        'segment ' || affected.segment_number as source_position
    from affected
    left join order_ids on affected.order_record_id = order_ids.record_id
    -- a rule found on both the interchange and the group (a version) is one finding per order
    qualify row_number() over (partition by record_id, affected.rule_id order by affected.segment_number) = 1
)

select * from final
