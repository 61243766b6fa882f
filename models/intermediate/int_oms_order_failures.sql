-- One row per OMS order row and failed check, all checks in one pass.
-- Incremental: a build rechecks the rows of changed deliveries and every row that
-- shares an OMS order id with them, or every row when the settings changed.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {
        'keys': ['oms_order'], 'files': ['oms_orders'], 'key': 'order_id', 'load': 'load_id',
        'final': 'purged_deliveries'
    }}
) }}

with

current_loads as (
    {{ current_loads('oms_orders') }}
),

orders as (
    select all_orders.*
    from {{ ref('stg_oms__orders') }} as all_orders
    semi join current_loads on all_orders.load_id = current_loads.load_id
    where {{ in_recompute_scope(key='all_orders.oms_order_id', load='all_orders.load_id', indexed_as='oms_order') }}
),

source_systems as (
    select source_system from {{ ref('source_systems') }}
),

order_statuses as (
    select order_status from {{ ref('order_statuses') }}
),

currencies as (
    select currency_code from {{ ref('currencies') }}
),

-- Only the ids that break a rule: joining them back is then a lookup in a few rows.
id_use_in_file as (
    select
        load_id,
        oms_order_id,
        count(*) as occurrences
    from orders
    where oms_order_id is not null
    group by load_id, oms_order_id
    having count(*) > 1
),

id_use_across_files as (
    select
        oms_order_id,
        count(distinct load_id) as file_count
    from orders
    where oms_order_id is not null
    group by oms_order_id
    having count(distinct load_id) > 1
),

joined as (
    select
        orders.*,
        id_use_in_file.occurrences as id_occurrences_in_file,
        id_use_across_files.file_count as id_file_count,
        source_systems.source_system is not null as is_source_system_known,
        order_statuses.order_status is not null as is_order_status_known,
        currencies.currency_code is not null as is_currency_known
    from orders
    left join id_use_in_file
        on orders.load_id = id_use_in_file.load_id and orders.oms_order_id = id_use_in_file.oms_order_id
    left join id_use_across_files on orders.oms_order_id = id_use_across_files.oms_order_id
    left join source_systems on orders.source_system = source_systems.source_system
    left join order_statuses on orders.order_status = order_statuses.order_status
    left join currencies on orders.currency = currencies.currency_code
),

checked as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        file_business_date,
        oms_order_id,
        {{ failures_of([
            required('oms_order_id_required', 'oms_order_id'),
            failure('oms_order_id_unique', 'id_occurrences_in_file > 1', 'oms_order_id', 'oms_order_id',
                "'oms_order_id ' || oms_order_id || ' appears ' || id_occurrences_in_file || ' times in this file'"),
            failure('oms_order_id_in_several_files', 'id_file_count > 1', 'oms_order_id', 'oms_order_id',
                "'oms_order_id ' || oms_order_id || ' appears in ' || id_file_count || ' OMS files'"),
            required('oms_source_system_required', 'source_system', 'source_system_text'),
            failure('oms_source_system_known', 'source_system is not null and not is_source_system_known',
                'source_system', 'source_system_text',
                "'source_system ' || chr(39) || source_system_text || chr(39) || ' is not one of '"
                ~ " || (select " ~ ordered_agg('source_system', "', '", 'source_system') ~ " from source_systems)"),
            failure('oms_source_order_id_required', "source_system = 'POS' and source_order_id is null",
                'source_order_id', 'null', "'source_order_id is missing on a POS order'"),
            failure('oms_store_id_required', "source_system = 'POS' and store_id is null", 'store_id', 'null',
                "'store_id is missing on a POS order'"),
            required('oms_order_status_required', 'order_status', 'order_status_text'),
            failure('oms_order_status_known', 'order_status is not null and not is_order_status_known',
                'order_status', 'order_status_text',
                "'order_status ' || chr(39) || order_status_text || chr(39) || ' is not one of '"
                ~ " || (select " ~ ordered_agg('order_status', "', '", 'order_status') ~ " from order_statuses)"),
            required('oms_order_total_required', 'order_total', 'order_total_text'),
            well_formed('oms_order_total_format', 'order_total', 'a decimal with at most 2 decimal places'),
            required('oms_currency_required', 'currency'),
            failure('oms_currency_format', 'not ' ~ full_match('currency', '[A-Z]{3}'), 'currency', 'currency',
                "'currency ' || chr(39) || currency || chr(39) || ' is not three capital letters'"),
            failure('oms_currency_known', full_match('currency', '[A-Z]{3}') ~ ' and not is_currency_known',
                'currency', 'currency', "'currency ' || currency || ' is not an ISO 4217 code'"),
            required('oms_created_at_required', 'created_at', 'created_at_text'),
            well_formed('oms_created_at_format', 'created_at', 'an ISO 8601 timestamp')
        ]) }} as failures
    from joined
),

unnested as (
    select
        record_id,
        load_id,
        source_file,
        source_line,
        file_business_date,
        oms_order_id,
        {{ unnest_list("failures") }} as failure
    from checked
),

final as (
    select
        'OMS' as source_system,
        unnested.record_id,
        unnested.load_id,
        unnested.source_file,
        unnested.source_line,
        unnested.file_business_date as business_date,
        unnested.oms_order_id as order_id,
        cast(null as string) as order_key,
        failure.rule_id,
        failure.field_name,
        failure.failed_value,
        failure.message
    from unnested
)

select * from final
