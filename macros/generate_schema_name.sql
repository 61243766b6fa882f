{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Models land in the schema their folder names (staging, intermediate, marts), not
        "<target>_<folder>": BI tools and operations read `marts.*` by that exact name. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
