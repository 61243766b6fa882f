-- Typed POS lines of every delivery that has been current at a build, kept when a
-- correction supersedes it (its order numbers tell which orders the correction
-- touches). Incremental: a build appends only the new deliveries' lines.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'append_new_columns',
    pre_hook = "{{ delete_new_loads('pos_orders') }}"
) }}
-- depends_on: {{ ref('int_load_changes') }}
-- depends_on: {{ ref('stg_loader__file_versions') }}

with

lines as (
    select * from {{ ref('stg_pos__order_lines') }}
    {% if is_incremental() -%}
        where load_id in ({{ changed_load_ids(['pos_orders'], ['new']) }})
    {%- endif %}
),

final as (
    select * from lines
)

select * from final
