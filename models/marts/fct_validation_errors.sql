-- The error layer as people read it: one row per failing record and rule
-- (contract section 7), file rejections included (category processing).
-- Incremental like int_validation_failures: a build replaces the findings it
-- recomputed. The table keeps the order as delivered, so a POS finding's order key
-- is normalized from order_id, as staging derives it.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_changed_findings(pos_order_key=normalize_order_key('order_id')) }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('int_changed_order_keys') }}
-- depends_on: {{ ref('int_build_settings') }}
-- depends_on: {{ ref('int_changed_key_loads') }}
with

failures as (
    select * from {{ ref('int_validation_failures') }}
    {{ only_changed_findings() }}
),

final as (
    select
        error_id,
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
)

select * from final
