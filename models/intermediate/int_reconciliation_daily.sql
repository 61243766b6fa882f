-- int_order_reconciliation counted per POS business date, for the summary.
-- Incremental: a build recounts only the business dates whose orders
-- int_order_reconciliation recomputed (those of the POS deliveries that mention a
-- changed order number), or every date when it recomputes every order; the other
-- dates' counts stand, so a daily build does not read every order of history. The
-- recompute strategy deletes the dates it recounts: a date whose orders all went away (a
-- corrected POS file) does not keep its old counts.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'keys': ['pos_order', 'oms_source'], 'date': 'business_date'}}
) }}

with

orders as (
    select * from {{ ref('int_order_reconciliation') }}
    where {{ in_recompute_scope(date='business_date') }}
),

final as (
    select
        business_date,
        count(*) as pos_orders,
        count(*) filter (where recon_status = 'matched') as matched_orders,
        count(*) filter (where recon_status = 'missing_in_oms') as missing_orders,
        count(*) filter (where is_late_match) as late_matches,
        count(*) filter (where oms_match_count > 1) as duplicate_matches,
        count(*) filter (where has_amount_mismatch) as amount_mismatches,
        count(*) filter (where has_store_mismatch) as store_mismatches,
        count(*) filter (where has_currency_mismatch) as currency_mismatches,
        count(*) filter (where match_method = 'normalized') as normalized_matches,
        count(*) filter (where has_validation_errors) as orders_with_validation_errors,
        sum(pos_order_total) as pos_order_value,
        sum(pos_order_total) filter (where recon_status = 'missing_in_oms') as missing_order_value
    from orders
    group by business_date
)

select * from final
