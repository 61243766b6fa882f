-- One row per delivery attempt recorded by the loader, with the flags every
-- downstream model uses to read only the current version of each file.
with

manifest as (
    select * from {{ source('loader', 'file_manifest') }}
),

ranked as (
    select
        load_id,
        file_name,
        file_kind,
        business_date,
        version,
        status,
        sha256,
        size_bytes,
        row_count,
        reject_reason,
        source_uri,
        loaded_at,
        load_seconds,
        purged_at,
        case file_kind
            when 'pos_orders' then 'POS'
            when 'oms_orders' then 'OMS'
            when 'review_decisions' then 'REVIEW'
            when 'web_orders' then 'WEB'
            when 'edi_850' then 'EDI'
            when 'api_orders' then 'API'
            when 'manual_orders' then 'MANUAL'
            else 'REFERENCE'
        end as source_system,
        row_number() over (
            partition by file_name, status = 'loaded'
            order by version desc
        ) as version_rank_in_status,
        row_number() over (partition by file_name order by version desc) as attempt_rank
    from manifest
),

final as (
    select
        load_id,
        file_name,
        file_kind,
        source_system,
        business_date,
        version,
        status,
        sha256,
        size_bytes,
        row_count,
        reject_reason,
        source_uri,
        loaded_at,
        load_seconds,
        purged_at,
        purged_at is not null as is_purged,
        (status = 'loaded' and version_rank_in_status = 1) as is_current_version,
        attempt_rank = 1 as is_latest_attempt
    from ranked
)

select * from final
