{#- Which rows a generic test reads: dbt's where config, with one value of our own.

    dbt_project.yml sets where: "recomputed rows" for every test. A daily build adds one day
    to a history of many: a primary-key test over every row would cost what history costs.
    For a tested model or source with a grain (config meta.grain, macros/recompute.sql) the
    test then reads the rows this build recomputed; rows outside them were not written since
    the last build that tested them. Every row on a full rebuild, when the settings changed
    (everything was recomputed), for models without a grain, and with
    --vars '{check_all_history: true}'. Any other where is dbt's: the rows it selects. -#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where != 'recomputed rows' -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- endif -%}
    {%- if not execute or not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set condition = tested_rows_condition(tested_grain()) -%}
    {%- if condition is none -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ condition ~ ') as recomputed_rows') -%}
{%- endmacro %}

{% macro tested_grain() %}
    {#- The grain of the model or source a generic test is attached to ({} when none). -#}
    {%- set candidates = [model.get('attached_node')] if model.get('attached_node') else [] -%}
    {#- a test on a source has no attached node: the source it depends on -#}
    {%- for unique_id in model.depends_on.nodes if unique_id.startswith('source.') -%}
        {%- do candidates.append(unique_id) -%}
    {%- endfor -%}
    {%- set attached = candidates[0] if candidates else none -%}
    {%- set node = graph.nodes.get(attached) or graph.sources.get(attached) if attached else none -%}
    {%- if not node -%}{{ return({}) }}{%- endif -%}
    {{ return((node.config.get('meta') or {}).get('grain') or (node.get('meta') or {}).get('grain') or {}) }}
{% endmacro %}

{% macro tested_rows_condition(grain) %}
    {#- The rows of a tested relation with this grain that the build recomputed, or none
        (every row). A grain of deliveries only (staging, raw, the key index): the current
        deliveries the marts do not reflect yet, read live, so that the test does not
        depend on when the bookkeeping was rebuilt (in a standalone dbt test: the deliveries
        the last build changed). A grain with keys: build_scope's, the
        model having read it. An order table (a date, no delivery) is tested on the whole
        recomputed dates: a scan of those dates' row groups beats looking up each key; so is a
        grain of dates its own macro lists (`dates`, the notification marts). A grain of
        rows its own macro lists (`rows`): those rows. -#}
    {%- if not grain or var('check_all_history', false) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not grain.get('keys') and not grain.get('findings') and not grain.get('dates') and not grain.get('rows') -%}
        {#- a standalone dbt test reads what the last build changed, as that build left its scope -#}
        {%- set ids = changed_load_ids(grain.files) if flags.WHICH == 'test' else unreflected_load_ids(grain.files) -%}
        {{ return(grain.load ~ ' in (' ~ ids ~ ')') }}
    {%- endif -%}
    {%- if recompute_all() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if grain.get('date') and not grain.get('load') -%}
        {{ return(grain_condition(grain, date=grain.date)) }}
    {%- endif -%}
    {{ return(grain_condition(grain, key=grain.get('key'), load=grain.get('load'), date=grain.get('date'))) }}
{% endmacro %}

{% macro in_tested_scope(grain, key=none, load=none, date=none, indexed_as=none) %}
    {#- For a singular test: the rows of a relation (its columns named) that this build
        recomputed at grain, as a condition; true on a full rebuild, when everything was
        recomputed, and with --vars '{check_all_history: true}'. The test refs build_scope
        through it, so it runs after the build's bookkeeping. -#}
    {%- set scope = scope_relation() -%}
    {%- if not execute or var('check_all_history', false) or recompute_all() -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(grain_condition(grain, key, load, date, indexed_as)) }}
{% endmacro %}

{% macro model_node_id() %}
    {#- The unique id of the model a generic test is attached to. -#}
    {{ return(model.get('attached_node')) }}
{% endmacro %}
