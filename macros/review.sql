{% macro review_decided_records(source_system) %}
    {#- The CTEs by which a validated layer honours reviewers' decisions (int_review_decisions)
        for one source system: `decisions` (applied ones), `blocking` (records with an error
        finding no approval or correction lifts), `rejected_records` and `lineage` (per
        record: the approving or correcting decisions, review_*). One place for the rule, so
        the POS and OMS layers cannot decide differently. Follow it with `,`. -#}
failures as (
    select * from {{ ref('int_validation_failures') }}
    where source_system = '{{ source_system }}'
),

decisions as (
    select * from {{ ref('int_review_decisions') }}
    where decision_status = 'applied' and item_source_system = '{{ source_system }}'
),

-- error findings no approval or correction lifts
blocking as (
    select distinct failures.record_id
    from failures
    anti join decisions
        on
            failures.record_id = decisions.item_record_id
            and failures.rule_id = decisions.item_rule_id
            and decisions.decision_action in ('approve', 'correct')
    where failures.severity = 'error'
),

rejected_records as (
    select distinct item_record_id as record_id
    from decisions
    where decision_action = 'reject'
),

lineage as (
    select
        item_record_id as record_id,
        {{ ordered_agg('decision_id', "', '", 'decision_id') }} as review_decision_id,
        {{ ordered_agg('decision_action', "', '", 'decision_action', distinct=true) }} as review_action,
        {{ ordered_agg('item_field_name', "', '", 'decision_id') }} filter (where decision_action = 'correct') as review_corrected_field,
        {{ ordered_agg('corrected_value', "', '", 'decision_id') }} filter (where decision_action = 'correct') as review_corrected_value
    from decisions
    where decision_action in ('approve', 'correct')
    group by item_record_id
)
{%- endmacro %}
