-- POS order lines that passed every enabled error-severity rule (lines with
-- warnings only are here too, and in the error layer).
with

lines as (
    select * from {{ ref('stg_pos__order_lines') }}
),

blocking as (
    select distinct record_id
    from {{ ref('int_validation_failures') }}
    where source_system = 'POS' and severity = 'error'
),

final as (
    select lines.*
    from lines
    anti join blocking on lines.record_id = blocking.record_id
)

select * from final
