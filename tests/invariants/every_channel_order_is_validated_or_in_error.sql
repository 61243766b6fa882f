-- Nothing of a channel file is silently dropped: every order document of a current web or
-- API file, and every purchase order (ST*850 segment) of a current EDI file, is an order of
-- int_channel_order_lines at the same position; and every such order is in the validated
-- layer or has a finding in the error layer. Returns one row per order that is not. Checks
-- the files new in the build, every file on a full rebuild (in_tested_scope).
-- (Manual files are line-based: every_raw_row_is_validated_or_in_error checks them.)
with

current_files as (
    select load_id
    from {{ ref('stg_loader__file_versions') }}
    where
        is_current_version and file_kind in ('web_orders', 'api_orders', 'edi_850')
        and {{ in_tested_scope({'files': ['web_orders', 'api_orders', 'edi_850']}, load='load_id') }}
),

delivered as (
    select
        web_orders._load_id as load_id,
        web_orders._source_position as order_position
    from {{ source('web', 'web_orders') }} as web_orders
    semi join current_files on web_orders._load_id = current_files.load_id
    union all
    select
        api_orders._load_id as load_id,
        api_orders._source_position as order_position
    from {{ source('api', 'api_orders') }} as api_orders
    semi join current_files on api_orders._load_id = current_files.load_id
    union all
    select
        edi_segments._load_id as load_id,
        edi_segments._source_position as order_position
    from {{ source('edi', 'edi_segments') }} as edi_segments
    semi join current_files on edi_segments._load_id = current_files.load_id
    where edi_segments.segment_id = 'ST' and json_extract_string(edi_segments.elements, '$[1]') = '850'
),

lines as (
    select all_lines.*
    from {{ ref('int_channel_order_lines') }} as all_lines
    semi join current_files on all_lines.load_id = current_files.load_id
),

staged as (
    select distinct
        load_id,
        order_position
    from lines
),

accounted as (
    select
        validated.load_id,
        validated.order_position
    from {{ ref('int_channel_order_lines_validated') }} as validated
    semi join current_files on validated.load_id = current_files.load_id
    union all
    select
        lines.load_id,
        lines.order_position
    from lines
    semi join {{ ref('int_validation_failures') }} as failures on lines.record_id = failures.record_id
),

final as (
    select
        delivered.load_id,
        delivered.order_position,
        'not staged' as problem
    from delivered
    anti join staged
        on delivered.load_id = staged.load_id and delivered.order_position = staged.order_position
    union all
    select
        staged.load_id,
        staged.order_position,
        'neither validated nor in error' as problem
    from staged
    anti join accounted
        on staged.load_id = accounted.load_id and staged.order_position = accounted.order_position
)

select * from final
