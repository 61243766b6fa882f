-- What goes up the line (the order staging plan's escalation of critical errors), one row
-- per escalated condition, with its reason:
--   review_sla_breached       open review items older than the review target (var
--                             review_sla_hours, 4), per file and rule
--   rule_affects_many_orders  a rule failing on more than a share of a file's orders (var
--                             escalation_order_share) and at least escalation_min_orders
--   file_rejected             a file whose latest delivery was rejected whole
--   file_missing              a source with no file for a business date the other source
--                             delivered (or one between two delivered dates), past the
--                             cut-off (var file_cutoff_hours after the end of the date)
-- A view: the review age and the cut-offs are measured at query time (UTC), so the list is
-- current whenever it is read, not only after a build.
{{ config(materialized = 'view') }}

with

clock as (
    select cast({{ utc_now() }} as timestamp) as now_utc
),

open_items as (
    select * from {{ ref('rpt_review_queue') }}
    where review_status = 'open'
),

late_reviews as (
    select
        'review_sla_breached' as reason,
        open_items.source_system,
        open_items.source_file,
        min(open_items.business_date) as business_date,
        open_items.rule_id,
        count(distinct {{ review_order() }}) as affected_orders,
        count(*) as open_items,
        min(open_items.first_seen_at) as since
    from open_items
    where open_items.is_past_review_target
    group by open_items.source_system, open_items.source_file, open_items.rule_id
),

versions as (
    select * from {{ ref('stg_loader__file_versions') }}
),

current_files as (
    select
        file_name,
        loaded_at
    from versions
    where is_current_version
),

metrics as (
    select
        source_system,
        business_date,
        orders
    from {{ ref('rpt_source_metrics') }}
    where orders > 0
),

findings_per_file as (
    select
        source_system,
        source_file,
        business_date,
        rule_id,
        count(distinct coalesce(order_key, record_key)) as affected_orders
    from {{ ref('fct_validation_errors') }}
    where business_date is not null
    group by source_system, source_file, business_date, rule_id
),

widespread_rules as (
    select
        'rule_affects_many_orders' as reason,
        findings_per_file.source_system,
        findings_per_file.source_file,
        findings_per_file.business_date,
        findings_per_file.rule_id,
        findings_per_file.affected_orders,
        cast(null as bigint) as open_items,
        current_files.loaded_at as since,
        metrics.orders
    from findings_per_file
    inner join current_files on findings_per_file.source_file = current_files.file_name
    inner join metrics
        on
            findings_per_file.source_system = metrics.source_system
            and findings_per_file.business_date = metrics.business_date
    where
        findings_per_file.affected_orders >= {{ var('escalation_min_orders') }}
        and findings_per_file.affected_orders > metrics.orders * {{ var('escalation_order_share') }}
),

rejected_files as (
    select
        'file_rejected' as reason,
        source_system,
        file_name as source_file,
        business_date,
        cast(null as string) as rule_id,
        loaded_at as since,
        reject_reason
    from versions
    where is_latest_attempt and status = 'rejected'
),

dated_deliveries as (
    select
        source_system,
        business_date
    from versions
    where
        business_date is not null
        and source_system in ('POS', 'OMS')
        and (is_current_version or is_latest_attempt)
),

calendar as (
    select
        {{ each_day('min(business_date)', 'max(business_date)') }} as business_date
    from dated_deliveries
),

expected as (
    select
        sources.source_system,
        calendar.business_date,
        cast(calendar.business_date + interval 1 day + {{ hours_interval(var('file_cutoff_hours')) }} as timestamp)
            as cut_off
    from calendar
    cross join (values ('POS'), ('OMS')) as sources (source_system)
),

missing_files as (
    select
        'file_missing' as reason,
        expected.source_system,
        cast(null as string) as source_file,
        expected.business_date,
        cast(null as string) as rule_id,
        expected.cut_off as since
    from expected
    cross join clock
    anti join dated_deliveries
        on
            expected.source_system = dated_deliveries.source_system
            and expected.business_date = dated_deliveries.business_date
    where expected.cut_off < clock.now_utc
),

escalations as (
    select
        reason,
        source_system,
        source_file,
        business_date,
        rule_id,
        affected_orders,
        open_items,
        since,
        open_items || ' review item' || case when open_items = 1 then '' else 's' end || ' of '
        || source_file || ' (' || rule_id || ', ' || affected_orders || ' order'
        || case when affected_orders = 1 then '' else 's' end || ') open for more than '
        || {{ var('review_sla_hours') }} || ' hours' as detail
    from late_reviews
    union all
    select
        reason,
        source_system,
        source_file,
        business_date,
        rule_id,
        affected_orders,
        open_items,
        since,
        rule_id || ' fails on ' || affected_orders || ' of the ' || orders || ' orders of ' || source_file
        || ' (' || round(100.0 * affected_orders / orders, 1) || '%)' as detail
    from widespread_rules
    union all
    select
        reason,
        source_system,
        source_file,
        business_date,
        rule_id,
        cast(null as bigint) as affected_orders,
        cast(null as bigint) as open_items,
        since,
        source_file || ' was rejected whole: ' || coalesce(reject_reason, 'no reason recorded') as detail
    from rejected_files
    union all
    select
        reason,
        source_system,
        source_file,
        business_date,
        rule_id,
        cast(null as bigint) as affected_orders,
        cast(null as bigint) as open_items,
        since,
        'no ' || source_system || ' file for ' || {{ format_timestamp('business_date', '%Y-%m-%d') }} || ' by its cut-off ('
        || {{ format_timestamp('since', '%Y-%m-%d %H:%M') }} || ' UTC)' as detail
    from missing_files
),

final as (
    select
        md5(concat_ws(
            '|', escalations.reason, escalations.source_system, escalations.source_file,
            escalations.business_date, escalations.rule_id
        )) as escalation_key,
        escalations.reason,
        escalations.source_system,
        escalations.source_file,
        escalations.business_date,
        escalations.rule_id,
        cast(escalations.affected_orders as bigint) as affected_orders,
        cast(escalations.open_items as bigint) as open_items,
        escalations.since,
        cast(({{ epoch_seconds('clock.now_utc') }} - {{ epoch_seconds('escalations.since') }}) / 3600 as decimal(10, 1)) as age_hours,
        escalations.detail
    from escalations
    cross join clock
)

select * from final
