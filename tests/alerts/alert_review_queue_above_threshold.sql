-- Alert (warn): more orders await a decision in the review queue (open business-rule
-- findings, counted per order: macro review_order) than the plan's threshold
-- (var alert_review_queue_size, 100).
{{ config(severity = 'warn') }}

with

open_items as (
    select
        count(distinct {{ review_order() }}) as open_review_orders,
        count(*) as open_review_items
    from {{ ref('rpt_review_queue') }}
    where review_status = 'open'
)

select
    open_review_orders,
    open_review_items,
    'review queue: ' || open_review_orders || ' orders awaiting a decision (' || open_review_items
    || ' open findings)' as alert
from open_items
where open_review_orders > {{ var('alert_review_queue_size') }}
