-- One row per channel and business date: how many of the channel's orders reached the OMS.
-- The POS rows are the POS summary's counts (int_reconciliation_daily, kept incrementally);
-- the other channels' are counted from int_channel_order_reconciliation. Adds up to
-- fct_channel_order_reconciliation.
with

pos as (
    select
        'POS' as channel,
        business_date,
        pos_orders as orders,
        matched_orders,
        missing_orders,
        late_matches,
        duplicate_matches,
        amount_mismatches,
        orders_with_validation_errors,
        pos_order_value as order_value,
        coalesce(missing_order_value, 0) as missing_order_value
    from {{ ref('int_reconciliation_daily') }}
),

channels as (
    select
        channel,
        business_date,
        count(*) as orders,
        count(*) filter (where recon_status = 'matched') as matched_orders,
        count(*) filter (where recon_status = 'missing_in_oms') as missing_orders,
        count(*) filter (where is_late_match) as late_matches,
        count(*) filter (where oms_match_count > 1) as duplicate_matches,
        count(*) filter (where has_amount_mismatch) as amount_mismatches,
        count(*) filter (where has_validation_errors) as orders_with_validation_errors,
        coalesce(sum(order_total), 0) as order_value,
        coalesce(sum(order_total) filter (where recon_status = 'missing_in_oms'), 0) as missing_order_value
    from {{ ref('int_channel_order_reconciliation') }}
    group by channel, business_date
),

unioned as (
    select * from pos
    union all
    select * from channels
),

final as (
    select
        channel,
        business_date,
        cast(orders as bigint) as orders,
        cast(matched_orders as bigint) as matched_orders,
        cast(missing_orders as bigint) as missing_orders,
        cast(case when orders > 0 then matched_orders / orders end as decimal(7, 4)) as match_rate,
        cast(late_matches as bigint) as late_matches,
        cast(duplicate_matches as bigint) as duplicate_matches,
        cast(amount_mismatches as bigint) as amount_mismatches,
        cast(orders_with_validation_errors as bigint) as orders_with_validation_errors,
        cast(order_value as decimal(18, 2)) as order_value,
        cast(missing_order_value as decimal(18, 2)) as missing_order_value
    from unioned
)

select * from final
