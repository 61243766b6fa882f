-- The error layer as people read it: one row per failing record and rule
-- (contract section 7), file rejections included (category processing), and review decisions
-- dbt refused (int_review_decision_failures: judged against the error history, which
-- int_validation_failures feeds, so they join the error layer here).
-- A view over int_validation_failures, which a build updates incrementally: BI tools and
-- dbt show read every finding.
{{ config(materialized = 'view') }}

with

failures as (
    {{ union_relations_by_name([ref('int_validation_failures'), ref('int_review_decision_failures')]) }}
),

final as (
    select
        error_id,
        source_system,
        source_file,
        source_line,
        load_id,
        business_date,
        order_id,
        rule_id,
        field_name,
        category,
        severity,
        failed_value,
        message,
        order_key,
        record_key,
        source_position
    from failures
)

select * from final
