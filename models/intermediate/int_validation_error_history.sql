-- Every finding the error layer has ever held, with when it was first and last
-- seen and when it was resolved. A finding resolves itself when a build no
-- longer finds it: a corrected delivery or new reference data arrived, or the
-- rule was switched off. A finding is identified across file versions by its
-- file, rule, record key, field and value, so a correction that fixes other
-- lines keeps it open with its original first_seen_at.
-- Kept through --full-refresh (full_refresh = false): it is the only record of
-- what was resolved and when. A full refresh compares every finding: one that a forced
-- full refresh after a retention purge dropped with its purged delivery
-- (allow_full_refresh_after_purge) is resolved as such.
-- An incremental build compares only the findings of the rows the check models
-- recomputed (the findings grain, macros/recompute.sql, on both sides) and rewrites those that
-- changed (new, moved to a corrected delivery, reopened or resolved); the post-hook
-- then stamps the build on every open finding, a one-column update instead of
-- rewriting them all. A finding's error_key numbers the repeats of the same file,
-- order, rule, field and value: those repeats share an order key, so they are
-- recomputed together.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'delete+insert',
    unique_key = 'error_key',
    full_refresh = false,
    on_schema_change = 'append_new_columns',
    post_hook = "{{ stamp_open_findings() }}"
) }}

{%- set grain = {'findings': true, 'key': 'order_key'} %}
{#- refs made whatever the branch, so that dbt sees them when it parses the model -#}
{%- set rules_seed = ref('order_validation_rules') %}
with

failures as (
    select * from {{ ref('int_validation_failures') }}
    where {{ in_recompute_scope(grain=grain) }}
),

current_findings as (
    select
        md5(concat_ws(
            '|', source_file, rule_id, coalesce(order_id, record_key, ''), coalesce(field_name, ''),
            coalesce(failed_value, ''),
            row_number() over (
                partition by source_file, rule_id, coalesce(order_id, record_key), field_name, failed_value
                order by source_line
            )
        )) as error_key,
        source_system,
        source_file,
        source_line,
        load_id,
        business_date,
        order_id,
        rule_id,
        field_name,
        category,
        severity,
        failed_value,
        message,
        record_key
    from failures
),

build as (
    select {{ build_timestamp() }} as built_at
),

{% if is_incremental() %}
    rules as (
        select * from {{ rules_seed }}
    ),

    previous as (
        select * from {{ this }}
    ),

    -- The open findings this build looked for again: those not found now are resolved.
    previous_open as (
        select * from {{ this }}
        where
            resolved_at is null
            and {{ in_recompute_scope(grain={'findings': true, 'key': 'order_id', 'key_is_delivered': true}) }}
    ),

    -- New, reopened, or seen in another place (a corrected delivery): an open
    -- finding found again unchanged keeps its row (the post-hook stamps it).
    still_or_newly_found as (
        select
            current_findings.*,
            coalesce(previous.first_seen_at, build.built_at) as first_seen_at,
            build.built_at as last_seen_at,
            cast(null as timestamp) as resolved_at,
            cast(null as string) as resolution
        from current_findings
        cross join build
        left join previous on current_findings.error_key = previous.error_key
        where previous.error_key is null
            or previous.resolved_at is not null
            or (
                current_findings.source_system, current_findings.source_file, current_findings.source_line,
                current_findings.load_id, current_findings.business_date, current_findings.order_id,
                current_findings.rule_id, current_findings.field_name, current_findings.category,
                current_findings.severity, current_findings.failed_value, current_findings.message,
                current_findings.record_key
            ) is distinct from (
                previous.source_system, previous.source_file, previous.source_line,
                previous.load_id, previous.business_date, previous.order_id,
                previous.rule_id, previous.field_name, previous.category,
                previous.severity, previous.failed_value, previous.message,
                previous.record_key
            )
    ),

    resolved_now as (
        select
            previous_open.error_key,
            previous_open.source_system,
            previous_open.source_file,
            previous_open.source_line,
            previous_open.load_id,
            previous_open.business_date,
            previous_open.order_id,
            previous_open.rule_id,
            previous_open.field_name,
            previous_open.category,
            previous_open.severity,
            previous_open.failed_value,
            previous_open.message,
            previous_open.record_key,
            previous_open.first_seen_at,
            previous_open.last_seen_at,
            build.built_at as resolved_at,
            case
                {%- if flags.FULL_REFRESH %}
                    when previous_open.load_id in ({{ purged_load_ids() }})
                        then 'raw rows purged: dropped by a full refresh (allow_full_refresh_after_purge)'
                {%- endif %}
                when not coalesce(rules.is_enabled, false) then 'rule switched off'
                else 'no longer found (corrected delivery or new reference data)'
            end as resolution
        from previous_open
        cross join build
        left join rules on previous_open.rule_id = rules.rule_id
        anti join current_findings on previous_open.error_key = current_findings.error_key
    ),

    final as (
        select * from still_or_newly_found
        union all
        select * from resolved_now
    )
{% else %}
    final as (
        select
            current_findings.*,
            build.built_at as first_seen_at,
            build.built_at as last_seen_at,
            cast(null as timestamp) as resolved_at,
            cast(null as string) as resolution
        from current_findings
        cross join build
    )
{% endif %}

select * from final
