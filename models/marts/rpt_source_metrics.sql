-- Monitoring per source system and business date: records received, validated and
-- in error, the rates, processing time, and open review items; the alert flags
-- use the thresholds of the order staging plan (dbt_project.yml vars).
with

files as (
    select
        source_system,
        business_date,
        count(*) as files_loaded,
        sum(row_count) as records_received,
        sum(load_seconds) as processing_seconds
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and source_system in ('POS', 'OMS')
    group by source_system, business_date
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

findings as (
    select
        source_system,
        business_date,
        count(distinct record_id) filter (where severity = 'error' and source_line is not null) as records_in_error,
        count(distinct record_id) filter (where severity = 'warn' and source_line is not null) as records_with_warnings
    from {{ ref('int_validation_failures') }}
    where source_system in ('POS', 'OMS')
    group by source_system, business_date
),

review as (
    select
        source_system,
        business_date,
        count(*) as open_review_items
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
            coalesce(findings.records_in_error, 0) / nullif(files.records_received, 0)
            > {{ var('alert_error_rate') }},
            false
        ) as is_error_rate_alert
    from keys
    left join files on keys.source_system = files.source_system and keys.business_date = files.business_date
    left join rejected on keys.source_system = rejected.source_system and keys.business_date = rejected.business_date
    left join findings on keys.source_system = findings.source_system and keys.business_date = findings.business_date
    left join review on keys.source_system = review.source_system and keys.business_date = review.business_date
)

select * from final
