-- What to send, and to whom: one row per notification. Each source system gets one per
-- business date with format or processing findings in its current files (the lines are
-- rpt_notification_findings); the OMS team gets one per business date with POS orders
-- missing in the OMS (the lines are rpt_notification_missing_orders).
-- content_hash is the md5 of the notification's lines in their listed order, so whether a
-- notification changed since it was sent is decided here, by comparing hashes: the sender
-- (python -m recon_tools.notify) sends a notification again only when its hash differs
-- from the last one it recorded in raw.notification_log.
-- summary_text is the short letter sent beside the lines; it is written here, next to the
-- lines it counts, so the sender only moves bytes.
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
{#- the columns of the detail models, in their order, as the hashes cover them -#}
{%- set finding_columns = [
    'notification_id', 'item_number', 'recipient', 'business_date', 'source_file', 'source_line', 'rule_id',
    'severity', 'field_name', 'failed_value', 'message', 'what_to_fix'
] %}
{%- set missing_order_columns = [
    'notification_id', 'item_number', 'recipient', 'business_date', 'store_id', 'order_id', 'delivered_order_id',
    'ordered_at_utc', 'pos_order_total', 'currency', 'has_validation_errors', 'pos_source_file', 'example_rank'
] %}

with

findings as (
    select * from {{ ref('rpt_notification_findings') }}
    where {{ in_recompute_scope(date='business_date') }}
),

missing_orders as (
    select * from {{ ref('rpt_notification_missing_orders') }}
    where {{ in_recompute_scope(date='business_date') }}
),

finding_examples as (
    select
        *,
        row_number() over (partition by notification_id, rule_id order by item_number) as example_rank
    from findings
),

-- one paragraph per rule: how many records, what the interface requires, the first three examples
finding_rules as (
    select
        notification_id,
        rule_id,
        count(*) as rule_findings,
        -- severity and what to fix are the rule's: one value per rule
        '- ' || rule_id || ' (' || coalesce(max(severity), 'unknown rule') || '): '
        || count(*) || case when count(*) = 1 then ' record' else ' records' end || chr(10)
        || '  Required: ' || coalesce(max(what_to_fix), 'the rule is not in the rules seed') || chr(10)
        || {{ ordered_agg(
            "case when example_rank <= 3 then '  e.g. ' || source_file || coalesce(', line ' || source_line, '') || ': '
            || coalesce('\"' || failed_value || '\"', '(missing)') || coalesce(' - ' || message, '') end",
            'chr(10)', 'example_rank'
        ) }} as rule_text
    from finding_examples
    group by notification_id, rule_id
),

finding_notifications as (
    select
        notification_id,
        -- one recipient and date per notification (its id says them)
        max(recipient) as recipient,
        'format_findings' as kind,
        max(business_date) as business_date,
        count(*) as item_count,
        count(distinct source_file) as file_count,
        -- the whole row as JSON, so that a null and an empty value hash differently
        md5({{ ordered_agg(json_object_text(finding_columns), 'chr(10)', 'item_number') }}) as content_hash
    from findings
    group by notification_id
),

finding_rule_texts as (
    select
        notification_id,
        {{ ordered_agg('rule_text', 'chr(10)', 'rule_findings desc, rule_id asc') }} as rules_text
    from finding_rules
    group by notification_id
),

finding_summaries as (
    select
        notifications.notification_id,
        notifications.recipient,
        notifications.kind,
        notifications.business_date,
        notifications.item_count,
        notifications.content_hash,
        'To: ' || notifications.recipient || chr(10)
        || 'About: ' || notifications.item_count
        || case when notifications.item_count = 1 then ' finding' else ' findings' end
        || ' in ' || notifications.file_count || case when notifications.file_count = 1 then ' file' else ' files' end
        || coalesce(' of business date ' || notifications.business_date, ' without a business date')
        || chr(10)
        || 'Notification: ' || notifications.notification_id || chr(10) || chr(10)
        || 'These records of your deliveries break the file interface, or a file could not be taken at all.' || chr(10)
        || 'The CSV file of the same name lists every finding: file, line, rule, value and what to fix.' || chr(10)
        || 'Please deliver corrected files under the same names: a correction replaces the file it corrects.'
        || chr(10) || chr(10)
        || 'Findings by rule:' || chr(10)
        || rules.rules_text || chr(10) as summary_text
    from finding_notifications as notifications
    inner join finding_rule_texts as rules on notifications.notification_id = rules.notification_id
),

missing_examples as (
    select
        *,
        row_number() over (partition by notification_id order by item_number) as example_rank
    from missing_orders
),

missing_stores as (
    select
        notification_id,
        coalesce(store_id, '(no store)') as store_id,
        count(*) as store_orders
    from missing_orders
    group by all
),

missing_store_texts as (
    select
        notification_id,
        {{ ordered_agg(
            "'  ' || store_id || ': ' || store_orders || case when store_orders = 1 then ' order' else ' orders' end",
            'chr(10)', 'store_orders desc, store_id asc'
        ) }} as stores_text
    from missing_stores
    group by notification_id
),

missing_notifications as (
    select
        notification_id,
        max(recipient) as recipient,
        'missing_orders' as kind,
        max(business_date) as business_date,
        count(*) as item_count,
        md5({{ ordered_agg(
            json_object_text(missing_order_columns, timestamps=['ordered_at_utc']), 'chr(10)', 'item_number'
        ) }}) as content_hash,
        {{ ordered_agg(
            "case when example_rank <= 5 then '  ' || order_id || ', store ' || coalesce(store_id, '(none)')
            || coalesce(', rung up ' || " ~ format_timestamp('ordered_at_utc', '%Y-%m-%d %H:%M:%S') ~ " || ' UTC', '')
            || coalesce(', ' || pos_order_total || coalesce(' ' || currency, ''), '') end",
            'chr(10)', 'item_number'
        ) }} as examples_text
    from missing_examples
    group by notification_id
),

missing_summaries as (
    select
        notifications.notification_id,
        notifications.recipient,
        notifications.kind,
        notifications.business_date,
        notifications.item_count,
        notifications.content_hash,
        'To: ' || notifications.recipient || chr(10)
        || 'About: ' || notifications.item_count
        || case when notifications.item_count = 1 then ' POS order' else ' POS orders' end
        || ' of business date ' || notifications.business_date || ' not found in the OMS' || chr(10)
        || 'Notification: ' || notifications.notification_id || chr(10) || chr(10)
        || 'No OMS order carries these POS order numbers, in any OMS file loaded so far.' || chr(10)
        || 'The CSV file of the same name lists every one: store, order, time, total.' || chr(10)
        || 'Please check each order in the OMS: enter the orders that never arrived, and tell the' || chr(10)
        || 'data team about an OMS order that carries a mistyped POS order number.' || chr(10) || chr(10)
        || 'By store:' || chr(10) || stores.stores_text || chr(10) || chr(10)
        || 'First orders:' || chr(10) || notifications.examples_text || chr(10) as summary_text
    from missing_notifications as notifications
    inner join missing_store_texts as stores on notifications.notification_id = stores.notification_id
),

all_notifications as (
    select * from finding_summaries
    union all
    select * from missing_summaries
),

final as (
    select
        notification_id,
        recipient,
        kind,
        business_date,
        cast(item_count as bigint) as item_count,
        content_hash,
        summary_text
    from all_notifications
)

select * from final
