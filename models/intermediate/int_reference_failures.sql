-- One row per reference snapshot row and failed check.
with

stores as (
    select
        *,
        count(*) over (partition by store_id) as id_occurrences
    from {{ ref('stg_reference__stores') }}
),

products as (
    select
        *,
        count(*) over (partition by sku) as id_occurrences
    from {{ ref('stg_reference__products') }}
),

customers as (
    select
        *,
        count(*) over (partition by customer_id) as id_occurrences
    from {{ ref('stg_reference__customers') }}
),

prices as (
    select
        *,
        count(*) over (partition by sku) as id_occurrences
    from {{ ref('stg_reference__prices') }}
),

stock as (
    select
        *,
        count(*) over (partition by store_id, sku) as id_occurrences
    from {{ ref('stg_reference__stock') }}
),

store_checks as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        store_id as record_key,
        {{ failures_of([
            required('ref_store_id_required', 'store_id'),
            failure('ref_store_id_unique', 'store_id is not null and id_occurrences > 1', 'store_id', 'store_id',
                "'store ' || store_id || ' appears ' || id_occurrences || ' times in the snapshot'"),
            failure('ref_store_is_active_format', 'is_active is null', 'is_active', 'is_active_text',
                "'is_active ' || chr(39) || coalesce(is_active_text, '') || chr(39) || ' is not true or false'")
        ]) }} as failures
    from stores
),

product_checks as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        sku as record_key,
        {{ failures_of([
            required('ref_sku_required', 'sku'),
            failure('ref_sku_unique', 'sku is not null and id_occurrences > 1', 'sku', 'sku',
                "'SKU ' || sku || ' appears ' || id_occurrences || ' times in the snapshot'"),
            failure('ref_product_is_active_format', 'is_active is null', 'is_active', 'is_active_text',
                "'is_active ' || chr(39) || coalesce(is_active_text, '') || chr(39) || ' is not true or false'")
        ]) }} as failures
    from products
),

customer_checks as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        customer_id as record_key,
        {{ failures_of([
            required('ref_customer_id_required', 'customer_id'),
            failure('ref_customer_id_unique', 'customer_id is not null and id_occurrences > 1', 'customer_id',
                'customer_id', "'customer ' || customer_id || ' appears ' || id_occurrences || ' times in the snapshot'"),
            failure('ref_customer_is_active_format', "is_active_text is not null and lower(is_active_text) not in ('true', 'false')",
                'is_active', 'is_active_text', "'is_active ' || chr(39) || is_active_text || chr(39) || ' is not true or false'"),
            well_formed('ref_customer_credit_limit_format', 'credit_limit', 'a decimal with at most 2 decimal places'),
            failure('ref_customer_delivery_days_format', 'delivery_days_text is not null and delivery_weekdays is null',
                'delivery_days', 'delivery_days_text',
                "'delivery_days ' || chr(39) || delivery_days_text || chr(39) || ' is not a list of weekdays such as MON,WED,FRI'")
        ]) }} as failures
    from customers
),

price_checks as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        sku as record_key,
        {{ failures_of([
            required('ref_price_sku_required', 'sku'),
            failure('ref_price_sku_unique', 'sku is not null and id_occurrences > 1', 'sku', 'sku',
                "'SKU ' || sku || ' appears ' || id_occurrences || ' times in the price list'"),
            required('ref_price_unit_price_required', 'unit_price', 'unit_price_text'),
            well_formed('ref_price_unit_price_format', 'unit_price', 'a decimal with at most 2 decimal places')
        ]) }} as failures
    from prices
),

stock_checks as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        concat_ws('/', store_id, sku) as record_key,
        {{ failures_of([
            failure('ref_stock_key_required', 'store_id is null or sku is null', 'store_id', 'null',
                "'a stock row needs both store_id and sku'"),
            failure('ref_stock_key_unique', 'store_id is not null and sku is not null and id_occurrences > 1',
                'sku', "store_id || '/' || sku",
                "'store ' || store_id || ' and SKU ' || sku || ' appear ' || id_occurrences || ' times in the stock snapshot'"),
            well_formed('ref_stock_on_hand_format', 'on_hand', 'a whole number')
        ]) }} as failures
    from stock
),

unnested as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        {{ unnest_list("failures") }} as failure
    from store_checks
    union all
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        {{ unnest_list("failures") }} as failure
    from product_checks
    union all
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        {{ unnest_list("failures") }} as failure
    from customer_checks
    union all
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        {{ unnest_list("failures") }} as failure
    from price_checks
    union all
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        {{ unnest_list("failures") }} as failure
    from stock_checks
),

final as (
    select
        'REFERENCE' as source_system,
        unnested.record_id,
        unnested.load_id,
        unnested.source_file,
        unnested.source_line,
        cast(null as date) as business_date,
        cast(null as string) as order_id,
        cast(null as string) as order_key,
        failure.rule_id,
        failure.field_name,
        failure.failed_value,
        failure.message,
        -- the snapshot row's key (store, SKU, customer, SKU or store|SKU): not an order
        unnested.record_key
    from unnested
)

select * from final
