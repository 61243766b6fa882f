{#- The channel order lines (docs/channels.md): the columns every stg_<channel>__order_lines
    model gives, in order, with their types (string: DuckDB's string, and a type Spark
    knows without a length). -#}

{% macro channel_line_columns() %}
    {{ return([
        ('record_id', 'string'), ('channel', 'string'), ('load_id', 'bigint'), ('source_file', 'string'),
        ('source_line', 'bigint'), ('source_position', 'string'), ('order_position', 'string'),
        ('file_business_date', 'date'), ('order_id', 'string'), ('order_key', 'string'),
        ('customer_id', 'string'), ('partner_id', 'string'), ('operator_id', 'string'),
        ('ordered_at_text', 'string'), ('ordered_at', 'timestamp'), ('currency', 'string'),
        ('line_number_text', 'string'), ('line_number', 'integer'), ('sku', 'string'),
        ('quantity_text', 'string'), ('quantity', 'integer'),
        ('unit_price_text', 'string'), ('unit_price', 'decimal(18, 2)'),
        ('discount_amount_text', 'string'), ('discount_amount', 'decimal(18, 2)'),
        ('line_total_text', 'string'), ('line_total', 'decimal(18, 2)'),
        ('order_total_text', 'string'), ('order_total', 'decimal(18, 2)'),
        ('order_charges', 'decimal(18, 2)'),
        ('requested_delivery_date_text', 'string'), ('requested_delivery_date', 'date'),
        ('ship_to_name', 'string'), ('ship_to_address1', 'string'), ('ship_to_city', 'string'),
        ('ship_to_postal_code', 'string'), ('ship_to_country', 'string'), ('payment_method', 'string'),
    ]) }}
{% endmacro %}

{% macro channel_lines_select(relation) %}
    {#- The channel order lines of a staging model's final CTE, in the shared column order and
        types: the one place the shape is stated, so that a channel cannot drift from it. -#}
    select
    {%- for name, type in channel_line_columns() %}
        cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ relation }}
{% endmacro %}

{% macro no_channel_lines() %}
    {#- No lines, in the shared shape: a channel whose reader is not part of this build. -#}
    select
    {%- for name, type in channel_line_columns() %}
        cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    where false
{% endmacro %}

{% macro channel_dates(date_column) %}
    {#- The business dates whose channel rows a build recomputes (the grain `dates` of the
        channel models, macros/recompute.sql): the dates of the changed channel deliveries
        (new, corrected or superseded files). A channel order's checks read its own file and
        the other files of its date (a customer's day); an order id's earlier copies are read
        whatever their date (rule channel_order_duplicate). -#}
    ({{ date_column }} in ({{ changed_load_dates(['web_orders', 'edi_850', 'api_orders', 'manual_orders']) }}))
{% endmacro %}

{% macro channel_order_keys(key_column, date_column=none) %}
    {#- The channel orders a build reconciles again (the grain `rows` of
        int_channel_order_reconciliation, macros/recompute.sql), as a condition on an order
        key column: the orders of the dates of changed channel deliveries, as they are now
        and as the table holds them (an order a correction removed, or whose first copy it
        moved), and the orders a changed OMS delivery mentions as a source order key, new or
        superseded. A key is compared without its channel (a key two channels share is
        reconciled again for both: more work, same rows). -#}
    {%- set orders = relation_of('int_channel_orders') -%}
    {%- set changed = changed_load_dates(['web_orders', 'edi_850', 'api_orders', 'manual_orders']) -%}
    (
        {{ key_column }} in (select order_key from {{ orders }} where business_date in ({{ changed }}))
        {%- if is_incremental() %}
        or {{ key_column }} in (select order_key from {{ this }} where business_date in ({{ changed }}))
        {%- endif %}
        or {{ key_column }} in (
            select order_key from {{ scope_relation() }} where part = 'key' and key_kind = 'oms_source'
        )
    )
{%- endmacro %}

{% macro channel_scope(date_column, load_column) %}
    {#- In a channel model's body: the rows of an input (its business date and delivery
        columns named) that this build recomputes, as a condition: the dates of changed
        channel deliveries (channel_dates), and, written out as a literal list, the current
        channel deliveries of those dates, which DuckDB pushes down to the raw tables under
        the staging views (a condition on the date alone is applied after every file of
        history was parsed). true when everything is recomputed. -#}
    {#- referenced first, whatever the branch, so that dbt sees it when it parses the model -#}
    {%- set versions = relation_of('stg_loader__file_versions') -%}
    {%- set condition = in_recompute_scope(date=date_column) -%}
    {%- if condition == 'true' -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set query -%}
        select coalesce({{ ordered_agg('cast(load_id as string)', "', '", 'load_id') }}, 'null')
        from {{ versions }}
        where
            is_current_version
            and file_kind in ('web_orders', 'edi_850', 'api_orders', 'manual_orders')
            and business_date in ({{ changed_load_dates(['web_orders', 'edi_850', 'api_orders', 'manual_orders']) }})
    {%- endset -%}
    {%- set load_ids = database_value(versions, query, 'null') -%}
    {{ return('(' ~ load_column ~ ' in (' ~ load_ids ~ ') and ' ~ condition ~ ')') }}
{% endmacro %}
