-- The lines of the notifications to the OMS team: one row per POS order missing in the
-- OMS, one notification per business date, numbered by store, time and order number (the
-- order of the operations report's missing-orders list). An order within its grace window
-- (fct_order_reconciliation.is_within_grace) is not chased yet: it joins the list once the OMS
-- has reported the day after it and still does not carry it.
-- Incremental by business date (macro notification_dates): a build recomputes the dates
-- whose deliveries, orders or grace window changed; the other dates' rows stand, so a daily
-- build does not read every order and finding of history.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'notification_dates'}}
) }}
{#- what notification_dates reads, referenced whatever the branch, so that dbt sees it when it parses the model -#}
{%- set date_inputs = [ref('stg_loader__file_versions'), ref('int_reconciliation_horizon')] %}

with

missing as (
    select * from {{ ref('fct_order_reconciliation') }}
    where
        recon_status = 'missing_in_oms'
        and not is_within_grace
        and {{ in_recompute_scope(date='business_date') }}
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
