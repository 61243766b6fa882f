-- The error layer: every failed check of every current record, plus files the
-- loader rejected and names its latest run ignored, with the category and
-- severity the rules seed gives them.
-- A rule disabled in the seed produces no rows here.
-- Incremental: a build replaces the findings of the rows the check models recomputed
-- (changed_findings_condition) and every file and reference finding; a change to the
-- rules seed, a code list or a reference snapshot replaces them all.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'findings': true, 'key': 'order_key'}}
) }}
{%- set file_columns = ['source_system', 'record_id', 'load_id', 'source_file', 'source_line', 'business_date',
    'order_id', 'order_key', 'rule_id', 'field_name', 'failed_value', 'message'] %}
with

rules as (
    select * from {{ ref('order_validation_rules') }}
),

-- by name: only reference findings carry a record_key (null for the others)
record_failures as (
    {{ union_relations_by_name([
        ref('int_pos_order_line_failures'), ref('int_oms_order_failures'),
        ref('int_reference_failures'), ref('int_channel_order_line_failures')
    ]) }}
),

rejected_files as (
    select
        source_system,
        cast(load_id as string) || ':file' as record_id,
        load_id,
        file_name as source_file,
        cast(null as bigint) as source_line,
        business_date,
        cast(null as string) as order_id,
        cast(null as string) as order_key,
        'file_rejected' as rule_id,
        cast(null as string) as field_name,
        file_name as failed_value,
        'file rejected (version ' || version || '): ' || reject_reason as message
    from {{ ref('stg_loader__file_versions') }}
    where is_latest_attempt and status = 'rejected'
),

ignored_files as (
    select
        case split_part(file_name, '/', 1)
            when 'pos' then 'POS'
            when 'oms' then 'OMS'
            when 'reference' then 'REFERENCE'
            when 'web' then 'WEB'
            when 'edi' then 'EDI'
            when 'api' then 'API'
            when 'manual' then 'MANUAL'
            else 'FILE'
        end as source_system,
        'ignored:' || file_name as record_id,
        cast(null as bigint) as load_id,
        file_name as source_file,
        cast(null as bigint) as source_line,
        cast(null as date) as business_date,
        cast(null as string) as order_id,
        cast(null as string) as order_key,
        'file_ignored' as rule_id,
        cast(null as string) as field_name,
        file_name as failed_value,
        'file ignored by the latest loader run: ' || detail as message
    from {{ ref('stg_loader__processing_events') }}
    where is_latest_run and event = 'file_ignored'
),

all_failures as (
    {{ union_ctes_by_name(
        [('source_system', 'string'), ('record_id', 'string'), ('load_id', 'bigint'), ('source_file', 'string'),
         ('source_line', 'bigint'), ('business_date', 'date'), ('order_id', 'string'), ('order_key', 'string'),
         ('rule_id', 'string'), ('field_name', 'string'), ('failed_value', 'string'), ('message', 'string'),
         ('record_key', 'string'), ('source_position', 'string')],
        [('record_failures', file_columns + ['record_key', 'source_position']),
         ('rejected_files', file_columns), ('ignored_files', file_columns)]
    ) }}
),

-- a rule the seed switches off produces no rows (enabled_findings, as the orders read them)
changed_failures as (
    select * from ({{ enabled_findings('all_failures') }})
    where {{ in_recompute_scope() }}
),

final as (
    select
        md5(changed_failures.record_id || '|' || changed_failures.rule_id) as error_id,
        changed_failures.source_system,
        changed_failures.record_id,
        changed_failures.load_id,
        changed_failures.source_file,
        changed_failures.source_line,
        changed_failures.business_date,
        changed_failures.order_id,
        changed_failures.order_key,
        changed_failures.record_key,
        changed_failures.rule_id,
        changed_failures.field_name,
        rules.category,
        rules.severity,
        changed_failures.failed_value,
        changed_failures.message,
        changed_failures.source_position
    from changed_failures
    -- A left join: a finding whose rule id the seed does not know keeps its row (with no
    -- category or severity), and the relationships test on rule_id fails the build with it.
    left join rules on changed_failures.rule_id = rules.rule_id
)

select * from final
