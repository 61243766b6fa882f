-- Alert (warn): conditions the order staging plan escalates are open (marts.rpt_escalations:
-- review items past the review target, a rule failing on many of a file's orders, a
-- rejected file, a file missing past its cut-off). One row per escalation.
{{ config(severity = 'warn') }}

select
    reason,
    source_system,
    source_file,
    business_date,
    detail
from {{ ref('rpt_escalations') }}
