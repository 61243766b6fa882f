-- rpt_reconciliation_summary adds up to fct_order_reconciliation, date by date,
-- and matched + missing = POS orders. Returns the dates that do not agree. Checks
-- the business dates the build recounted (those int_reconciliation_daily recounts),
-- every date on a full rebuild and with --vars '{check_all_history: true}'
-- (in_tested_scope): the other dates' orders and counts were not written since.
{%- set recounted = in_tested_scope({'keys': ['pos_order', 'oms_source']}, date='business_date') %}
with

from_mart as (
    select
        business_date,
        count(*) as pos_orders,
        count(*) filter (where recon_status = 'matched') as matched_orders,
        count(*) filter (where recon_status = 'missing_in_oms') as missing_orders
    from {{ ref('fct_order_reconciliation') }}
    where {{ recounted }}
    group by business_date
),

summary as (
    select * from {{ ref('rpt_reconciliation_summary') }}
    where {{ recounted }}
),

compared as (
    select
        coalesce(summary.business_date, from_mart.business_date) as business_date,
        summary.pos_orders as summary_pos_orders,
        coalesce(from_mart.pos_orders, 0) as mart_pos_orders,
        summary.matched_orders as summary_matched,
        coalesce(from_mart.matched_orders, 0) as mart_matched,
        summary.missing_orders as summary_missing,
        coalesce(from_mart.missing_orders, 0) as mart_missing
    from summary
    full outer join from_mart on summary.business_date = from_mart.business_date
)

select * from compared
where
    summary_pos_orders is distinct from mart_pos_orders
    or summary_matched is distinct from mart_matched
    or summary_missing is distinct from mart_missing
    or summary_matched + summary_missing <> summary_pos_orders
