-- Every finding the error layer has ever held, with when it was first and last
-- seen and when it was resolved. A finding resolves itself when a build no
-- longer finds it: a corrected delivery or new reference data arrived, or the
-- rule was switched off. A finding is identified across file versions by its
-- file, rule, record key, field and value, so a correction that fixes other
-- lines keeps it open with its original first_seen_at.
-- Kept through --full-refresh (full_refresh = false): it is the only record of
-- what was resolved and when.
-- depends_on: {{ ref('order_validation_rules') }}
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'delete+insert',
    unique_key = 'error_key',
    full_refresh = false,
    on_schema_change = 'append_new_columns'
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
    select cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at
),

{% if is_incremental() %}
    rules as (
        select * from {{ ref('order_validation_rules') }}
    ),

    previous as (
        select * from {{ this }}
    ),

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
