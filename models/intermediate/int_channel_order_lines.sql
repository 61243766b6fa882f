-- Every channel's order lines in one shape (docs/channels.md): the web shop, EDI partners,
-- API integrations and manual entry, parsed once.
-- Incremental by business date (macro channel_dates): a build parses the lines of the dates
-- of changed channel deliveries (their other files included, which a correction of one file
-- leaves as they were), or every line when the rules, code lists or reference snapshots
-- changed; the other dates' lines stand, so a daily build does not parse every day's JSON
-- and X12 again.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'file_business_date', 'dates': 'channel_dates'}}
) }}

with

lines as (
    select * from {{ ref('stg_web__order_lines') }}
    union all
    select * from {{ ref('stg_edi__order_lines') }}
    union all
    select * from {{ ref('stg_api__order_lines') }}
    union all
    select * from {{ ref('stg_manual__order_lines') }}
)

select * from lines
where {{ channel_scope('file_business_date', 'load_id') }}
