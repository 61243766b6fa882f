-- Every channel's order lines in one shape (docs/channels.md): the web shop, EDI partners,
-- API integrations and manual entry. A table rebuilt at every build: the channels deliver
-- a few hundred orders a day next to the POS's hundreds of thousands.
{{ config(materialized = 'table') }}

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
