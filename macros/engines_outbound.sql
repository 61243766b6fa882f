{#- What differs between DuckDB and Spark in the outbound models: the notifications, the
    997 acknowledgements and the handoff (docs/scaling.md). Each macro gives the same text
    or number on both engines. -#}

{% macro md5_number_mod(value, modulus) %}
    {#- DuckDB's md5_number(value) (the 16 bytes of the MD5 digest read as one little-endian
        128-bit number) modulo modulus, an integer below 3 billion, as a number. -#}
    {{ return(adapter.dispatch('md5_number_mod')(value, modulus)) }}
{% endmacro %}

{% macro default__md5_number_mod(value, modulus) -%}
    (md5_number({{ value }}) % {{ modulus }})
{%- endmacro %}

{% macro spark__md5_number_mod(value, modulus) -%}
    {#- Spark has no 128-bit integer: the digest's two little-endian 64-bit halves (bytes
        reversed in the hex text), each reduced, then high * 2^64 + low, reduced again. -#}
    {%- set digest = 'md5(' ~ value ~ ')' -%}
    {%- set halves = [] -%}
    {%- for first_byte in [8, 0] -%}
        {%- set pairs = [] -%}
        {%- for byte in range(first_byte + 7, first_byte - 1, -1) -%}
            {%- do pairs.append('substr(' ~ digest ~ ', ' ~ (2 * byte + 1) ~ ', 2)') -%}
        {%- endfor -%}
        {%- do halves.append('cast(pmod(cast(conv(concat(' ~ pairs | join(', ') ~ '), 16, 10) as decimal(20, 0)), '
            ~ modulus ~ ') as bigint)') -%}
    {%- endfor -%}
    pmod({{ halves[0] }} * {{ (2 ** 64) % (modulus | int) }} + {{ halves[1] }}, {{ modulus }})
{%- endmacro %}

{% macro json_object_text(columns, timestamps=[]) %}
    {#- The columns as one JSON object, as text, as DuckDB's to_json writes a row: the names
        as keys in the order given, null values written as null, numbers and booleans bare,
        dates and timestamps (those named in timestamps) as their text. Text to hash: a null
        and an empty value differ. -#}
    {{ return(adapter.dispatch('json_object_text')(columns, timestamps)) }}
{% endmacro %}

{% macro default__json_object_text(columns, timestamps) -%}
    to_json({ {%- for column in columns %}'{{ column }}': {{ column }}{{ ', ' if not loop.last }}{% endfor -%} })
{%- endmacro %}

{% macro spark__json_object_text(columns, timestamps) -%}
    {#- Spark writes a timestamp in ISO form with a zone and leaves null fields out by
        default: timestamps as their text (the same as DuckDB's), null fields kept -#}
    to_json(named_struct(
        {%- for column in columns %}
        '{{ column }}', {{ 'cast(' ~ column ~ ' as string)' if column in timestamps else column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}

{% macro days_before(value, days) %}
    {#- The date days (an integer expression) before a date, as a date (days_interval holds
        what differs between the engines). -#}
    {{ return('cast(' ~ value ~ ' - ' ~ days_interval(days) ~ ' as date)') }}
{% endmacro %}
