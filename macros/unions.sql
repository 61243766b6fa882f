{#- Unions by column name, written out (Spark SQL has no "union all by name"). -#}

{% macro union_relations_by_name(relations) %}
    {#- The rows of relations, matched by column name: the columns in order of first
        appearance, null where a relation lacks one (typed as where it first appears). -#}
    {%- if not execute -%}
        {{ return('select * from ' ~ relations | join(' union all select * from ')) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set types = {} -%}
    {%- set present = [] -%}
    {%- for relation in relations -%}
        {%- set own = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do own.append(column.name | lower) -%}
            {%- if column.name | lower not in names -%}
                {%- do names.append(column.name | lower) -%}
                {%- do types.update({column.name | lower: column.data_type}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do present.append(own) -%}
    {%- endfor -%}
    {%- if not names -%}
        {#- not in the database yet (compiling without a build): plain selects -#}
        {{ return('select * from ' ~ relations | join(' union all select * from ')) }}
    {%- endif -%}
    {%- set selects = [] -%}
    {%- for relation in relations -%}
        {%- do selects.append('select ' ~ padded_columns(names, types, present[loop.index0]) ~ ' from ' ~ relation) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{% endmacro %}

{% macro union_ctes_by_name(columns, parts) %}
    {#- The rows of CTEs, matched by column name: columns is the result's (name, type)
        pairs in order, parts the CTEs as (name, the columns it has); null where a CTE lacks
        a column. -#}
    {%- set names = columns | map(attribute=0) | list -%}
    {%- set types = {} -%}
    {%- for name, type in columns -%}{%- do types.update({name: type}) -%}{%- endfor -%}
    {%- set selects = [] -%}
    {%- for cte, has in parts -%}
        {%- do selects.append('select ' ~ padded_columns(names, types, has) ~ ' from ' ~ cte) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{% endmacro %}

{% macro padded_columns(names, types, has) -%}
    {%- for name in names -%}
        {{ name if name in has else 'cast(null as ' ~ types[name] ~ ') as ' ~ name }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
