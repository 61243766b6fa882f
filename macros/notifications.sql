{% macro notification_id(recipient, kind, business_date) -%}
    {#- The notification's stable name: recipient, kind and business date, lower case, no
        spaces, so that it reads as a file name (pos_format_findings_20261120). One place,
        so the detail models and the notifications cannot name one notification twice. -#}
    lower({{ recipient }}) || '_' || {{ kind }} || '_' || coalesce(strftime({{ business_date }}, '%Y%m%d'), 'undated')
{%- endmacro %}
