-- OMS orders that claim to come from the POS but match no POS order loaded so
-- far (contract section 7): an order the POS never sent, or a typo in the key.
-- Incremental: a build recomputes the rows of changed OMS deliveries and the rows
-- whose source order number a changed POS or OMS delivery mentions. Rows of purged
-- deliveries are final, until a POS order with their number arrives: then
-- int_order_reconciliation matches them (audit.kept_oms_rows) and they leave.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {
        'keys': ['pos_order', 'oms_source'], 'files': ['oms_orders'],
        'key': 'source_order_key', 'load': 'load_id', 'final': 'purged_unmatched'
    }}
) }}

with

oms_orders as (
    select * from {{ ref('int_oms_pos_orders') }}
    where {{ in_recompute_scope(key='source_order_key', load='load_id', indexed_as='oms_source') }}
),

-- The POS orders a recomputed row can match: a changed key's POS order carries the
-- business date of a POS delivery that mentions it (build_key_deliveries), or is a
-- final order of a purged date. Other dates' row groups are skipped.
pos_orders as (
    select order_key from {{ ref('int_pos_orders') }}
    where {{ in_recompute_scope(date='business_date') }} or business_date <= {{ purged_through() }}
),

final as (
    select
        oms_orders.record_id,
        oms_orders.load_id,
        oms_orders.oms_order_id,
        oms_orders.source_order_id,
        oms_orders.source_order_key,
        oms_orders.store_id,
        oms_orders.order_status,
        cast(oms_orders.order_total as decimal(18, 2)) as order_total,
        oms_orders.currency,
        oms_orders.created_at,
        oms_orders.business_date,
        oms_orders.source_file,
        oms_orders.source_line,
        oms_orders.has_validation_errors
    from oms_orders
    anti join pos_orders on oms_orders.source_order_key = pos_orders.order_key
)

select * from final
