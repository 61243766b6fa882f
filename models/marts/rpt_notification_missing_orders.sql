-- The lines of the notifications to the OMS team: one row per POS order missing in the
-- OMS, one notification per business date, numbered by store, time and order number (the
-- order of the operations report's missing-orders list). An order within its grace window
-- (fct_order_reconciliation.is_within_grace) is not chased yet: it joins the list once the OMS
-- has reported the day after it and still does not carry it.
with

missing as (
    select * from {{ ref('fct_order_reconciliation') }}
    where recon_status = 'missing_in_oms' and not is_within_grace
),

final as (
    select
        {{ notification_id("'OMS_TEAM'", "'missing_orders'", 'business_date') }} as notification_id,
        cast(row_number() over (
            partition by business_date
            order by store_id nulls last, ordered_at nulls last, order_id
        ) as bigint) as item_number,
        'OMS_TEAM' as recipient,
        business_date,
        store_id,
        order_id,
        delivered_order_id,
        ordered_at as ordered_at_utc,
        pos_order_total,
        currency,
        has_validation_errors,
        pos_source_file
    from missing
)

select * from final
