-- Nothing is silently dropped: for every current file, each raw row the loader
-- landed is in the validated layer, or in the error layer, or both (warnings), or kept out
-- by a reviewer's rejection of its order (int_review_decisions); a decision is in staging.
-- And the raw layer holds exactly the rows the manifest says were landed (deliveries a
-- retention purge emptied are left out).
-- Returns one row per file that does not balance. Checks the files new in the build
-- (older files' raw rows do not change), every file on a full rebuild and with
-- --vars '{check_all_history: true}' (in_tested_scope).
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
        -- the line-based files; the channels' documents and segments:
        -- every_channel_order_is_validated_or_in_error
        and file_kind not in ('web_orders', 'api_orders', 'edi_850')
        and {{ in_tested_scope({'files': [
            'pos_orders', 'oms_orders', 'stores', 'products', 'customers', 'prices', 'stock', 'review_decisions',
            'manual_orders', 'partners'
        ]}, load='load_id') }}
),

rejected_items as (
    select
        item_order_key,
        item_record_id
    from {{ ref('int_review_decisions') }}
    where decision_status = 'applied' and decision_action = 'reject'
),

raw_rows as (
    {%- for source_name, table in [
        ('pos', 'pos_order_lines'), ('oms', 'oms_orders'), ('reference', 'stores'), ('reference', 'products'),
        ('reference', 'customers'), ('reference', 'prices'), ('reference', 'stock'), ('review', 'review_decisions'),
        ('manual', 'manual_order_lines'), ('reference', 'partners')
    ] %}
        select
            raw_table._load_id as load_id,
            raw_table._source_line as source_line
        from {{ source(source_name, table) }} as raw_table
        semi join current_files on raw_table._load_id = current_files.load_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

channel_orders_in_error as (
    select distinct
        lines_in_error.load_id,
        lines_in_error.order_position
    from {{ ref('int_channel_order_lines') }} as lines_in_error
    semi join current_files on lines_in_error.load_id = current_files.load_id
    semi join {{ ref('int_validation_failures') }} as failures on lines_in_error.record_id = failures.record_id
),

accounted as (
    {%- for relation in [
        ref('int_pos_order_lines_validated'), ref('int_oms_orders_validated'), ref('stg_reference__stores'),
        ref('stg_reference__products'), ref('stg_reference__customers'), ref('stg_reference__prices'),
        ref('stg_reference__stock'), ref('stg_review__decisions'), ref('int_validation_failures'),
        ref('int_channel_order_lines_validated'), ref('stg_reference__partners')
    ] %}
        select
            layer.load_id,
            layer.source_line
        from {{ relation }} as layer
        semi join current_files on layer.load_id = current_files.load_id
        union all
    {%- endfor %}
    -- an X12 segment is accounted for once staging assigned it to its envelopes (its
    -- purchase orders are checked from there: stg_edi__order_lines, int_edi_envelope_failures)
    select
        edi_segments.load_id,
        edi_segments.segment_number as source_line
    from {{ ref('stg_edi__segments') }} as edi_segments
    semi join current_files on edi_segments.load_id = current_files.load_id
    union all
    select
        pos_lines.load_id,
        pos_lines.source_line
    from {{ ref('stg_pos__order_lines') }} as pos_lines
    semi join current_files on pos_lines.load_id = current_files.load_id
    semi join rejected_items
        on pos_lines.order_key = rejected_items.item_order_key or pos_lines.record_id = rejected_items.item_record_id
    union all
    -- a channel order line of an order with a finding on another of its lines
    select
        channel_lines.load_id,
        channel_lines.source_line
    from {{ ref('int_channel_order_lines') }} as channel_lines
    semi join current_files on channel_lines.load_id = current_files.load_id
    semi join channel_orders_in_error
        on
            channel_lines.load_id = channel_orders_in_error.load_id
            and channel_lines.order_position = channel_orders_in_error.order_position
    union all
    select
        oms_rows.load_id,
        oms_rows.source_line
    from {{ ref('stg_oms__orders') }} as oms_rows
    semi join current_files on oms_rows.load_id = current_files.load_id
    semi join rejected_items on oms_rows.record_id = rejected_items.item_record_id
),

-- A raw row is accounted for when some layer holds it: an existence test (a hash join that
-- stops at the first match), so a row in two layers needs no de-duplication first.
checked_rows as (
    select
        raw_rows.load_id,
        exists(
            select 1 from accounted
            where accounted.load_id = raw_rows.load_id and accounted.source_line = raw_rows.source_line
        ) as is_accounted
    from raw_rows
),

raw_row_counts as (
    select
        load_id,
        count(*) as raw_rows,
        count(*) filter (where is_accounted) as accounted_rows
    from checked_rows
    group by load_id
),

per_file as (
    select
        current_files.load_id,
        current_files.file_name,
        current_files.row_count as manifest_rows,
        coalesce(raw_row_counts.raw_rows, 0) as raw_rows,
        coalesce(raw_row_counts.accounted_rows, 0) as accounted_rows
    from current_files
    left join raw_row_counts on current_files.load_id = raw_row_counts.load_id
)

select * from per_file
where raw_rows <> manifest_rows or accounted_rows <> raw_rows
