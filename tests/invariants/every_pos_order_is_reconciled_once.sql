-- Every POS order with a usable order number is reconciled exactly once:
-- returns order keys missing from fct_order_reconciliation, present there
-- without a POS line, or present more than once. Checks the orders the build
-- recomputed, every order on a full rebuild (in_tested_scope).
-- An order of a purged date is final (frozen_date_condition): it stays reconciled
-- without its removed POS lines, and a later file that repeats its number adds no row:
-- the order keeps its purged date's row, which the recomputed dates do not include, so
-- the final rows of the checked order numbers are read too.
{%- set grain = {'keys': ['pos_order', 'oms_source'], 'files': ['pos_orders']} %}
{%- set recomputed = in_tested_scope(grain, key='order_id', date='business_date') %}
with

pos_keys as (
    select distinct order_key
    from {{ ref('stg_pos__order_lines') }}
    where
        order_key is not null
        and {{ in_tested_scope(grain, key='order_key', load='load_id', indexed_as='pos_order') }}
),

reconciled_rows as (
    select
        order_id,
        business_date
    from {{ ref('fct_order_reconciliation') }}
    where {{ recomputed }}
    union all
    select
        orders.order_id,
        orders.business_date
    from {{ ref('fct_order_reconciliation') }} as orders
    semi join pos_keys on orders.order_id = pos_keys.order_key
    where {{ frozen_date_condition('orders.business_date') }} and not coalesce({{ recomputed }}, false)
),

reconciled as (
    select
        order_id,
        count(*) as occurrences,
        bool_and({{ frozen_date_condition('business_date') }}) as is_final
    from reconciled_rows
    group by order_id
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
    where
        reconciled.order_id is null
        or (pos_keys.order_key is null and not reconciled.is_final)
        or reconciled.occurrences > 1
)

select * from problems
