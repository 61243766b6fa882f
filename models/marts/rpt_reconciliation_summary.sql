-- One row per business date with a POS or OMS file loaded: how many POS
-- orders reached the OMS. Adds up to fct_order_reconciliation.
-- Missing orders within their grace window are counted apart (missing_within_grace, a
-- part of missing_orders): they depend on the horizon, which moves with every new OMS
-- date, so they are counted here from the mart, over the dates near the horizon only.
{%- set horizon_relation = ref('int_reconciliation_horizon') %}
{%- set grace_start = database_value(
    horizon_relation,
    "select coalesce(cast(cast(as_of - " ~ days_interval('cast(ceil(grace_days) as integer) + 1') ~ " as date) as string), "
    ~ "'0001-01-01') from " ~ horizon_relation,
    '0001-01-01'
) %}
with

files as (
    select
        business_date,
        coalesce(bool_or(file_kind = 'pos_orders' and is_current_version), false) as has_pos_file,
        coalesce(bool_or(file_kind = 'oms_orders' and is_current_version), false) as has_oms_file,
        count(*) filter (where is_latest_attempt and status = 'rejected') as rejected_files
    from {{ ref('stg_loader__file_versions') }}
    where business_date is not null and (is_current_version or (is_latest_attempt and status = 'rejected'))
    group by business_date
),

orders as (
    select * from {{ ref('int_reconciliation_daily') }}
),

-- An order within grace was rung up after (horizon - grace); its business date is at most
-- a day before its UTC time, so older dates are not read: the bound is a literal, so that
-- the scan skips their row groups.
within_grace as (
    select
        orders.business_date,
        count(*) as missing_within_grace
    from {{ ref('fct_order_reconciliation') }} as orders
    where
        orders.is_within_grace
        and orders.business_date >= date '{{ grace_start }}'
    group by orders.business_date
),

unmatched_oms as (
    select
        business_date,
        count(*) as oms_unmatched_orders
    from {{ ref('fct_oms_unmatched_orders') }}
    group by business_date
),

errors as (
    select
        business_date,
        count(*) filter (where severity = 'error') as validation_errors,
        count(*) filter (where severity = 'warn') as validation_warnings
    from {{ ref('fct_validation_errors') }}
    where business_date is not null
    group by business_date
),

final as (
    select
        files.business_date,
        files.has_pos_file,
        files.has_oms_file,
        cast(files.rejected_files as bigint) as rejected_files,
        cast(coalesce(orders.pos_orders, 0) as bigint) as pos_orders,
        cast(coalesce(orders.matched_orders, 0) as bigint) as matched_orders,
        cast(coalesce(orders.missing_orders, 0) as bigint) as missing_orders,
        cast(
            case
                when coalesce(orders.pos_orders, 0) > 0
                    then orders.matched_orders / orders.pos_orders
            end as decimal(7, 4)
        ) as match_rate,
        cast(coalesce(orders.late_matches, 0) as bigint) as late_matches,
        cast(coalesce(orders.duplicate_matches, 0) as bigint) as duplicate_matches,
        cast(coalesce(orders.amount_mismatches, 0) as bigint) as amount_mismatches,
        cast(coalesce(orders.orders_with_validation_errors, 0) as bigint) as orders_with_validation_errors,
        cast(coalesce(unmatched_oms.oms_unmatched_orders, 0) as bigint) as oms_unmatched_orders,
        cast(coalesce(errors.validation_errors, 0) as bigint) as validation_errors,
        cast(coalesce(errors.validation_warnings, 0) as bigint) as validation_warnings,
        cast(coalesce(orders.pos_order_value, 0) as decimal(18, 2)) as pos_order_value,
        cast(coalesce(orders.missing_order_value, 0) as decimal(18, 2)) as missing_order_value,
        cast(coalesce(within_grace.missing_within_grace, 0) as bigint) as missing_within_grace,
        cast(coalesce(orders.normalized_matches, 0) as bigint) as normalized_matches,
        cast(coalesce(orders.store_mismatches, 0) as bigint) as store_mismatches,
        cast(coalesce(orders.currency_mismatches, 0) as bigint) as currency_mismatches
    from files
    left join orders on files.business_date = orders.business_date
    left join within_grace on files.business_date = within_grace.business_date
    left join unmatched_oms on files.business_date = unmatched_oms.business_date
    left join errors on files.business_date = errors.business_date
)

select * from final
