-- One row per POS order: is it in the OMS? (contract sections 6 and 7)
-- Incremental: a build recomputes the orders that changed POS or OMS deliveries
-- mention (a late OMS file resolves earlier days' missing orders); the others,
-- including orders whose raw files were purged, keep their row.
-- A new version of a purged date's POS file (a correction, or the date's first POS file
-- after the purge) reopens the date: its orders are reconciled again, against the OMS files
-- loaded and what the marts kept of purged OMS files (the order's kept match,
-- audit.kept_order_results; rows that matched no POS order, audit.kept_oms_rows; both
-- written before the build, macros/purged_results.sql), and the orders it no longer has go.
-- Any order reconciled after a purge matches those kept rows too.
-- A match is identified by its OMS row: oms_source_file and oms_source_line, also when
-- the row has no oms_order_id (it still proves presence; the error layer has the finding).
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_changed_rows(key_column='order_id', key_kinds=['pos_order', 'oms_source'], frozen=frozen_date_condition('business_date'), date_column='business_date') }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_key_loads') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}

with

pos_orders as (
    select * from {{ ref('int_pos_orders') }}
    where not {{ frozen_date_condition('business_date') }} {{ and_changed_rows(
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

-- What the marts kept of OMS files purged since, while a file's current version stays
-- purged: the OMS match a reopened date's order had (its kept result), and the rows that
-- matched no POS order then (audit.kept_oms_rows, kept from fct_oms_unmatched_orders).
purged_oms_files as (
    select
        load_id,
        file_name
    from {{ ref('stg_loader__file_versions') }}
    where file_kind = 'oms_orders' and is_current_version and is_purged
),

kept_oms_rows as (
    select
        kept.source_order_key,
        kept.oms_order_id,
        kept.order_total,
        kept.order_status,
        kept.created_at,
        kept.business_date,
        kept.source_file,
        kept.source_line,
        cast(null as integer) as kept_match_count
    from {{ source('audit', 'kept_oms_rows') }} as kept
    semi join purged_oms_files on kept.load_id = purged_oms_files.load_id
),

kept_matches as (
    select
        kept.order_id as source_order_key,
        kept.oms_order_id,
        kept.oms_order_total as order_total,
        kept.oms_order_status as order_status,
        kept.oms_created_at as created_at,
        kept.oms_business_date as business_date,
        kept.oms_source_file as source_file,
        kept.oms_source_line as source_line,
        kept.oms_match_count
    from {{ source('audit', 'kept_order_results') }} as kept
    semi join purged_oms_files on kept.oms_source_file = purged_oms_files.file_name
    where kept.recon_status = 'matched'
),

oms_evidence as (
    select
        source_order_key,
        oms_order_id,
        order_total,
        order_status,
        created_at,
        business_date,
        source_file,
        source_line,
        cast(null as integer) as kept_match_count
    from oms_orders
    union all
    select * from kept_matches
    union all
    select * from kept_oms_rows
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
        oms_orders.kept_match_count,
        row_number() over (
            partition by pos_orders.order_key
            -- the earliest OMS order with an id; a row without one only when no row has one
            order by
                oms_orders.oms_order_id is null,
                oms_orders.business_date,
                oms_orders.oms_order_id,
                oms_orders.source_file,
                oms_orders.source_line
        ) as match_rank
    from pos_orders
    inner join oms_evidence as oms_orders on pos_orders.order_key = oms_orders.source_order_key
),

match_summary as (
    select
        order_key,
        -- a kept match stands for as many OMS orders as its kept result counted
        greatest(
            count(distinct coalesce(oms_order_id, source_file || ':' || source_line)), max(kept_match_count)
        ) as oms_match_count,
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
        representative_match.source_file as oms_source_file,
        representative_match.source_line as oms_source_line
    from pos_orders
    left join match_summary on pos_orders.order_key = match_summary.order_key
    left join representative_match on pos_orders.order_key = representative_match.order_key
)

select * from final
