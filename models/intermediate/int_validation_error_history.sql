-- Every finding the error layer has ever held, with when it was first and last
-- seen and when it was resolved. A finding resolves itself when a build no
-- longer finds it: a corrected delivery or new reference data arrived, or the
-- rule was switched off. A finding is identified across file versions by its
-- file, rule, record key, field and value, so a correction that fixes other
-- lines keeps it open with its original first_seen_at.
-- Kept through --full-refresh (full_refresh = false): it is the only record of
-- what was resolved and when.
-- An incremental build rewrites only the findings that changed (new, moved to a
-- corrected delivery, reopened or resolved); the post-hook then stamps the build
-- on every open finding, a one-column update instead of rewriting them all.
-- depends_on: {{ ref('order_validation_rules') }}
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'delete+insert',
    unique_key = 'error_key',
    full_refresh = false,
    on_schema_change = 'append_new_columns',
    post_hook = "update {{ this }} set last_seen_at = {{ build_timestamp() }} where resolved_at is null"
) }}

with

failures as (
    select * from {{ ref('int_validation_failures') }}
),

current_findings as (
    select
        md5(concat_ws(
            '|', source_file, rule_id, coalesce(order_id, ''), coalesce(field_name, ''), coalesce(failed_value, ''),
            row_number() over (
                partition by source_file, rule_id, order_id, field_name, failed_value order by source_line
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
        message
    from failures
),

build as (
    select {{ build_timestamp() }} as built_at
),

{% if is_incremental() %}
    rules as (
        select * from {{ ref('order_validation_rules') }}
    ),

    previous as (
        select * from {{ this }}
    ),

    -- New, reopened, or seen in another place (a corrected delivery): an open
    -- finding found again unchanged keeps its row (the post-hook stamps it).
    still_or_newly_found as (
        select
            current_findings.*,
            coalesce(previous.first_seen_at, build.built_at) as first_seen_at,
            build.built_at as last_seen_at,
            cast(null as timestamp) as resolved_at,
            cast(null as varchar) as resolution
        from current_findings
        cross join build
        left join previous on current_findings.error_key = previous.error_key
        where previous.error_key is null
            or previous.resolved_at is not null
            or (
                current_findings.source_system, current_findings.source_file, current_findings.source_line,
                current_findings.load_id, current_findings.business_date, current_findings.order_id,
                current_findings.rule_id, current_findings.field_name, current_findings.category,
                current_findings.severity, current_findings.failed_value, current_findings.message
            ) is distinct from (
                previous.source_system, previous.source_file, previous.source_line,
                previous.load_id, previous.business_date, previous.order_id,
                previous.rule_id, previous.field_name, previous.category,
                previous.severity, previous.failed_value, previous.message
            )
    ),

    resolved_now as (
        select
            previous.error_key,
            previous.source_system,
            previous.source_file,
            previous.source_line,
            previous.load_id,
            previous.business_date,
            previous.order_id,
            previous.rule_id,
            previous.field_name,
            previous.category,
            previous.severity,
            previous.failed_value,
            previous.message,
            previous.first_seen_at,
            previous.last_seen_at,
            build.built_at as resolved_at,
            case
                when not coalesce(rules.is_enabled, false) then 'rule switched off'
                else 'no longer found (corrected delivery or new reference data)'
            end as resolution
        from previous
        cross join build
        left join rules on previous.rule_id = rules.rule_id
        anti join current_findings on previous.error_key = current_findings.error_key
        where previous.resolved_at is null
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
            cast(null as varchar) as resolution
        from current_findings
        cross join build
    )
{% endif %}

select * from final
