-- The channel order lines that passed validation: every line of an order (one order id in
-- one file) with no error-severity finding on any of its lines, under the rules the seed
-- keeps on. Warnings let an order through. A later file's copy of an order is a duplicate
-- (rule channel_order_duplicate) and stays out, so each order is here once.
-- A view: the hand-off and the validated order layer read it, and it is only their lines.

{{ config(materialized = 'view') }}

with

lines as (
    select * from {{ ref('int_channel_order_lines') }}
),

findings as (
    select * from ({{ enabled_findings(ref('int_channel_order_line_failures')) }})
),

rules as (
    select * from {{ ref('order_validation_rules') }}
),

orders_in_error as (
    select distinct
        findings.load_id,
        findings.source_system as channel,
        findings.order_key
    from findings
    inner join rules on findings.rule_id = rules.rule_id
    where rules.severity = 'error' and findings.order_key is not null
),

final as (
    select lines.*
    from lines
    anti join orders_in_error
        on
            lines.load_id = orders_in_error.load_id
            and lines.channel = orders_in_error.channel
            and lines.order_key = orders_in_error.order_key
    where lines.order_key is not null
)

select * from final
