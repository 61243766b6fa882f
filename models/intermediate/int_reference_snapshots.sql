-- Which reference snapshots are loaded. Checks that need a snapshot run only
-- when it is loaded (contract section 5); rpt_validation_rules says when not.
-- stores and products are the interface's; customers, prices and stock are
-- optional extensions.
with

kinds as (
    select snapshot_kinds.snapshot_kind
    from (values ('stores'), ('products'), ('customers'), ('prices'), ('stock')) as snapshot_kinds (snapshot_kind)
),

current_files as (
    select
        file_kind,
        load_id,
        file_name,
        loaded_at,
        row_count
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and file_kind in ('stores', 'products', 'customers', 'prices', 'stock')
),

final as (
    select
        kinds.snapshot_kind,
        current_files.load_id is not null as is_loaded,
        current_files.load_id,
        current_files.file_name,
        current_files.loaded_at,
        current_files.row_count
    from kinds
    left join current_files on kinds.snapshot_kind = current_files.file_kind
)

select * from final
