-- Alert (warn): the review queue holds more open business-rule findings than the
-- plan's threshold (var alert_review_queue_size, 100).
{{ config(severity = 'warn') }}

with

open_items as (
    select count(*) as open_review_items
    from {{ ref('rpt_review_queue') }}
    where review_status = 'open'
)

select
    open_review_items,
    'review queue: ' || open_review_items || ' open items' as alert
from open_items
where open_review_items > {{ var('alert_review_queue_size') }}
