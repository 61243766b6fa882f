-- The lines of the notifications to the sources: one row per format or processing finding
-- of a source's current files, grouped into one notification per source system and business
-- date, and numbered in the order the notification lists them (file, line, rule).
-- "What to fix" is the rule's description in the seed, the one text that says what the
-- interface requires, with its threshold written in.
-- Incremental by business date (macro notification_dates): a build recomputes the dates
-- whose deliveries, orders or grace window changed; the other dates' rows stand, so a daily
-- build does not read every order and finding of history.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'notification_dates'}}
) }}
{#- what notification_dates reads, referenced whatever the branch, so that dbt sees it when it parses the model -#}
{%- set date_inputs = [ref('stg_loader__file_versions'), ref('int_reconciliation_horizon')] %}

with

failures as (
    select * from {{ ref('int_validation_failures') }}
    where category in ('format', 'processing') and {{ in_recompute_scope(date='business_date') }}
),

rules as (
    select * from {{ ref('order_validation_rules') }}
),

findings as (
    select
        failures.error_id,
        failures.source_system as recipient,
        failures.business_date,
        failures.source_file,
        failures.source_line,
        failures.rule_id,
        failures.severity,
        failures.field_name,
        failures.failed_value,
        failures.message,
        replace(
            rules.description,
            '`threshold`',
            -- [.] rather than an escaped dot: Spark reads a backslash in a literal as an escape
            coalesce(regexp_replace(cast(rules.threshold as string), '[.]?0+$', ''), '')
        ) as what_to_fix
    from failures
    left join rules on failures.rule_id = rules.rule_id
),

final as (
    select
        {{ notification_id('recipient', "'format_findings'", 'business_date') }} as notification_id,
        cast(row_number() over (
            partition by recipient, business_date
            order by source_file nulls last, source_line nulls first, rule_id, error_id
        ) as bigint) as item_number,
        recipient,
        business_date,
        source_file,
        source_line,
        rule_id,
        severity,
        field_name,
        failed_value,
        message,
        what_to_fix
    from findings
)

select * from final
