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
-- match_method says whether the keys matched as delivered (exact) or only after trimming and
-- upper-casing (normalized); kept evidence of purged OMS files has no delivered spelling, so
-- an order matched by it alone has none. Store and currency are compared with the same OMS
-- row as the amount.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {
        'keys': ['pos_order', 'oms_source'], 'files': ['oms_orders'],
        'key': 'order_key', 'date': 'business_date', 'final': 'purged_dates'
    }}
) }}

with

pos_orders as (
    select * from {{ ref('int_pos_orders') }}
    where
        not {{ frozen_date_condition('business_date') }}
        and {{ in_recompute_scope(key='order_key', date='business_date') }}
),

oms_orders as (
    select * from {{ ref('int_oms_pos_orders') }}
    where
        source_order_key is not null
        and {{ in_recompute_scope(key='source_order_key', load='load_id', indexed_as='oms_source') }}
),

kept_oms_evidence as (
    select * from {{ ref('build_kept_oms_evidence') }}
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
        cast(null as integer) as kept_match_count,
        source_order_id_as_delivered,
        store_id,
        currency
    from oms_orders
    union all
    select
        *,
        cast(null as string) as source_order_id_as_delivered,
        cast(null as string) as store_id,
        cast(null as string) as currency
    from kept_oms_evidence
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
        oms_orders.store_id,
        oms_orders.currency,
        oms_orders.source_order_id_as_delivered = pos_orders.order_id_as_delivered as is_exact_key,
        row_number() over (
            partition by pos_orders.order_key
            -- the earliest OMS order with an id; a row without one only when no row has one
            -- (nulls last written out: Spark sorts them first)
            order by
                oms_orders.oms_order_id is null,
                oms_orders.business_date nulls last,
                oms_orders.oms_order_id nulls last,
                oms_orders.source_file nulls last,
                oms_orders.source_line nulls last
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
        min(business_date) as first_oms_business_date,
        case
            when bool_or(is_exact_key) then 'exact'
            when bool_or(not is_exact_key) then 'normalized'
        end as match_method
    from matches
    group by order_key
),

representative_match as (
    select * from matches
    where match_rank = 1
),

final as (
    select
        pos_orders.order_key,
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
        representative_match.source_line as oms_source_line,
        match_summary.match_method,
        coalesce(representative_match.store_id <> pos_orders.store_id, false) as has_store_mismatch,
        coalesce(upper(representative_match.currency) <> upper(pos_orders.currency), false) as has_currency_mismatch,
        representative_match.store_id as oms_store_id,
        representative_match.currency as oms_currency
    from pos_orders
    left join match_summary on pos_orders.order_key = match_summary.order_key
    left join representative_match on pos_orders.order_key = representative_match.order_key
)

select * from final
