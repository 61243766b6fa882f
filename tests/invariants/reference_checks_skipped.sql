-- A warning, not a failure: names the reference snapshots not loaded yet, whose
-- checks (store or SKU exists and is active) are skipped until one arrives.
{{ config(severity = 'warn') }}

select
    snapshot_kind,
    'no ' || snapshot_kind || ' snapshot loaded: its reference checks are skipped' as warning
from {{ ref('int_reference_snapshots') }}
where not is_loaded and snapshot_kind in ('stores', 'products')
