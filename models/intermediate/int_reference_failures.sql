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
                "'is_active ''' || coalesce(is_active_text, '') || ''' is not true or false'")
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
                "'is_active ''' || coalesce(is_active_text, '') || ''' is not true or false'")
        ]) }} as failures
    from products
),

unnested as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        unnest(failures) as failure
    from store_checks
    union all
    select
        record_id,
        load_id,
        source_file,
        source_line,
        record_key,
        unnest(failures) as failure
    from product_checks
),

final as (
    select
        'REFERENCE' as source_system,
        unnested.record_id,
        unnested.load_id,
        unnested.source_file,
        unnested.source_line,
        cast(null as date) as business_date,
        unnested.record_key as order_id,
        cast(null as varchar) as order_key,
        failure.rule_id,
        failure.field_name,
        failure.failed_value,
        failure.message
    from unnested
)

select * from final
