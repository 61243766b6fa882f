-- One row per POS order line and failed check. Field checks, order-level
-- checks (line numbers, order totals) and reference checks run in one pass.
-- Incremental: a build rechecks the lines of the orders that changed deliveries
-- mention (all their lines, in every file), or every line when the rules, code
-- lists or reference snapshots changed.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    pre_hook = "{{ delete_changed_rows(key_column='order_key', key_kinds=['pos_order'], load_column='load_id', file_kinds=['pos_orders']) }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}

with

current_loads as (
    select load_id
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and file_kind = 'pos_orders'
),

lines as (
    select all_lines.*
    from {{ ref('int_pos_order_lines') }} as all_lines
    semi join current_loads on all_lines.load_id = current_loads.load_id
    {{ only_changed_rows(
        key_column='all_lines.order_key', key_kinds=['pos_order'],
        load_column='all_lines.load_id', file_kinds=['pos_orders']
    ) }}
),

thresholds as (
    {{ rule_thresholds([
        'pos_order_id_length', 'pos_store_id_length', 'pos_line_total_arithmetic', 'pos_order_total_arithmetic'
    ]) }}
),

stores as (
    select
        store_id,
        bool_or(coalesce(is_active, false)) as is_active
    from {{ ref('stg_reference__stores') }}
    where store_id is not null
    group by store_id
),

products as (
    select
        sku,
        bool_or(coalesce(is_active, false)) as is_active
    from {{ ref('stg_reference__products') }}
    where sku is not null
    group by sku
),

snapshots as (
    select
        coalesce(bool_or(snapshot_kind = 'stores' and is_loaded), false) as has_stores,
        coalesce(bool_or(snapshot_kind = 'products' and is_loaded), false) as has_products
    from {{ ref('int_reference_snapshots') }}
),

currencies as (
    select currency_code from {{ ref('currencies') }}
),

order_facts as (
    select
        order_key,
        count(distinct order_total) as distinct_order_totals,
        sum(line_total) as sum_of_line_totals,
        count(*) filter (where line_total is null) as unreadable_line_totals,
        count(distinct source_file) as file_count
    from lines
    where order_key is not null
    group by order_key
),

line_number_use as (
    select
        order_key,
        line_number,
        count(*) as occurrences
    from lines
    where order_key is not null and line_number is not null
    group by order_key, line_number
),

joined as (
    select
        lines.*,
        order_facts.distinct_order_totals,
        order_facts.sum_of_line_totals,
        order_facts.unreadable_line_totals,
        order_facts.file_count,
        line_number_use.occurrences as line_number_occurrences,
        snapshots.has_stores,
        thresholds.pos_order_id_length as max_order_id_length,
        thresholds.pos_store_id_length as max_store_id_length,
        coalesce(thresholds.pos_line_total_arithmetic, 0) as line_total_tolerance,
        coalesce(thresholds.pos_order_total_arithmetic, 0) as order_total_tolerance,
        snapshots.has_products,
        stores.store_id is not null as is_store_known,
        coalesce(stores.is_active, false) as is_store_active,
        products.sku is not null as is_sku_known,
        coalesce(products.is_active, false) as is_sku_active,
        currencies.currency_code is not null as is_currency_known,
        lines.quantity * lines.unit_price as gross_amount,
        lines.quantity * lines.unit_price - coalesce(lines.discount_amount, 0) as expected_line_total
    from lines
    cross join snapshots
    cross join thresholds
    left join order_facts on lines.order_key = order_facts.order_key
    left join line_number_use
        on lines.order_key = line_number_use.order_key and lines.line_number = line_number_use.line_number
    left join stores on lines.store_id = stores.store_id
    left join products on lines.sku = products.sku
    left join currencies on lines.currency = currencies.currency_code
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
                "'order_id has ' || length(order_id) || ' characters (at most ' || max_order_id_length::int || ')'"),
            required('pos_store_id_required', 'store_id'),
            failure('pos_store_id_length', 'length(store_id) > max_store_id_length', 'store_id', 'store_id',
                "'store_id has ' || length(store_id) || ' characters (at most ' || max_store_id_length::int || ')'"),
            required('pos_business_date_required', 'business_date', 'business_date_text'),
            well_formed('pos_business_date_format', 'business_date', 'a date (YYYY-MM-DD)'),
            failure('pos_business_date_matches_file', 'business_date <> file_business_date', 'business_date',
                'business_date_text',
                "'business_date ' || business_date_text || ' differs from the file date ' || file_business_date"),
            required('pos_order_ts_required', 'order_ts', 'order_ts_text'),
            failure('pos_order_ts_format', 'order_ts_text is not null and ordered_at is null', 'order_ts',
                'order_ts_text', "'order_ts ''' || order_ts_text || ''' is not an ISO 8601 timestamp'"),
            required('pos_currency_required', 'currency'),
            failure('pos_currency_format', "not regexp_full_match(currency, '[A-Z]{3}')", 'currency', 'currency',
                "'currency ''' || currency || ''' is not three capital letters'"),
            failure('pos_currency_known', "regexp_full_match(currency, '[A-Z]{3}') and not is_currency_known",
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
                'distinct_order_totals = 1 and unreadable_line_totals = 0'
                ~ ' and abs(order_total - sum_of_line_totals) > order_total_tolerance',
                'order_total', 'order_total_text',
                "'order_total ' || order_total || ' differs from the sum of its line totals ' || sum_of_line_totals"),
            failure('pos_order_in_several_files', 'file_count > 1', 'order_id', 'order_id',
                "'order ' || order_id || ' appears in ' || file_count || ' POS files'"),
            failure('pos_store_known', 'has_stores and store_id is not null and not is_store_known', 'store_id',
                'store_id', "'store ' || store_id || ' is not in the store snapshot'"),
            failure('pos_store_active', 'has_stores and is_store_known and not is_store_active', 'store_id',
                'store_id', "'store ' || store_id || ' is not active'"),
            failure('pos_sku_known', 'has_products and sku is not null and not is_sku_known', 'sku', 'sku',
                "'SKU ' || sku || ' is not in the product snapshot'"),
            failure('pos_sku_active', 'has_products and is_sku_known and not is_sku_active', 'sku', 'sku',
                "'SKU ' || sku || ' is not active'")
        ]) }} as failures
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
        unnest(failures) as failure
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
