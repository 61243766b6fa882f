{% macro spark__load_csv_rows(model, agate_table) %}
    {#- Seeds on Spark: the values written as literals. dbt-spark's session mode passes them
        as bindings that an apostrophe breaks and that turn an empty cell into the text
        'None'; here an empty cell is NULL, as on DuckDB, and a literal escapes its quotes and
        backslashes. -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(column_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}cast(null as {{ types[loop.index0] }})
                    {%- else -%}cast({{ spark_string_literal(value | string) }} as {{ types[loop.index0] }})
                    {%- endif -%}{{ ', ' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_string_literal(text) -%}
    '{{ text.replace("\\", "\\\\").replace("'", "\\'") }}'
{%- endmacro %}
