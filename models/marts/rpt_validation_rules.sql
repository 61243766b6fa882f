-- Every rule of the catalogue, whether it ran, and what it found. A reference
-- check with no snapshot loaded shows as skipped here instead of failing rows; which
-- snapshot a rule needs is the seed's needs_snapshot.
with

rules as (
    select * from {{ ref('order_validation_rules') }}
),

snapshots as (
    select * from {{ ref('int_reference_snapshots') }}
),

findings as (
    select
        rule_id,
        count(*) as failing_records,
        min(business_date) as first_business_date,
        max(business_date) as last_business_date
    from {{ ref('fct_validation_errors') }}
    group by rule_id
),

final as (
    select
        rules.rule_id,
        rules.source_system,
        rules.field_name,
        rules.category,
        rules.severity,
        rules.is_enabled,
        case
            when not rules.is_enabled then 'disabled'
            when rules.needs_snapshot is not null and not snapshots.is_loaded then 'skipped'
            else 'active'
        end as rule_status,
        case
            when not rules.is_enabled then 'switched off in seeds/order_validation_rules.csv'
            when rules.needs_snapshot is not null and not snapshots.is_loaded
                then
                    'no ' || rules.needs_snapshot || ' snapshot loaded yet (reference/'
                    || rules.needs_snapshot || '.csv)'
        end as status_reason,
        cast(coalesce(findings.failing_records, 0) as bigint) as failing_records,
        rules.description,
        rules.contract_reference
    from rules
    left join snapshots on rules.needs_snapshot = snapshots.snapshot_kind
    left join findings on rules.rule_id = findings.rule_id
)

select * from final
