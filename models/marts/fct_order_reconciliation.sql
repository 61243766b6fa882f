-- One row per POS order: is it in the OMS? (contract sections 6 and 7)
-- The public face of int_order_reconciliation, which a build updates incrementally:
-- a view, so that BI tools and dbt show read every order. The aging columns are measured
-- here, against the reconciliation's horizon (int_reconciliation_horizon), so that every
-- order's age moves on when a new OMS date arrives, recomputed or not.
{{ config(materialized = 'view') }}

with

reconciliation as (
    select * from {{ ref('int_order_reconciliation') }}
),

horizon as (
    select * from {{ ref('int_reconciliation_horizon') }}
),

missing as (
    select
        reconciliation.*,
        case
            when reconciliation.recon_status = 'missing_in_oms'
                then coalesce(reconciliation.ordered_at, cast(reconciliation.business_date as timestamp))
        end as missing_since
    from reconciliation
),

aged as (
    select
        missing.*,
        -- days from missing_since to the horizon, never negative (an order rung up after the
        -- OMS's latest date is not late yet); null while no OMS file is loaded
        case
            when missing.missing_since is not null and horizon.as_of is not null
                then cast(
                    greatest(0, ({{ epoch_seconds('horizon.as_of') }} - {{ epoch_seconds('missing.missing_since') }}) / 86400) as decimal(9, 2)
                )
        end as missing_age_days,
        horizon.grace_days
    from missing
    cross join horizon
),

final as (
    select
        order_id,
        delivered_order_id,
        business_date,
        store_id,
        ordered_at,
        currency,
        line_count,
        pos_order_total,
        recon_status,
        oms_order_id,
        oms_match_count,
        is_late_match,
        has_amount_mismatch,
        has_validation_errors,
        oms_order_total,
        oms_order_status,
        oms_created_at,
        oms_business_date,
        pos_source_file,
        oms_source_file,
        oms_source_line,
        order_key,
        missing_since,
        missing_age_days,
        coalesce(missing_age_days < grace_days, false) as is_within_grace,
        match_method,
        has_store_mismatch,
        has_currency_mismatch,
        oms_store_id,
        oms_currency
    from aged
)

select * from final
