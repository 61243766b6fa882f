-- One row per POS order (normalized order number), built from every current POS
-- line that has one, whatever its other validation results: a line with a bad
-- price does not hide a missing order (contract section 6).
-- Incremental: a build rebuilds the orders that changed deliveries mention; orders
-- of dates whose raw files were purged are final (frozen_date_condition), until a new
-- version of the date's POS file replaces them.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {
        'keys': ['pos_order'], 'files': ['pos_orders'], 'key': 'order_key', 'date': 'business_date',
        'final': 'purged_dates'
    }}
) }}

with

current_loads as (
    {{ current_loads('pos_orders') }}
),

lines as (
    select all_lines.*
    from {{ ref('stg_pos__order_lines') }} as all_lines
    semi join current_loads on all_lines.load_id = current_loads.load_id
    where
        all_lines.order_key is not null
        and {{ in_recompute_scope(key='all_lines.order_key', load='all_lines.load_id', indexed_as='pos_order') }}
),

-- The findings of the lines read above (the same scope on the check's table, whose row
-- groups of other deliveries are skipped): an order's lines are all in scope together.
orders_with_errors as (
    select distinct order_key
    from ({{ enabled_findings(ref('int_pos_order_line_failures')) }})
    where
        order_key is not null
        and {{ in_recompute_scope(key='order_key', load='load_id', indexed_as='pos_order') }}
),

-- Each delivery's copy of an order: an order re-sent in a later file has two.
copies as (
    select
        order_key,
        load_id,
        min(file_business_date) as business_date,
        min(order_id) as delivered_order_id,
        min(order_id_as_delivered) as order_id_as_delivered,
        min(store_id) as store_id,
        min(ordered_at) as ordered_at,
        min(currency) as currency,
        min(order_total) as pos_order_total,
        count(*) as line_count,
        min(source_file) as source_file
    from lines
    group by order_key, load_id
),

-- The order is its earliest delivery's copy (by business date, then delivery): its lines,
-- total, store and time, not a mix of the copies (pos_order_in_several_files warns of the rest).
earliest_copies as (
    {{ first_row_by('copies', 'copies.business_date, copies.load_id', 'copies.order_key') }}
),

orders as (
    select
        order_key,
        delivered_order_id,
        order_id_as_delivered,
        business_date,
        store_id,
        ordered_at,
        currency,
        pos_order_total,
        line_count,
        source_file
    from earliest_copies
),

{% if is_incremental() %}
    -- Orders of purged dates are final: a later file with the same number does not redo
    -- them (the order stays the purged date's, reconciled once).
    frozen_orders as (
        select order_key from {{ this }}
        where {{ frozen_date_condition('business_date') }}
    ),
{% endif %}

final as (
    select
        orders.*,
        orders_with_errors.order_key is not null as has_validation_errors
    from orders
    left join orders_with_errors on orders.order_key = orders_with_errors.order_key
    {% if is_incremental() -%}
        anti join frozen_orders on orders.order_key = frozen_orders.order_key
    {%- endif %}
)

select * from final
