-- The check of review decisions: a decision dbt refuses (int_review_decisions) is a finding,
-- so that whoever sent it learns it was not applied. One finding per refused decision.
-- Not part of int_validation_failures: a decision is judged against the error history, which
-- that model feeds; marts.fct_validation_errors (the error layer as people read it) shows
-- these findings with the others.
{{ config(materialized = 'view') }}

with

rules as (
    select * from {{ ref('order_validation_rules') }}
),

refused as (
    select * from {{ ref('int_review_decisions') }}
    where decision_status = 'refused'
),

checked as (
    select
        decision_id as record_id,
        load_id,
        -- a decision made on the command line has no file
        coalesce(source_file, 'cli') as source_file,
        source_line,
        {{ failures_of([
            failure('review_decision_item_unknown', "refusal_rule_id = 'review_decision_item_unknown'",
                'error_key', 'error_key', "refusal_reason || ' (decision ' || decision_id || ')'"),
            failure('review_decision_item_closed', "refusal_rule_id = 'review_decision_item_closed'",
                'error_key', 'error_key', "refusal_reason || ' (decision ' || decision_id || ')'")
        ]) }} as failures
    from refused
),

unnested as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        {{ unnest_list("failures") }} as failure
    from checked
),

review_findings as (
    select
        'REVIEW' as source_system,
        unnested.record_id,
        unnested.load_id,
        unnested.source_file,
        unnested.source_line,
        cast(null as date) as business_date,
        cast(null as string) as order_id,
        cast(null as string) as order_key,
        cast(null as string) as record_key,
        unnested.failure.rule_id,
        unnested.failure.field_name,
        unnested.failure.failed_value,
        unnested.failure.message
    from unnested
),

final as (
    select
        md5(findings.record_id || '|' || findings.rule_id) as error_id,
        findings.source_system,
        findings.record_id,
        findings.load_id,
        findings.source_file,
        findings.source_line,
        findings.business_date,
        findings.order_id,
        findings.order_key,
        findings.record_key,
        findings.rule_id,
        findings.field_name,
        rules.category,
        rules.severity,
        findings.failed_value,
        findings.message
    from ({{ enabled_findings('review_findings') }}) as findings
    left join rules on findings.rule_id = rules.rule_id
)

select * from final
