-- OMS order rows that passed every enabled error-severity rule (rows with
-- warnings only are here too, and in the error layer).
with

orders as (
    select * from {{ ref('stg_oms__orders') }}
),

blocking as (
    select distinct record_id
    from {{ ref('int_validation_failures') }}
    where source_system = 'OMS' and severity = 'error'
),

final as (
    select orders.*
    from orders
    anti join blocking on orders.record_id = blocking.record_id
)

select * from final
