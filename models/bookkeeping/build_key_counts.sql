-- How many distinct order keys of each kind each delivery holds: the order counts of
-- rpt_source_metrics, counted once when a delivery arrives instead of over the whole key
-- index on every build. Incremental like the key index: a build appends the new
-- deliveries' counts and drops those of purged ones.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    meta = {'grain': {'new_deliveries': true, 'files': ['pos_orders', 'oms_orders'], 'load': 'load_id'}}
) }}

{#- the lists the recompute strategy deletes by (new and purged deliveries): refs made
    whatever the branch, so that dbt sees them when it parses the model -#}
{%- set new_deliveries = new_delivery_ids(['new']) %}
{%- do purged_version_ids() %}

with

keys as (
    select * from {{ ref('build_key_index') }}
    {%- if is_incremental() %}
        where load_id in ({{ new_deliveries }})
    {%- endif %}
),

final as (
    select
        load_id,
        key_kind,
        count(*) as key_count
    from keys
    group by load_id, key_kind
)

select * from final
