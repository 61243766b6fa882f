-- One row per POS order: is it in the OMS? (contract sections 6 and 7)
-- Incremental: a build recomputes the orders that changed POS or OMS deliveries
-- mention (a late OMS file resolves earlier days' missing orders); the others,
-- including orders whose raw files were purged, keep their row.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_changed_rows(key_column='order_id', key_kinds=['pos_order', 'oms_source'], frozen='business_date <= ' ~ purged_through(), date_column='business_date') }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_key_loads') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}

with

pos_orders as (
    select * from {{ ref('int_pos_orders') }}
    where business_date > {{ purged_through() }} {{ and_changed_rows(
        key_column='order_key', key_kinds=['pos_order', 'oms_source'], date_column='business_date'
    ) }}
),

oms_orders as (
    select * from {{ ref('int_oms_pos_orders') }}
    where source_order_key is not null {{ and_changed_rows(
        key_column='source_order_key', key_kinds=['pos_order', 'oms_source'],
        load_column='load_id', file_kinds=['oms_orders'], indexed_as='oms_source'
    ) }}
),

matches as (
    select
        pos_orders.order_key,
        oms_orders.oms_order_id,
        oms_orders.order_total,
        oms_orders.order_status,
        oms_orders.created_at,
        oms_orders.business_date,
        oms_orders.source_file,
        oms_orders.source_line,
        row_number() over (
            partition by pos_orders.order_key
            order by
                oms_orders.business_date,
                oms_orders.oms_order_id nulls last,
                oms_orders.source_file,
                oms_orders.source_line
        ) as match_rank
    from pos_orders
    inner join oms_orders on pos_orders.order_key = oms_orders.source_order_key
),

match_summary as (
    select
        order_key,
        count(distinct coalesce(oms_order_id, source_file || ':' || source_line)) as oms_match_count,
        min(business_date) as first_oms_business_date
    from matches
    group by order_key
),

representative_match as (
    select * from matches
    where match_rank = 1
),

final as (
    select
        pos_orders.order_key as order_id,
        pos_orders.delivered_order_id,
        pos_orders.business_date,
        pos_orders.store_id,
        pos_orders.ordered_at,
        pos_orders.currency,
        pos_orders.line_count,
        cast(pos_orders.pos_order_total as decimal(18, 2)) as pos_order_total,
        case
            when match_summary.order_key is null then 'missing_in_oms'
            else 'matched'
        end as recon_status,
        representative_match.oms_order_id,
        cast(coalesce(match_summary.oms_match_count, 0) as integer) as oms_match_count,
        coalesce(match_summary.first_oms_business_date > pos_orders.business_date, false) as is_late_match,
        coalesce(
            abs(representative_match.order_total - pos_orders.pos_order_total) > {{ var('amount_tolerance') }},
            false
        ) as has_amount_mismatch,
        pos_orders.has_validation_errors,
        cast(representative_match.order_total as decimal(18, 2)) as oms_order_total,
        representative_match.order_status as oms_order_status,
        representative_match.created_at as oms_created_at,
        match_summary.first_oms_business_date as oms_business_date,
        pos_orders.source_file as pos_source_file,
        representative_match.source_file as oms_source_file
    from pos_orders
    left join match_summary on pos_orders.order_key = match_summary.order_key
    left join representative_match on pos_orders.order_key = representative_match.order_key
)

select * from final
