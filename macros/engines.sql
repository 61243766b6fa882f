{#- What differs between the engines a target can name (DuckDB, the default, and Spark;
    docs/scaling.md). -#}

{% macro engine_hook(name) %}
    {#- A hook of dbt_project.yml on the target's engine: on DuckDB the macro itself; on
        another engine its <engine>__<name> when the project has one, else nothing. The
        hooks without a Spark version (build state, run results, comments, alerts, the BI
        export, the summary) read or write DuckDB's own catalog and files; docs/scaling.md
        says what a Spark build leaves out. -#}
    {%- if target.type == 'duckdb' -%}
        {{ return(context[name](*varargs)) }}
    {%- endif -%}
    {%- set own = context.get(target.type ~ '__' ~ name) -%}
    {{ return(own(*varargs) if own else '') }}
{% endmacro %}

{% macro spark__check_raw_layer() %}
    {#- on-run-start on Spark: the raw tables as external tables over the Parquet files the
        loader writes (RECON_PARQUET_DIR, loaders/parquet_landing.py), read again at every
        run (a new delivery is a new file). -#}
    {%- if execute -%}
        {%- set landing = env_var('RECON_PARQUET_DIR', '') -%}
        {%- if not landing -%}
            {{ exceptions.raise_compiler_error(
                "The spark target reads the raw layer as Parquet: set RECON_PARQUET_DIR to the directory "
                ~ "`python -m loaders ingest --parquet-dir DIR` writes (docs/scaling.md).") }}
        {%- endif -%}
        {%- if not (landing.startswith('/') or '://' in landing) -%}
            {{ exceptions.raise_compiler_error(
                "RECON_PARQUET_DIR must be an absolute path or a URI (Spark reads a relative location "
                ~ "against its warehouse): " ~ landing) }}
        {%- endif -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in raw_tables() -%}
            {%- do run_query('create table if not exists raw.' ~ table ~ " using parquet location '"
                ~ landing ~ '/' ~ table ~ "'") -%}
            {%- do run_query('refresh table raw.' ~ table) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro raw_tables() %}
    {#- The raw tables the models read (the sources of the project). -#}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() if source.schema == 'raw' -%}
        {%- do tables.append(source.identifier) -%}
    {%- endfor -%}
    {{ return(tables | unique | list) }}
{% endmacro %}

{#- JSON and lists: DuckDB's JSON functions and 1-based lists; Spark's get_json_object and
    arrays. -#}

{% macro json_text_values(document, paths) %}
    {#- The values at the JSON paths of a document, as a list of text (1-based, list_item). -#}
    {{ return(adapter.dispatch('json_text_values')(document, paths)) }}
{% endmacro %}

{% macro default__json_text_values(document, paths) -%}
    {#- one call with a list of paths parses the text once -#}
    json_extract_string({{ document }}, [{% for path in paths %}'{{ path }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{% macro spark__json_text_values(document, paths) -%}
    array({% for path in paths %}get_json_object({{ document }}, '{{ path }}'){{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro json_text(document, path) %}
    {#- The value at a JSON path, as text (an object or array as its JSON). -#}
    {{ return(adapter.dispatch('json_text')(document, path)) }}
{% endmacro %}

{% macro default__json_text(document, path) -%}
    json_extract_string({{ document }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(document, path) -%}
    get_json_object({{ document }}, '{{ path }}')
{%- endmacro %}

{% macro json_array_items(document, path) %}
    {#- The elements of the JSON array at path, each as JSON text; null when there is none. -#}
    {{ return(adapter.dispatch('json_array_items')(document, path)) }}
{% endmacro %}

{% macro default__json_array_items(document, path) -%}
    json_extract({{ document }}, '{{ path }}[*]')
{%- endmacro %}

{% macro spark__json_array_items(document, path) -%}
    from_json(get_json_object({{ document }}, '{{ path }}'), 'array<string>')
{%- endmacro %}

{% macro list_item(list, index) %}
    {#- The index-th element of a list, counting from 1; null past its end. -#}
    {{ return(adapter.dispatch('list_item')(list, index)) }}
{% endmacro %}

{% macro default__list_item(list, index) -%}
    {{ list }}[{{ index }}]
{%- endmacro %}

{% macro spark__list_item(list, index) -%}
    element_at({{ list }}, {{ index }})
{%- endmacro %}

{% macro items_or_one_null(items) %}
    {#- A list with at least one element: the items, or a single null when there are none
        (an order without lines keeps one row). -#}
    {{ return(adapter.dispatch('items_or_one_null')(items)) }}
{% endmacro %}

{% macro default__items_or_one_null(items) -%}
    case when len({{ items }}) > 0 then {{ items }} else [cast(null as json)] end
{%- endmacro %}

{% macro spark__items_or_one_null(items) -%}
    case when size({{ items }}) > 0 then {{ items }} else array(cast(null as string)) end
{%- endmacro %}

{% macro explode_items(list, item, index) %}
    {#- In a select list: one row per element of list, the element as column item and its
        1-based position as column index. -#}
    {{ return(adapter.dispatch('explode_items')(list, item, index)) }}
{% endmacro %}

{% macro default__explode_items(list, item, index) -%}
    unnest({{ list }}) as {{ item }},
    generate_subscripts({{ list }}, 1) as {{ index }}
{%- endmacro %}

{% macro spark__explode_items(list, item, index) -%}
    inline(transform({{ list }}, (element, position) -> named_struct(
        '{{ item }}', element, '{{ index }}', position + 1
    )))
{%- endmacro %}

{#- Aggregates over the rows that meet a condition, as aggregates or, with over naming a
    window, as window functions (Spark takes no FILTER clause on a window function). -#}

{% macro any_where(value, condition, over='') %}
    {#- A non-null value of value among the rows that meet condition. -#}
    {{ return(adapter.dispatch('any_where')(value, condition, over)) }}
{% endmacro %}

{% macro default__any_where(value, condition, over) -%}
    any_value({{ value }}) filter (where {{ condition }}) {{ over }}
{%- endmacro %}

{% macro spark__any_where(value, condition, over) -%}
    first(case when {{ condition }} then {{ value }} end, true) {{ over }}
{%- endmacro %}

{% macro first_by(value, order, condition, over='') %}
    {#- value on the row that meets condition with the lowest order, among the rows where
        value is not null (DuckDB's arg_min). -#}
    {{ return(adapter.dispatch('first_by')(value, order, condition, over)) }}
{% endmacro %}

{% macro default__first_by(value, order, condition, over) -%}
    arg_min({{ value }}, {{ order }}) filter (where {{ condition }}) {{ over }}
{%- endmacro %}

{% macro spark__first_by(value, order, condition, over) -%}
    min_by({{ value }}, case when ({{ condition }}) and {{ value }} is not null then {{ order }} end) {{ over }}
{%- endmacro %}

{% macro count_where(condition, over='') %}
    {#- How many rows meet condition. -#}
    {{ return(adapter.dispatch('count_where')(condition, over)) }}
{% endmacro %}

{% macro default__count_where(condition, over) -%}
    count(*) filter (where {{ condition }}) {{ over }}
{%- endmacro %}

{% macro spark__count_where(condition, over) -%}
    count(case when {{ condition }} then 1 end) {{ over }}
{%- endmacro %}

{% macro last_non_null(value) %}
    {#- In a window: the last non-null value of value so far. -#}
    {{ return(adapter.dispatch('last_non_null')(value)) }}
{% endmacro %}

{% macro default__last_non_null(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}

{% macro spark__last_non_null(value) -%}
    last({{ value }}, true)
{%- endmacro %}

{% macro json_string_list(value) %}
    {#- A JSON array of strings (as the loader lands X12 elements) as a list of text. -#}
    {{ return(adapter.dispatch('json_string_list')(value)) }}
{% endmacro %}

{% macro default__json_string_list(value) -%}
    cast({{ value }} as string[])
{%- endmacro %}

{% macro spark__json_string_list(value) -%}
    from_json({{ value }}, 'array<string>')
{%- endmacro %}

{% macro timestamp_of_yyyymmdd(value) %}
    {#- CCYYMMDD text (format checked) as the start of that day. -#}
    {{ return(adapter.dispatch('timestamp_of_yyyymmdd')(value)) }}
{% endmacro %}

{% macro default__timestamp_of_yyyymmdd(value) -%}
    try_strptime({{ value }}, '%Y%m%d')
{%- endmacro %}

{% macro spark__timestamp_of_yyyymmdd(value) -%}
    try_to_timestamp({{ value }}, 'yyyyMMdd')
{%- endmacro %}

{% macro utc_now() %}
    {#- The current time in UTC, as a timestamp without a zone. -#}
    {{ return(adapter.dispatch('utc_now')()) }}
{% endmacro %}

{% macro default__utc_now() -%}
    (now() at time zone 'UTC')
{%- endmacro %}

{% macro spark__utc_now() -%}
    current_timestamp()
{%- endmacro %}

{#- Ordered text aggregation: DuckDB's string_agg(... order by ...) and Spark's
    string_agg(...) within group (order by ...). Nulls sort last on both. -#}

{% macro ordered_agg(value, separator, order_by, distinct=false) %}
    {#- The values joined with separator (SQL expressions), in the order of order_by
        (an order-by list); distinct: each value once (then order_by must be the value). -#}
    {{ return(adapter.dispatch('ordered_agg')(value, separator, order_by, distinct)) }}
{% endmacro %}

{% macro default__ordered_agg(value, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }} order by {{ nulls_last(order_by) }})
{%- endmacro %}

{% macro spark__ordered_agg(value, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }}) within group (order by {{ nulls_last(order_by) }})
{%- endmacro %}

{% macro nulls_last(order_by) %}
    {#- An order-by list with "nulls last" on every item that does not say (Spark sorts
        nulls first in ascending order, DuckDB last). Items are split at top-level commas. -#}
    {%- set items = [] -%}
    {%- set ns = namespace(depth=0, current='') -%}
    {%- for char in order_by -%}
        {%- if char == ',' and ns.depth == 0 -%}
            {%- do items.append(ns.current.strip()) -%}
            {%- set ns.current = '' -%}
        {%- else -%}
            {%- if char == '(' -%}{%- set ns.depth = ns.depth + 1 -%}{%- endif -%}
            {%- if char == ')' -%}{%- set ns.depth = ns.depth - 1 -%}{%- endif -%}
            {%- set ns.current = ns.current ~ char -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do items.append(ns.current.strip()) -%}
    {%- set written = [] -%}
    {%- for item in items -%}
        {%- do written.append(item if ' nulls ' in (item | lower ~ ' ') else item ~ ' nulls last') -%}
    {%- endfor -%}
    {{ return(written | join(', ')) }}
{% endmacro %}

{#- Dates and patterns in the rule checks. -#}

{% macro is_delivery_weekday(weekdays, day) %}
    {#- Whether the ISO weekday (1 = Monday) of the date day is in the list weekdays
        (parse_weekdays). -#}
    {{ return(adapter.dispatch('is_delivery_weekday')(weekdays, day)) }}
{% endmacro %}

{% macro default__is_delivery_weekday(weekdays, day) -%}
    list_contains({{ weekdays }}, isodow({{ day }}))
{%- endmacro %}

{% macro spark__is_delivery_weekday(weekdays, day) -%}
    array_contains({{ weekdays }}, weekday({{ day }}) + 1)
{%- endmacro %}

{% macro day_name(day) %}
    {#- The English name of the date's weekday (Monday). -#}
    {{ return(adapter.dispatch('day_name')(day)) }}
{% endmacro %}

{% macro default__day_name(day) -%}
    dayname({{ day }})
{%- endmacro %}

{% macro spark__day_name(day) -%}
    date_format({{ day }}, 'EEEE')
{%- endmacro %}

{% macro full_match_of(value, pattern) %}
    {#- Whether the whole of value matches the regular expression in the SQL expression
        pattern (a column: full_match takes the pattern as text). -#}
    {{ return(adapter.dispatch('full_match_of')(value, pattern)) }}
{% endmacro %}

{% macro default__full_match_of(value, pattern) -%}
    regexp_full_match({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro spark__full_match_of(value, pattern) -%}
    regexp_like({{ value }}, concat('^(?:', {{ pattern }}, ')\\z'))
{%- endmacro %}

{% macro key_hash(value) %}
    {#- A 64-bit hash of an order key, for the key index (DuckDB's hash; Spark's hash is 32-bit,
        its xxhash64 is not). -#}
    {{ return(adapter.dispatch('key_hash')(value)) }}
{% endmacro %}

{% macro default__key_hash(value) -%}
    hash({{ value }})
{%- endmacro %}

{% macro spark__key_hash(value) -%}
    xxhash64({{ value }})
{%- endmacro %}

{% macro format_timestamp(value, format) %}
    {#- A date or timestamp as text, in a strftime format (%Y %m %d %H %M %S; other characters
        as they are). -#}
    {{ return(adapter.dispatch('format_timestamp')(value, format)) }}
{% endmacro %}

{% macro default__format_timestamp(value, format) -%}
    strftime({{ value }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_timestamp(value, format) -%}
    {#- the Java pattern of the format: letters quoted, the quotes escaped in the literal -#}
    {%- set codes = {'Y': 'yyyy', 'm': 'MM', 'd': 'dd', 'H': 'HH', 'M': 'mm', 'S': 'ss'} -%}
    {%- set ns = namespace(pattern='', after_percent=false) -%}
    {%- for char in format -%}
        {%- if ns.after_percent -%}
            {%- set ns.pattern = ns.pattern ~ codes[char] -%}
            {%- set ns.after_percent = false -%}
        {%- elif char == '%' -%}
            {%- set ns.after_percent = true -%}
        {%- elif char.isalpha() -%}
            {%- set ns.pattern = ns.pattern ~ "\\'" ~ char ~ "\\'" -%}
        {%- else -%}
            {%- set ns.pattern = ns.pattern ~ char -%}
        {%- endif -%}
    {%- endfor -%}
    date_format({{ value }}, '{{ ns.pattern }}')
{%- endmacro %}
