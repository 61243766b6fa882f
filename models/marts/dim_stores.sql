-- One row per store of the current store snapshot: names for dashboards and reports, which
-- otherwise show store ids only.
select
    store_id,
    store_name,
    is_active
from {{ ref('stg_reference__stores') }}
where store_id is not null
qualify row_number() over (partition by store_id order by source_line) = 1
