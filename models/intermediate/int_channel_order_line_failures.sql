-- One row per channel order line (web, EDI, API, manual) and failed check: the rule
-- catalogue's channel_* rules (and the X12 envelope findings, int_edi_envelope_failures),
-- the same checks as the POS where the channel has the field (docs/channels.md).
-- Order-level checks (totals, ship-to, payment, operator) report once per order, on its
-- first line, with the order's position.
-- Incremental by business date (macro channel_dates), as int_channel_order_lines: a date's
-- findings are recomputed with its deliveries. The error layer (int_validation_failures)
-- takes every channel finding at each build.
{{ config(
    materialized = 'incremental',
    incremental_strategy = 'recompute',
    on_schema_change = 'append_new_columns',
    meta = {'grain': {'date': 'business_date', 'dates': 'channel_dates'}}
) }}

with

lines as (
    select * from {{ ref('int_channel_order_lines') }}
    where {{ in_recompute_scope(date='file_business_date') }}
),

thresholds as (
    {{ rule_thresholds([
        'channel_order_id_length', 'channel_line_total_arithmetic', 'channel_order_total_arithmetic',
        'channel_order_total_minimum', 'channel_order_total_maximum', 'channel_unit_price_list'
    ]) }}
),

customers as (
    {{ current_reference('customers') }}
),

prices as (
    {{ current_reference('prices') }}
),

products as (
    {{ current_reference('products') }}
),

currencies as (
    select currency_code from {{ ref('currencies') }}
),

countries as (
    select * from {{ ref('countries') }}
),

payment_methods as (
    select * from {{ ref('payment_methods') }}
),

-- One order is the lines of one order id in one file (its position in the file may repeat
-- the id: two orders with one id in a file are one order with their lines together).
order_facts as (
    select
        load_id,
        channel,
        order_key,
        min(record_id) as first_record_id,
        count(distinct order_total) as distinct_order_totals,
        sum(coalesce(line_total, quantity * unit_price - coalesce(discount_amount, 0))) as sum_of_line_totals,
        count(*) filter (
            where coalesce(line_total, quantity * unit_price - coalesce(discount_amount, 0)) is null
        ) as unreadable_line_totals,
        count(*) filter (where line_number_text is not null or sku is not null) as line_count
    from lines
    where order_key is not null
    group by load_id, channel, order_key
),

-- Every copy of the orders in scope, whatever its date: the earliest file holding an order
-- (by business date, then file name, which a correction keeps) is the order; a later file's
-- copy is a duplicate.
order_deliveries as (
    select distinct
        all_lines.channel,
        all_lines.order_key,
        all_lines.load_id,
        all_lines.file_business_date,
        all_lines.source_file
    from {{ ref('int_channel_order_lines') }} as all_lines
    semi join lines on all_lines.channel = lines.channel and all_lines.order_key = lines.order_key
),

order_files as (
    select
        channel,
        order_key,
        load_id,
        rank() over (partition by channel, order_key order by file_business_date, source_file) as file_rank
    from order_deliveries
),

line_number_use as (
    select
        load_id,
        channel,
        order_key,
        line_number,
        count(*) as occurrences
    from lines
    where order_key is not null and line_number is not null
    group by load_id, channel, order_key, line_number
    having count(*) > 1
),

customer_orders as (
    select distinct
        customer_id,
        file_business_date,
        channel,
        order_key,
        order_total
    from lines
    where customer_id is not null and order_key is not null
),

customer_day_value as (
    select
        customer_id,
        file_business_date,
        sum(order_total) as open_order_value
    from customer_orders
    group by customer_id, file_business_date
),

joined as (
    select
        lines.*,
        order_facts.first_record_id = lines.record_id or lines.order_key is null as is_first_line,
        order_facts.distinct_order_totals,
        order_facts.sum_of_line_totals,
        order_facts.unreadable_line_totals,
        order_facts.line_count,
        order_files.file_rank,
        line_number_use.occurrences as line_number_occurrences,
        customers.customer_id is not null as is_customer_known,
        customers.credit_limit,
        customers.delivery_weekdays,
        customer_day_value.open_order_value,
        prices.list_price,
        products.sku is not null as is_sku_known,
        coalesce(products.is_active, false) as is_sku_active,
        currencies.currency_code is not null as is_currency_known,
        countries.country_code is not null as is_country_known,
        countries.postal_code_pattern,
        payment_methods.payment_method is not null as is_payment_method_accepted,
        thresholds.channel_order_id_length as max_order_id_length,
        coalesce(thresholds.channel_line_total_arithmetic, 0) as line_total_tolerance,
        coalesce(thresholds.channel_order_total_arithmetic, 0) as order_total_tolerance,
        thresholds.channel_order_total_minimum as order_total_minimum,
        thresholds.channel_order_total_maximum as order_total_maximum,
        coalesce(thresholds.channel_unit_price_list, 0) as list_price_tolerance,
        lines.quantity * lines.unit_price as gross_amount,
        lines.quantity * lines.unit_price - coalesce(lines.discount_amount, 0) as expected_line_total,
        concat_ws(
            ', ',
            case when lines.ship_to_name is null then 'name' end,
            case when lines.ship_to_address1 is null then 'street address' end,
            case when lines.ship_to_city is null then 'city' end,
            case when lines.ship_to_postal_code is null then 'postal code' end,
            case when lines.ship_to_country is null then 'country' end
        ) as missing_ship_to_parts
    from lines
    cross join thresholds
    left join order_facts
        on
            lines.load_id = order_facts.load_id
            and lines.channel = order_facts.channel
            and lines.order_key = order_facts.order_key
    left join order_files
        on
            lines.load_id = order_files.load_id
            and lines.channel = order_files.channel
            and lines.order_key = order_files.order_key
    left join line_number_use
        on
            lines.load_id = line_number_use.load_id
            and lines.channel = line_number_use.channel
            and lines.order_key = line_number_use.order_key
            and lines.line_number = line_number_use.line_number
    left join customers on lines.customer_id = customers.customer_id
    left join customer_day_value
        on
            lines.customer_id = customer_day_value.customer_id
            and lines.file_business_date = customer_day_value.file_business_date
    left join prices on lines.sku = prices.sku
    left join products on lines.sku = products.sku
    left join currencies on lines.currency = currencies.currency_code
    left join countries on lines.ship_to_country = countries.country_code
    left join payment_methods
        on lines.channel = payment_methods.channel and lines.payment_method = payment_methods.payment_method
),

-- The checks of a line: what the line itself holds.
line_checks as (
    select
        record_id,
        {{ failures_of([
            required('channel_sku_required', 'sku'),
            failure('channel_sku_known', 'sku is not null and not is_sku_known', 'sku', 'sku',
                "'SKU ' || sku || ' is not in the product snapshot'"),
            failure('channel_sku_active', 'is_sku_known and not is_sku_active', 'sku', 'sku',
                "'SKU ' || sku || ' is not active'"),
            failure('channel_line_number_format',
                'line_number_text is not null and coalesce(line_number < 1, true)', 'line_number',
                'line_number_text', "'line_number ' || chr(39) || line_number_text || chr(39) || ' is not a whole number of at least 1'"),
            failure('channel_line_number_unique', 'line_number_occurrences > 1', 'line_number', 'line_number_text',
                "'line_number ' || line_number || ' appears ' || line_number_occurrences || ' times in order ' || order_id"),
            required('channel_quantity_required', 'quantity', 'quantity_text'),
            failure('channel_quantity_format', 'quantity_text is not null and coalesce(quantity < 1, true)',
                'quantity', 'quantity_text', "'quantity ' || chr(39) || quantity_text || chr(39) || ' is not a whole number of at least 1'"),
            required('channel_unit_price_required', 'unit_price', 'unit_price_text'),
            failure('channel_unit_price_format', 'unit_price_text is not null and coalesce(unit_price < 0, true)',
                'unit_price', 'unit_price_text',
                "'unit_price ' || chr(39) || unit_price_text || chr(39) || ' is not a decimal of at least 0 with at most 2 decimal places'"),
            failure('channel_discount_amount_format',
                'discount_amount_text is not null and (discount_amount is null or discount_amount < 0'
                ~ ' or coalesce(discount_amount > gross_amount, false))',
                'discount_amount', 'discount_amount_text',
                "'discount ' || chr(39) || discount_amount_text || chr(39) || ' is not a decimal between 0 and quantity * unit_price'"),
            well_formed('channel_line_total_format', 'line_total', 'a decimal with at most 2 decimal places'),
            failure('channel_line_total_arithmetic',
                'line_total_text is not null and abs(line_total - expected_line_total) > line_total_tolerance',
                'line_total', 'line_total_text',
                "'line_total ' || line_total || ' differs from quantity * unit_price - discount = ' || expected_line_total"),
            failure('channel_unit_price_list', 'abs(unit_price - list_price) > list_price_tolerance', 'unit_price',
                'unit_price_text', "'unit_price ' || unit_price || ' differs from the list price ' || list_price"),
        ], left_out=rules_without_snapshot()) }} as failures
    from joined
    where line_number_text is not null or sku is not null or quantity_text is not null
),

-- The checks of an order, on its first line.
order_checks as (
    select
        record_id,
        {{ failures_of([
            required('channel_order_id_required', 'order_id'),
            failure('channel_order_id_length', 'length(order_id) > max_order_id_length', 'order_id', 'order_id',
                "'order_id has ' || length(order_id) || ' characters (at most ' || cast(max_order_id_length as int) || ')'"),
            failure('channel_order_duplicate', 'file_rank > 1', 'order_id', 'order_id',
                "'order ' || order_id || ' was already delivered in an earlier ' || channel || ' file'"),
            required('channel_ordered_at_required', 'ordered_at', 'ordered_at_text'),
            failure('channel_ordered_at_format', 'ordered_at_text is not null and ordered_at is null', 'ordered_at',
                'ordered_at_text', "'order time ' || chr(39) || ordered_at_text || chr(39) || ' is not a timestamp'"),
            required('channel_currency_required', 'currency'),
            failure('channel_currency_known', 'currency is not null and not is_currency_known', 'currency',
                'currency', "'currency ' || currency || ' is not an ISO 4217 code'"),
            failure('channel_order_has_lines', 'order_key is not null and line_count = 0', 'line_number',
                'null', "'order ' || order_id || ' has no lines'"),
            required('channel_order_total_required', 'order_total', 'order_total_text'),
            failure('channel_order_total_format',
                '(order_total_text is not null and order_total is null) or distinct_order_totals > 1',
                'order_total', 'order_total_text',
                "'order_total ' || chr(39) || order_total_text || chr(39) || ' is not one decimal with at most 2 decimal places'"),
            failure('channel_order_total_arithmetic',
                'distinct_order_totals = 1 and unreadable_line_totals = 0 and line_count > 0'
                ~ ' and abs(order_total - order_charges - sum_of_line_totals) > order_total_tolerance',
                'order_total', 'order_total_text',
                "'order_total ' || order_total || case when order_charges <> 0 then ' less tax and shipping '"
                ~ " || order_charges else '' end || ' differs from the sum of its lines ' || sum_of_line_totals"),
            failure('channel_order_total_minimum', 'order_total < order_total_minimum', 'order_total',
                'order_total_text', "'order_total ' || order_total || ' is below the minimum ' || order_total_minimum"),
            failure('channel_order_total_maximum', 'order_total > order_total_maximum', 'order_total',
                'order_total_text', "'order_total ' || order_total || ' is above the maximum ' || order_total_maximum"),
            failure('channel_customer_known', 'customer_id is not null and not is_customer_known', 'customer_id',
                'customer_id', "'customer ' || customer_id || ' is not in the customer snapshot'"),
            failure('channel_credit_limit', 'open_order_value > credit_limit', 'customer_id', 'customer_id',
                "'customer ' || customer_id || ' ordered ' || open_order_value || ' on '"
                ~ " || file_business_date || ', above the credit limit ' || credit_limit"),
            well_formed('channel_requested_delivery_date_format', 'requested_delivery_date', 'a date'),
            failure('channel_delivery_date_feasible',
                'requested_delivery_date < file_business_date or (delivery_weekdays is not null'
                ~ ' and not ' ~ is_delivery_weekday('delivery_weekdays', 'requested_delivery_date') ~ ')',
                'requested_delivery_date', 'requested_delivery_date_text',
                "'requested delivery on ' || requested_delivery_date || ' (' || " ~ day_name('requested_delivery_date')
                ~ " || ') is before the order or not one of the customer' || chr(39) || 's delivery days'"),
            failure('channel_ship_to_required', "missing_ship_to_parts <> ''", 'ship_to', 'missing_ship_to_parts',
                "'the shipping address has no ' || missing_ship_to_parts"),
            failure('channel_ship_to_country_known', 'ship_to_country is not null and not is_country_known',
                'ship_to_country', 'ship_to_country',
                "'ship-to country ' || ship_to_country || ' is not a country the channels deliver to'"),
            failure('channel_ship_to_postal_code_format',
                'is_country_known and ship_to_postal_code is not null'
                ~ ' and not ' ~ full_match_of('upper(ship_to_postal_code)', 'postal_code_pattern'),
                'ship_to_postal_code', 'ship_to_postal_code',
                "'postal code ' || chr(39) || ship_to_postal_code || chr(39) || ' does not have the form of ' || ship_to_country"),
            required('channel_payment_method_required', 'payment_method'),
            failure('channel_payment_method_accepted', 'payment_method is not null and not is_payment_method_accepted',
                'payment_method', 'payment_method',
                "'payment method ' || payment_method || ' is not accepted on the ' || channel || ' channel'"),
            failure('channel_operator_required', "channel = 'MANUAL' and operator_id is null", 'operator_id', 'null',
                "'a manually entered order names no operator_id'"),
        ], left_out=rules_without_snapshot()) }} as failures
    from joined
    where is_first_line
),

unnested as (
    select
        record_id,
        false as is_order_finding,
        {{ unnest_list("failures") }} as failure
    from line_checks
    union all
    select
        record_id,
        true as is_order_finding,
        {{ unnest_list("failures") }} as failure
    from order_checks
),

flattened as (
    select
        unnested.record_id,
        unnested.is_order_finding,
        failure.rule_id,
        failure.field_name,
        failure.failed_value,
        failure.message
    from unnested
),

final as (
    select
        lines.channel as source_system,
        lines.record_id,
        lines.load_id,
        lines.source_file,
        lines.source_line,
        lines.file_business_date as business_date,
        lines.order_id,
        lines.order_key,
        flattened.rule_id,
        flattened.field_name,
        flattened.failed_value,
        flattened.message,
        case when flattened.is_order_finding then lines.order_position else lines.source_position end
            as source_position
    from flattened
    inner join lines on flattened.record_id = lines.record_id
),

-- X12 envelope problems (rules edi_*), on the orders they invalidate
envelope_failures as (
    select
        source_system,
        record_id,
        load_id,
        source_file,
        source_line,
        business_date,
        order_id,
        order_key,
        rule_id,
        field_name,
        failed_value,
        message,
        source_position
    from {{ ref('int_edi_envelope_failures') }}
    where {{ in_recompute_scope(date='business_date') }}
)

select * from final
union all
select * from envelope_failures
