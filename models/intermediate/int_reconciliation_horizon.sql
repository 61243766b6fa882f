-- The moment the reconciliation's ages are measured at (one row): the end of the latest
-- business date an OMS file was loaded for, or var recon_as_of when set. The OMS's own
-- horizon, not the wall clock: an order cannot be expected in OMS files not yet delivered,
-- and a rebuild of old deliveries gives the ages they had. With the grace window (var
-- missing_grace_days), an order rung up at 23:59 is not chased before the OMS has
-- reported the following day.
{{ config(materialized = 'view') }}

with

oms_files as (
    {{ current_loads('oms_orders') }}
),

final as (
    select
        {%- if var('recon_as_of', none) %}
            cast('{{ var("recon_as_of") }}' as timestamp) as as_of,
        {%- else %}
            cast(max(file_business_date) + interval 1 day as timestamp) as as_of,
        {%- endif %}
        cast({{ var('missing_grace_days') }} as decimal(9, 3)) as grace_days
    from oms_files
)

select * from final
