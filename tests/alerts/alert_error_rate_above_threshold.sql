-- Alert (warn): a source system's error rate for a business date is above the plan's
-- threshold (var alert_error_rate, 5%). One row per source and date, with the figure.
{{ config(severity = 'warn') }}

select
    source_system,
    business_date,
    error_rate,
    source_system || ' ' || business_date || ': error rate ' || round(error_rate * 100, 1)
    || '% (' || records_in_error || ' of ' || records_received || ' records)' as alert
from {{ ref('rpt_source_metrics') }}
where is_error_rate_alert
