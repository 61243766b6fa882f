-- Typed OMS rows of every delivery that has been current at a build, kept when a
-- correction supersedes it. Incremental: a build appends only the new deliveries.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_new_loads('oms_orders') }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}

with

orders as (
    select * from {{ ref('stg_oms__orders') }}
    {% if is_incremental() -%}
        where load_id in ({{ changed_load_ids(['oms_orders'], ['new']) }})
    {%- endif %}
),

final as (
    select * from orders
)

select * from final
