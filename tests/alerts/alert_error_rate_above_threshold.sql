-- Alert (warn): a source system's error rate for a business date, the share of its orders
-- with an error-severity finding (rpt_source_metrics.order_error_rate), is above the plan's
-- threshold (var alert_error_rate, 5%). One row per source and date, with the figure.
{{ config(severity = 'warn') }}

select
    source_system,
    business_date,
    order_error_rate,
    source_system || ' ' || business_date || ': error rate ' || round(order_error_rate * 100, 1)
    || '% (' || orders_with_errors || ' of ' || orders || ' orders)' as alert
from {{ ref('rpt_source_metrics') }}
where is_error_rate_alert
