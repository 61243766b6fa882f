-- One row per POS order line and failed check. Field checks, order-level
-- checks (line numbers, order totals) and reference checks run in one pass.
-- The order-level checks look at one delivery's copy of an order: an order number
-- delivered again in another file is reported (pos_order_in_several_files), and
-- each copy's line numbers and totals are checked on their own.
-- Incremental: a build rechecks the lines of the orders that changed deliveries
-- mention (all their lines, in every file), or every line when the rules, code
-- lists or reference snapshots changed.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {
        'keys': ['pos_order'], 'files': ['pos_orders'], 'key': 'order_key', 'load': 'load_id',
        'final': 'purged_deliveries'
    }}
) }}

with

current_loads as (
    {{ current_loads('pos_orders') }}
),

lines as {{ lines_cte('pos_orders', 'pos_order', ['pos_order']) }} (
    select all_lines.*
    from {{ ref('stg_pos__order_lines') }} as all_lines
    semi join current_loads on all_lines.load_id = current_loads.load_id
    where {{ in_recompute_scope(key='all_lines.order_key', load='all_lines.load_id', indexed_as='pos_order') }}
),

thresholds as (
    {{ rule_thresholds([
        'pos_order_id_length', 'pos_store_id_length', 'pos_line_total_arithmetic', 'pos_order_total_arithmetic',
        'pos_order_total_minimum', 'pos_order_total_maximum', 'pos_unit_price_list'
    ]) }}
),

-- Rules over a store, SKU or customer on one business date read every current line of
-- the dates in scope, so that recomputing part of a day gives the whole day's figures.
-- When every line is checked, or the lines above are whole deliveries and no other
-- delivery shares their dates, those are the lines above: they are not parsed twice.
{% if is_incremental() and not recompute_all() and not (
    key_only_load_ids('pos_order', ['pos_order'], ['pos_orders']) == 'null'
    and load_ids_outside(same_day_load_ids('pos_orders', 'pos_order', ['pos_order']), changed_load_ids(['pos_orders'])) == 'null'
) -%}
    dates_in_scope as (
        select distinct file_business_date from lines
    ),

    day_lines as (
        select all_lines.*
        from {{ ref('stg_pos__order_lines') }} as all_lines
        semi join current_loads on all_lines.load_id = current_loads.load_id
        semi join dates_in_scope on all_lines.file_business_date = dates_in_scope.file_business_date
        where all_lines.load_id in ({{ same_day_load_ids('pos_orders', 'pos_order', ['pos_order']) }})
    ),
{%- else -%}
    day_lines as (
        select * from lines
    ),
{%- endif %}

stock_use as (
    select
        store_id,
        sku,
        file_business_date,
        sum(quantity) as ordered_quantity
    from day_lines
    where store_id is not null and sku is not null
    group by store_id, sku, file_business_date
),

customer_day_orders as (
    select distinct
        customer_id,
        file_business_date,
        order_key,
        order_total
    from day_lines
    where customer_id is not null and order_key is not null
),

customer_day_value as (
    select
        customer_id,
        file_business_date,
        sum(order_total) as open_order_value
    from customer_day_orders
    group by customer_id, file_business_date
),

-- The reference snapshots, one row per key (macro current_reference).
customers as (
    {{ current_reference('customers') }}
),

prices as (
    {{ current_reference('prices') }}
),

stock as (
    {{ current_reference('stock') }}
),

stores as (
    {{ current_reference('stores') }}
),

products as (
    {{ current_reference('products') }}
),

currencies as (
    select currency_code from {{ ref('currencies') }}
),

-- Every order's sums per delivery, in one aggregate: one order total when the lowest
-- equals the highest. The facts below keep only the orders or lines that break a rule, so that
-- joining them back is a lookup in a few rows, not in one row per order or line. One
-- distinct count per aggregate: two in one aggregate are joined on every order first.
order_facts as (
    select
        load_id,
        order_key,
        min(order_total) = max(order_total) as has_one_order_total,
        sum(line_total) as sum_of_line_totals,
        count(*) filter (where line_total is null) as unreadable_line_totals
    from lines
    where order_key is not null
    group by load_id, order_key
),

order_total_variants as (
    select
        load_id,
        order_key,
        count(distinct order_total) as distinct_order_totals
    from lines
    where order_key is not null
    group by load_id, order_key
    having count(distinct order_total) > 1
),

order_files as (
    select
        order_key,
        count(distinct source_file) as file_count
    from lines
    where order_key is not null
    group by order_key
    having count(distinct source_file) > 1
),

line_number_use as (
    select
        load_id,
        order_key,
        line_number,
        count(*) as occurrences
    from lines
    where order_key is not null and line_number is not null
    group by load_id, order_key, line_number
    having count(*) > 1
),

joined as (
    select
        lines.*,
        order_facts.has_one_order_total,
        order_facts.sum_of_line_totals,
        order_facts.unreadable_line_totals,
        order_total_variants.distinct_order_totals,
        order_files.file_count,
        line_number_use.occurrences as line_number_occurrences,
        customers.customer_id is not null as is_customer_known,
        customers.credit_limit,
        customers.delivery_weekdays,
        customer_day_value.open_order_value,
        prices.list_price,
        stock.on_hand,
        stock_use.ordered_quantity,
        thresholds.pos_order_total_minimum as order_total_minimum,
        thresholds.pos_order_total_maximum as order_total_maximum,
        coalesce(thresholds.pos_unit_price_list, 0) as list_price_tolerance,
        thresholds.pos_order_id_length as max_order_id_length,
        thresholds.pos_store_id_length as max_store_id_length,
        coalesce(thresholds.pos_line_total_arithmetic, 0) as line_total_tolerance,
        coalesce(thresholds.pos_order_total_arithmetic, 0) as order_total_tolerance,
        stores.store_id is not null as is_store_known,
        coalesce(stores.is_active, false) as is_store_active,
        products.sku is not null as is_sku_known,
        coalesce(products.is_active, false) as is_sku_active,
        currencies.currency_code is not null as is_currency_known,
        lines.quantity * lines.unit_price as gross_amount,
        lines.quantity * lines.unit_price - coalesce(lines.discount_amount, 0) as expected_line_total
    from lines
    cross join thresholds
    left join order_facts on lines.load_id = order_facts.load_id and lines.order_key = order_facts.order_key
    left join order_total_variants
        on lines.load_id = order_total_variants.load_id and lines.order_key = order_total_variants.order_key
    left join order_files on lines.order_key = order_files.order_key
    left join line_number_use
        on
            lines.load_id = line_number_use.load_id
            and lines.order_key = line_number_use.order_key
            and lines.line_number = line_number_use.line_number
    left join stores on lines.store_id = stores.store_id
    left join products on lines.sku = products.sku
    left join currencies on lines.currency = currencies.currency_code
    left join customers on lines.customer_id = customers.customer_id
    left join customer_day_value
        on
            lines.customer_id = customer_day_value.customer_id
            and lines.file_business_date = customer_day_value.file_business_date
    left join prices on lines.sku = prices.sku
    left join stock on lines.store_id = stock.store_id and lines.sku = stock.sku
    left join stock_use
        on
            lines.store_id = stock_use.store_id
            and lines.sku = stock_use.sku
            and lines.file_business_date = stock_use.file_business_date
),

checked as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        file_business_date,
        order_id,
        order_key,
        {{ failures_of([
            required('pos_order_id_required', 'order_id'),
            failure('pos_order_id_length', 'length(order_id) > max_order_id_length', 'order_id', 'order_id',
                "'order_id has ' || length(order_id) || ' characters (at most ' || cast(max_order_id_length as int) || ')'"),
            required('pos_store_id_required', 'store_id'),
            failure('pos_store_id_length', 'length(store_id) > max_store_id_length', 'store_id', 'store_id',
                "'store_id has ' || length(store_id) || ' characters (at most ' || cast(max_store_id_length as int) || ')'"),
            required('pos_business_date_required', 'business_date', 'business_date_text'),
            well_formed('pos_business_date_format', 'business_date', 'a date (YYYY-MM-DD)'),
            failure('pos_business_date_matches_file', 'business_date <> file_business_date', 'business_date',
                'business_date_text',
                "'business_date ' || business_date_text || ' differs from the file date ' || file_business_date"),
            required('pos_order_ts_required', 'order_ts', 'order_ts_text'),
            failure('pos_order_ts_format', 'order_ts_text is not null and ordered_at is null', 'order_ts',
                'order_ts_text', "'order_ts ' || chr(39) || order_ts_text || chr(39) || ' is not an ISO 8601 timestamp'"),
            required('pos_currency_required', 'currency'),
            failure('pos_currency_format', 'not ' ~ full_match('currency', '[A-Z]{3}'), 'currency', 'currency',
                "'currency ' || chr(39) || currency || chr(39) || ' is not three capital letters'"),
            failure('pos_currency_known', full_match('currency', '[A-Z]{3}') ~ ' and not is_currency_known',
                'currency', 'currency', "'currency ' || currency || ' is not an ISO 4217 code'"),
            required('pos_line_number_required', 'line_number', 'line_number_text'),
            well_formed('pos_line_number_format', 'line_number', 'a whole number'),
            failure('pos_line_number_range', 'line_number < 1', 'line_number', 'line_number_text',
                "'line_number ' || line_number || ' is below 1'"),
            failure('pos_line_number_unique', 'line_number_occurrences > 1', 'line_number', 'line_number_text',
                "'line_number ' || line_number || ' appears ' || line_number_occurrences || ' times in order ' || order_id"),
            required('pos_sku_required', 'sku'),
            required('pos_quantity_required', 'quantity', 'quantity_text'),
            well_formed('pos_quantity_format', 'quantity', 'a whole number'),
            failure('pos_quantity_range', 'quantity < 1', 'quantity', 'quantity_text',
                "'quantity ' || quantity || ' is below 1'"),
            required('pos_unit_price_required', 'unit_price', 'unit_price_text'),
            well_formed('pos_unit_price_format', 'unit_price', 'a decimal with at most 2 decimal places'),
            failure('pos_unit_price_range', 'unit_price < 0', 'unit_price', 'unit_price_text',
                "'unit_price ' || unit_price || ' is negative'"),
            well_formed('pos_discount_amount_format', 'discount_amount', 'a decimal with at most 2 decimal places'),
            failure('pos_discount_amount_range', 'discount_amount < 0', 'discount_amount', 'discount_amount_text',
                "'discount_amount ' || discount_amount || ' is negative'"),
            failure('pos_discount_exceeds_gross', 'discount_amount > gross_amount', 'discount_amount',
                'discount_amount_text',
                "'discount ' || discount_amount || ' exceeds quantity * unit_price = ' || gross_amount"),
            required('pos_line_total_required', 'line_total', 'line_total_text'),
            well_formed('pos_line_total_format', 'line_total', 'a decimal with at most 2 decimal places'),
            failure('pos_line_total_arithmetic',
                'abs(line_total - expected_line_total) > line_total_tolerance'
                ~ ' and (discount_amount_text is null or discount_amount is not null)',
                'line_total', 'line_total_text',
                "'line_total ' || line_total || ' differs from quantity * unit_price - discount = ' || expected_line_total"),
            required('pos_order_total_required', 'order_total', 'order_total_text'),
            well_formed('pos_order_total_format', 'order_total', 'a decimal with at most 2 decimal places'),
            failure('pos_order_total_consistent', 'distinct_order_totals > 1', 'order_total', 'order_total_text',
                "'order ' || order_id || ' carries ' || distinct_order_totals || ' different order totals'"),
            failure('pos_order_total_arithmetic',
                'has_one_order_total and unreadable_line_totals = 0'
                ~ ' and abs(order_total - sum_of_line_totals) > order_total_tolerance',
                'order_total', 'order_total_text',
                "'order_total ' || order_total || ' differs from the sum of its line totals ' || sum_of_line_totals"),
            failure('pos_order_in_several_files', 'file_count > 1', 'order_id', 'order_id',
                "'order ' || order_id || ' appears in ' || file_count || ' POS files'"),
            failure('pos_store_known', 'store_id is not null and not is_store_known', 'store_id',
                'store_id', "'store ' || store_id || ' is not in the store snapshot'"),
            failure('pos_store_active', 'is_store_known and not is_store_active', 'store_id',
                'store_id', "'store ' || store_id || ' is not active'"),
            failure('pos_sku_known', 'sku is not null and not is_sku_known', 'sku', 'sku',
                "'SKU ' || sku || ' is not in the product snapshot'"),
            failure('pos_sku_active', 'is_sku_known and not is_sku_active', 'sku', 'sku',
                "'SKU ' || sku || ' is not active'"),
            failure('pos_order_total_minimum', 'order_total < order_total_minimum', 'order_total', 'order_total_text',
                "'order_total ' || order_total || ' is below the minimum ' || order_total_minimum"),
            failure('pos_order_total_maximum', 'order_total > order_total_maximum', 'order_total', 'order_total_text',
                "'order_total ' || order_total || ' is above the maximum ' || order_total_maximum"),
            failure('pos_customer_known', 'customer_id is not null and not is_customer_known',
                'customer_id', 'customer_id', "'customer ' || customer_id || ' is not in the customer snapshot'"),
            failure('pos_unit_price_list', 'abs(unit_price - list_price) > list_price_tolerance', 'unit_price',
                'unit_price_text', "'unit_price ' || unit_price || ' differs from the list price ' || list_price"),
            failure('pos_credit_limit', 'open_order_value > credit_limit', 'customer_id', 'customer_id',
                "'customer ' || customer_id || ' ordered ' || open_order_value || ' on '"
                ~ " || file_business_date || ', above the credit limit ' || credit_limit"),
            failure('pos_stock_available', 'ordered_quantity > on_hand', 'quantity', 'quantity_text',
                "'store ' || store_id || ' sold ' || ordered_quantity || ' of ' || sku || ' on '"
                ~ " || file_business_date || ' with ' || on_hand || ' on hand'"),
            well_formed('pos_requested_delivery_date_format', 'requested_delivery_date', 'a date (YYYY-MM-DD)'),
            failure('pos_delivery_date_feasible',
                'requested_delivery_date < file_business_date or (delivery_weekdays is not null'
                ~ ' and not ' ~ is_delivery_weekday('delivery_weekdays', 'requested_delivery_date') ~ ')',
                'requested_delivery_date', 'requested_delivery_date_text',
                "'requested delivery on ' || requested_delivery_date || ' (' || " ~ day_name('requested_delivery_date')
                ~ " || ') is before the order or not one of the customer' || chr(39) || 's delivery days'")
        ], left_out=rules_without_snapshot()) }} as failures
    from joined
),

unnested as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        file_business_date,
        order_id,
        order_key,
        {{ unnest_list("failures") }} as failure
    from checked
),

final as (
    select
        'POS' as source_system,
        unnested.record_id,
        unnested.load_id,
        unnested.source_file,
        unnested.source_line,
        unnested.file_business_date as business_date,
        unnested.order_id,
        unnested.order_key,
        failure.rule_id,
        failure.field_name,
        failure.failed_value,
        failure.message
    from unnested
)

select * from final
