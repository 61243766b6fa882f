-- Monitoring per source system and business date: records (lines, rows) and orders
-- received and in error, the rates, processing time, and open review items; the alert
-- flag uses the thresholds of the order staging plan (dbt_project.yml vars). The plan's
-- error rate is the share of orders in error (order_error_rate); error_rate is the share
-- of records. The order channels (WEB, EDI, API, MANUAL) have rows of their own, so the
-- error-rate alert covers every channel.
with

current_files as (
    select
        load_id,
        source_system,
        business_date,
        row_count,
        load_seconds,
        is_purged
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and source_system in ('POS', 'OMS')
),

files as (
    select
        source_system,
        business_date,
        count(*) as files_loaded,
        sum(row_count) as records_received,
        sum(load_seconds) as processing_seconds,
        bool_or(is_purged) as has_purged_files
    from current_files
    group by source_system, business_date
),

-- The orders of the current files: the distinct order numbers (POS order_id, normalized;
-- OMS oms_order_id), which the key index lists once per delivery (as 64-bit hashes; a
-- source has one file per business date), plus every record without an order number,
-- which is an order of its own. A purged file no longer says which orders it held: its
-- date's order figures are null.
keys_per_delivery as (
    select
        load_id,
        sum(key_count) as keyed_orders
    from {{ ref('build_key_counts') }}
    where key_kind in ('pos_order', 'oms_order')
    group by load_id
),

keyed_orders as (
    select
        current_files.source_system,
        current_files.business_date,
        sum(keys_per_delivery.keyed_orders) as keyed_orders
    from keys_per_delivery
    inner join current_files on keys_per_delivery.load_id = current_files.load_id
    group by current_files.source_system, current_files.business_date
),

keyless_records as (
    select
        source_system,
        load_id,
        business_date,
        record_id
    from {{ ref('int_pos_order_line_failures') }}
    where order_key is null
    union all
    select
        source_system,
        load_id,
        business_date,
        record_id
    from {{ ref('int_oms_order_failures') }}
    where order_id is null
),

records_without_order as (
    select
        keyless_records.source_system,
        keyless_records.business_date,
        count(distinct keyless_records.record_id) as records_without_order
    from keyless_records
    semi join current_files on keyless_records.load_id = current_files.load_id
    group by keyless_records.source_system, keyless_records.business_date
),

rejected as (
    select
        source_system,
        business_date,
        count(*) as rejected_files
    from {{ ref('stg_loader__file_versions') }}
    where is_latest_attempt and status = 'rejected' and source_system in ('POS', 'OMS')
    group by source_system, business_date
),

-- A POS finding names its order by the normalized key, an OMS finding by its order id.
failures as (
    select
        *,
        case source_system when 'POS' then order_key else order_id end as order_ref
    from {{ ref('int_validation_failures') }}
    where source_system in ('POS', 'OMS') and source_line is not null
),

findings as (
    select
        source_system,
        business_date,
        count(distinct record_id) filter (where severity = 'error') as records_in_error,
        count(distinct record_id) filter (where severity = 'warn') as records_with_warnings,
        count(distinct {{ key_hash('order_ref') }}) filter (
            where severity = 'error' and order_ref is not null
        ) as keyed_orders_in_error,
        count(distinct record_id) filter (
            where severity = 'error' and order_ref is null
        ) as records_without_order_in_error
    from failures
    group by source_system, business_date
),

review as (
    select
        source_system,
        business_date,
        count(*) as open_review_items,
        count(distinct {{ review_order() }}) as open_review_orders
    from {{ ref('rpt_review_queue') }}
    where review_status = 'open'
    group by source_system, business_date
),

keys as (
    select
        source_system,
        business_date
    from files
    union
    select
        source_system,
        business_date
    from rejected
),

orders as (
    select
        keys.source_system,
        keys.business_date,
        case
            when not coalesce(files.has_purged_files, false)
                then
                    coalesce(keyed_orders.keyed_orders, 0)
                    + coalesce(records_without_order.records_without_order, 0)
        end as orders,
        case
            when not coalesce(files.has_purged_files, false)
                then
                    coalesce(findings.keyed_orders_in_error, 0)
                    + coalesce(findings.records_without_order_in_error, 0)
        end as orders_with_errors
    from keys
    left join files on keys.source_system = files.source_system and keys.business_date = files.business_date
    left join keyed_orders
        on keys.source_system = keyed_orders.source_system and keys.business_date = keyed_orders.business_date
    left join records_without_order
        on
            keys.source_system = records_without_order.source_system
            and keys.business_date = records_without_order.business_date
    left join findings on keys.source_system = findings.source_system and keys.business_date = findings.business_date
),

final as (
    select
        keys.source_system,
        keys.business_date,
        cast(coalesce(files.files_loaded, 0) as bigint) as files_loaded,
        cast(coalesce(rejected.rejected_files, 0) as bigint) as rejected_files,
        cast(coalesce(files.records_received, 0) as bigint) as records_received,
        cast(coalesce(files.records_received, 0) - coalesce(findings.records_in_error, 0) as bigint)
            as records_validated,
        cast(coalesce(findings.records_in_error, 0) as bigint) as records_in_error,
        cast(coalesce(findings.records_with_warnings, 0) as bigint) as records_with_warnings,
        cast(
            case
                when files.records_received > 0
                    then 1 - coalesce(findings.records_in_error, 0) / files.records_received
            end as decimal(7, 4)
        ) as success_rate,
        cast(
            case
                when files.records_received > 0 then coalesce(findings.records_in_error, 0) / files.records_received
            end as decimal(7, 4)
        ) as error_rate,
        cast(coalesce(files.processing_seconds, 0) as decimal(12, 3)) as processing_seconds,
        cast(coalesce(review.open_review_items, 0) as bigint) as open_review_items,
        coalesce(
            orders.orders_with_errors / nullif(orders.orders, 0) > {{ var('alert_error_rate') }},
            false
        ) as is_error_rate_alert,
        cast(orders.orders as bigint) as orders,
        cast(orders.orders_with_errors as bigint) as orders_with_errors,
        cast(orders.orders_with_errors / nullif(orders.orders, 0) as decimal(7, 4)) as order_error_rate,
        cast(coalesce(review.open_review_orders, 0) as bigint) as open_review_orders
    from keys
    left join files on keys.source_system = files.source_system and keys.business_date = files.business_date
    left join rejected on keys.source_system = rejected.source_system and keys.business_date = rejected.business_date
    left join findings on keys.source_system = findings.source_system and keys.business_date = findings.business_date
    left join review on keys.source_system = review.source_system and keys.business_date = review.business_date
    left join orders on keys.source_system = orders.source_system and keys.business_date = orders.business_date
),

-- The order channels (web, EDI, API, manual), whose lines int_channel_order_lines holds: a
-- record is an order line, an order is an order id of the channel in its file.
channel_files as (
    select
        source_system,
        business_date,
        count(*) filter (where is_current_version) as files_loaded,
        count(*) filter (where is_latest_attempt and status = 'rejected') as rejected_files,
        sum(load_seconds) filter (where is_current_version) as processing_seconds
    from {{ ref('stg_loader__file_versions') }}
    where
        source_system in ('WEB', 'EDI', 'API', 'MANUAL')
        and (is_current_version or (is_latest_attempt and status = 'rejected'))
    group by source_system, business_date
),

channel_orders as (
    select
        channel as source_system,
        business_date,
        sum(record_count) as records_received,
        count(distinct order_ref) as orders,
        count(distinct order_ref) filter (where has_validation_errors) as orders_with_errors
    from {{ ref('int_channel_orders') }}
    group by channel, business_date
),

-- the findings of order lines (an X12 envelope problem outside any order is not a record's)
channel_findings as (
    select
        source_system,
        business_date,
        count(distinct record_id) filter (where severity = 'error') as records_in_error,
        count(distinct record_id) filter (where severity = 'warn') as records_with_warnings
    from {{ ref('int_validation_failures') }}
    where
        source_system in ('WEB', 'EDI', 'API', 'MANUAL')
        and rule_id not in ('file_rejected', 'file_ignored')
        and (order_key is not null or source_system <> 'EDI')
    group by source_system, business_date
),

channel_final as (
    select
        channel_files.source_system,
        channel_files.business_date,
        cast(channel_files.files_loaded as bigint) as files_loaded,
        cast(channel_files.rejected_files as bigint) as rejected_files,
        cast(coalesce(channel_orders.records_received, 0) as bigint) as records_received,
        cast(coalesce(channel_orders.records_received, 0) - coalesce(channel_findings.records_in_error, 0) as bigint)
            as records_validated,
        cast(coalesce(channel_findings.records_in_error, 0) as bigint) as records_in_error,
        cast(coalesce(channel_findings.records_with_warnings, 0) as bigint) as records_with_warnings,
        cast(
            case
                when channel_orders.records_received > 0
                    then 1 - coalesce(channel_findings.records_in_error, 0) / channel_orders.records_received
            end as decimal(7, 4)
        ) as success_rate,
        cast(
            case
                when channel_orders.records_received > 0
                    then coalesce(channel_findings.records_in_error, 0) / channel_orders.records_received
            end as decimal(7, 4)
        ) as error_rate,
        cast(coalesce(channel_files.processing_seconds, 0) as decimal(12, 3)) as processing_seconds,
        cast(0 as bigint) as open_review_items,
        coalesce(
            coalesce(channel_orders.orders_with_errors, 0) / nullif(channel_orders.orders, 0)
            > {{ var('alert_error_rate') }},
            false
        ) as is_error_rate_alert,
        cast(coalesce(channel_orders.orders, 0) as bigint) as orders,
        cast(coalesce(channel_orders.orders_with_errors, 0) as bigint) as orders_with_errors,
        cast(coalesce(channel_orders.orders_with_errors, 0) / nullif(channel_orders.orders, 0) as decimal(7, 4))
            as order_error_rate,
        cast(0 as bigint) as open_review_orders
    from channel_files
    left join channel_orders
        on
            channel_files.source_system = channel_orders.source_system
            and channel_files.business_date = channel_orders.business_date
    left join channel_findings
        on
            channel_files.source_system = channel_findings.source_system
            and channel_files.business_date = channel_findings.business_date
)

select * from final
union all
select * from channel_final
