-- depends_on: {{ ref('stg_loader__file_versions') }}
-- Every POS order with a usable order number is reconciled exactly once:
-- returns order keys missing from fct_order_reconciliation, present there
-- without a POS line, or present more than once. Checks the orders the build
-- recomputed, every order on a full rebuild (scope_condition).
{{ scope_dependencies(true) }}
with

pos_keys as (
    select distinct order_key
    from {{ ref('stg_pos__order_lines') }}
    where
        order_key is not null
        and {{ scope_condition({
            'key_column': 'order_key', 'key_kinds': ['pos_order', 'oms_source'],
            'load_column': 'load_id', 'file_kinds': ['pos_orders'], 'indexed_as': 'pos_order'
        }) }}
),

reconciled as (
    select
        order_id,
        count(*) as occurrences
    from {{ ref('fct_order_reconciliation') }}
    where {{ scope_condition({
        'key_column': 'order_id', 'key_kinds': ['pos_order', 'oms_source'], 'date_column': 'business_date',
        'exact': true
    }) }}
    group by order_id
    -- orders of purged dates stay reconciled without their (removed) POS lines
    having max(business_date) > {{ purged_through() }} or count(*) > 1
),

problems as (
    select
        coalesce(pos_keys.order_key, reconciled.order_id) as order_key,
        case
            when reconciled.order_id is null then 'not reconciled'
            when pos_keys.order_key is null then 'reconciled without a POS line'
            else 'reconciled ' || reconciled.occurrences || ' times'
        end as problem
    from pos_keys
    full outer join reconciled on pos_keys.order_key = reconciled.order_id
    where reconciled.order_id is null or pos_keys.order_key is null or reconciled.occurrences > 1
)

select * from problems
