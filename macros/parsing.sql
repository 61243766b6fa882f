{#- Parsing delivered text. Each macro returns null for a missing value and for a
    value that does not follow the contract's format, so "text present but typed
    value null" is exactly a format failure: the format rule lives here, once. -#}

{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    {#- Most values have nothing to trim: test the first and last character before trimming
        (trim with a character set costs ten times a comparison on millions of rows). The
        last character by index: right(value, 1) gives the same character at twice the cost. -#}
    case
        when {{ column }} = '' then null
        when ascii({{ column }}) > 32 and ascii({{ column }}[-1]) > 32 then {{ column }}
        else nullif(trim({{ column }}, ' ' || chr(9) || chr(10) || chr(13)), '')
    end
{%- endmacro %}

{% macro spark__clean_text(column) -%}
    case
        when {{ column }} = '' then null
        when ascii({{ column }}) > 32 and ascii(substr({{ column }}, -1)) > 32 then {{ column }}
        else nullif(trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ column }}), '')
    end
{%- endmacro %}

{% macro full_match(value, pattern) -%}
    {#- Whether the whole of value matches the regular expression pattern (given as text, not
        as a SQL literal; no quote in it). -#}
    {{ return(adapter.dispatch('full_match')(value, pattern)) }}
{%- endmacro %}

{% macro default__full_match(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__full_match(value, pattern) -%}
    {#- Java regular expressions, in a literal whose backslashes Spark unescapes; \z: the
        very end ($ also matches before a final line break). -#}
    regexp_like({{ value }}, '^(?:{{ pattern | replace("\\", "\\\\") }})\\z')
{%- endmacro %}

{% macro normalize_order_key(column) -%}
    upper({{ clean_text(column) }})
{%- endmacro %}

{% macro parse_date(column) -%}
    case
        when {{ full_match(column, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then try_cast({{ column }} as date)
    end
{%- endmacro %}

{% macro parse_timestamp_utc(column) -%}
    case
        when {{ full_match(
            column, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?'
        ) }}
            then {{ timestamp_utc_cast(column) }}
    end
{%- endmacro %}

{% macro timestamp_utc_cast(column) -%}
    {#- An ISO 8601 timestamp (the format checked) as the UTC time it names. -#}
    {{ return(adapter.dispatch('timestamp_utc_cast')(column)) }}
{%- endmacro %}

{% macro default__timestamp_utc_cast(column) -%}
    {#- Once the format matched, a sign six characters from the end can only start an offset
        (the time itself is at least eight characters). Only then is the time-zone-aware cast
        needed; a plain cast reads no suffix and Z as UTC at about a fifth of its cost. -#}
    case
        when substr({{ column }}, -6, 1) in ('+', '-')
            then timezone('UTC', try_cast({{ column }} as timestamptz))
        else try_cast({{ column }} as timestamp)
    end
{%- endmacro %}

{% macro spark__timestamp_utc_cast(column) -%}
    {#- The session time zone is UTC (profiles.yml): a cast reads Z and an offset as such. -#}
    try_cast({{ column }} as timestamp)
{%- endmacro %}

{% macro parse_money(column) -%}
    case
        when {{ full_match(column, '[+-]?[0-9]{1,16}([.][0-9]{1,2}0*)?') }}
            then try_cast({{ column }} as decimal(18, 2))
    end
{%- endmacro %}

{% macro parse_integer(column) -%}
    case
        when {{ full_match(column, '[+-]?[0-9]{1,18}') }}
            then try_cast({{ column }} as bigint)
    end
{%- endmacro %}

{% macro parse_boolean(column) -%}
    case lower({{ column }})
        when 'true' then true
        when 'false' then false
    end
{%- endmacro %}

{% macro parse_weekdays(column) -%}
    {#- "MON,WED,FRI" (any case, any separator of , ; | or space) -> list of ISO weekday
        numbers (1 = Monday); null when a part is not a weekday abbreviation. -#}
    {{ return(adapter.dispatch('parse_weekdays')(column)) }}
{%- endmacro %}

{% macro default__parse_weekdays(column) -%}
    case
        when {{ full_match(
            'upper(' ~ column ~ ')', '(MON|TUE|WED|THU|FRI|SAT|SUN)([ ,;|]+(MON|TUE|WED|THU|FRI|SAT|SUN))*'
        ) }}
            then list_transform(
                regexp_extract_all(upper({{ column }}), 'MON|TUE|WED|THU|FRI|SAT|SUN'),
                lambda day: list_position(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], day)
            )
    end
{%- endmacro %}

{% macro spark__parse_weekdays(column) -%}
    case
        when {{ full_match(
            'upper(' ~ column ~ ')', '(MON|TUE|WED|THU|FRI|SAT|SUN)([ ,;|]+(MON|TUE|WED|THU|FRI|SAT|SUN))*'
        ) }}
            then transform(
                regexp_extract_all(upper({{ column }}), '(MON|TUE|WED|THU|FRI|SAT|SUN)', 1),
                day -> cast(array_position(array('MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'), day) as int)
            )
    end
{%- endmacro %}
