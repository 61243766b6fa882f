-- OMS rows of the current OMS files whose source_system is an order channel beside the POS
-- (WEB, EDI, API, MANUAL), with a source order id: what a channel order is matched
-- against (int_channel_order_reconciliation). Rows with other validation problems still
-- prove the order reached the OMS.
-- Incremental by OMS delivery: a build parses the changed OMS files only; the rows of
-- purged OMS files stay (their raw rows are gone, their evidence is final).
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'files': ['oms_orders'], 'load': 'load_id', 'final': 'purged_deliveries'}}
) }}

with

current_loads as (
    {{ current_loads('oms_orders') }}
),

final as (
    select
        oms.record_id,
        oms.load_id,
        oms.source_system,
        oms.source_order_key,
        oms.source_order_id_as_delivered,
        oms.oms_order_id,
        oms.order_total,
        oms.order_status,
        oms.created_at,
        oms.file_business_date as business_date,
        oms.source_file,
        oms.source_line
    from {{ ref('stg_oms__orders') }} as oms
    semi join current_loads on oms.load_id = current_loads.load_id
    where
        oms.source_system in ('WEB', 'EDI', 'API', 'MANUAL')
        and oms.source_order_key is not null
        and {{ in_recompute_scope(load='oms.load_id') }}
)

select * from final
