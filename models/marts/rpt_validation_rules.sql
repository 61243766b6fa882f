-- Every rule of the catalogue, whether it ran, and what it found. A reference
-- check with no snapshot loaded shows as skipped here instead of failing rows.
with

rules as (
    select * from {{ ref('order_validation_rules') }}
),

snapshots as (
    select * from {{ ref('int_reference_snapshots') }}
),

rule_snapshot as (
    select
        rule_id,
        case
            when rule_id in ('pos_store_known', 'pos_store_active') then 'stores'
            when rule_id in ('pos_sku_known', 'pos_sku_active') then 'products'
            when rule_id in ('pos_customer_known', 'pos_credit_limit') then 'customers'
            when rule_id = 'pos_unit_price_list' then 'prices'
            when rule_id = 'pos_stock_available' then 'stock'
        end as snapshot_kind
    from rules
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
            when rule_snapshot.snapshot_kind is not null and not snapshots.is_loaded then 'skipped'
            else 'active'
        end as rule_status,
        case
            when not rules.is_enabled then 'switched off in seeds/order_validation_rules.csv'
            when rule_snapshot.snapshot_kind is not null and not snapshots.is_loaded
                then
                    'no ' || rule_snapshot.snapshot_kind || ' snapshot loaded yet (reference/'
                    || rule_snapshot.snapshot_kind || '.csv)'
        end as status_reason,
        cast(coalesce(findings.failing_records, 0) as bigint) as failing_records,
        rules.description,
        rules.contract_reference
    from rules
    left join rule_snapshot on rules.rule_id = rule_snapshot.rule_id
    left join snapshots on rule_snapshot.snapshot_kind = snapshots.snapshot_kind
    left join findings on rules.rule_id = findings.rule_id
)

select * from final
