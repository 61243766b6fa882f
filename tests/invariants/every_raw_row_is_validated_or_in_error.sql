-- Nothing is silently dropped: for every current file, each raw row the loader
-- landed is in the validated layer, or in the error layer, or both (warnings),
-- and the raw layer holds exactly the rows the manifest says were landed
-- (deliveries a retention purge emptied are left out).
-- Returns one row per file that does not balance. Checks the files new in the build
-- (older files' raw rows do not change), every file on a full rebuild and with
-- --vars '{check_all_history: true}' (scope_condition).
{{ scope_dependencies(true) }}
with

current_files as (
    select
        load_id,
        file_name,
        file_kind,
        row_count
    from {{ ref('stg_loader__file_versions') }}
    where
        is_current_version and not is_purged
        and {{ scope_condition({'load_column': 'load_id', 'file_kinds': [
            'pos_orders', 'oms_orders', 'stores', 'products', 'customers', 'prices', 'stock'
        ]}) }}
),

raw_rows as (
    {%- for source_name, table in [
        ('pos', 'pos_order_lines'), ('oms', 'oms_orders'), ('reference', 'stores'), ('reference', 'products'),
        ('reference', 'customers'), ('reference', 'prices'), ('reference', 'stock')
    ] %}
        select
            raw_table._load_id as load_id,
            raw_table._source_line as source_line
        from {{ source(source_name, table) }} as raw_table
        semi join current_files on raw_table._load_id = current_files.load_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

accounted as (
    {%- for relation in [
        ref('int_pos_order_lines_validated'), ref('int_oms_orders_validated'), ref('stg_reference__stores'),
        ref('stg_reference__products'), ref('stg_reference__customers'), ref('stg_reference__prices'),
        ref('stg_reference__stock'), ref('int_validation_failures')
    ] %}
        select
            layer.load_id,
            layer.source_line
        from {{ relation }} as layer
        semi join current_files on layer.load_id = current_files.load_id
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

per_file as (
    select
        current_files.load_id,
        current_files.file_name,
        current_files.row_count as manifest_rows,
        count(raw_rows.source_line) as raw_rows,
        count(accounted.source_line) as accounted_rows
    from current_files
    left join raw_rows on current_files.load_id = raw_rows.load_id
    left join accounted on raw_rows.load_id = accounted.load_id and raw_rows.source_line = accounted.source_line
    group by current_files.load_id, current_files.file_name, current_files.row_count
)

select * from per_file
where raw_rows <> manifest_rows or accounted_rows <> raw_rows
