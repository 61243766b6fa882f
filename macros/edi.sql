{#- The pieces the EDI staging models share (docs/channels.md, EDI purchase orders). -#}

{% macro edi_purchase_order_fields(over='') %}
    {#- The order-level fields of an X12 850 transaction set, as delivered text, over a set's
        segments (stg_edi__segments' columns): as aggregates of a group by set, or, with over
        naming a window partitioned by set, on every segment of the set. The first segment
        of each kind counts. -#}
    {{ any_where(list_item('elements', 2), "segment_id = 'ST'", over) }} as transaction_set_id,
    {{ count_where("segment_id = 'PO1'", over) }} as po1_count,
    {%- for name, segment, element, qualifier in [
        ('po_number', 'BEG', 4, none),
        ('po_date_text', 'BEG', 6, none),
        ('currency', 'CUR', 3, "elements[2] = 'BY'"),
        ('requested_delivery_date_text', 'DTM', 3, "elements[2] = '002'"),
        ('order_total_text', 'AMT', 3, "elements[2] = 'TT'"),
        ('ship_to_name', 'N1', 3, "n1_entity = 'ST'"),
        ('ship_to_address1', 'N3', 2, "n1_entity = 'ST'"),
        ('ship_to_city', 'N4', 2, "n1_entity = 'ST'"),
        ('ship_to_postal_code', 'N4', 4, "n1_entity = 'ST'"),
        ('ship_to_country', 'N4', 5, "n1_entity = 'ST'"),
    ] %}
    {%- set condition = "segment_id = '" ~ segment ~ "'" ~ (
        ' and ' ~ qualifier.replace('elements[2]', list_item('elements', 2)) if qualifier else '') %}
    {{ first_by(list_item('elements', element), 'segment_number', condition, over) }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}

{% macro edi_partner_ctes() %}
    {#- CTEs isa_partners and gs_partners over the trading-partner snapshot, for
        edi_with_partner: the partners with an ISA id, and one partner per GS id. -#}
    partners as (
        select * from {{ ref('stg_reference__partners') }}
        where partner_id is not null
    ),

    isa_partners as (
        select * from partners
        where isa_id is not null
    ),

    gs_partners as (
        select * from (
            select
                *,
                row_number() over (partition by gs_id order by partner_id) as gs_id_rank
            from partners
            where gs_id is not null
        ) as ranked
        where gs_id_rank = 1
    )
{% endmacro %}

{% macro edi_with_partner(relation, unique_columns) %}
    {#- The rows of relation (with sender_qualifier, sender_id: ISA05/ISA06, and
        gs_sender_id: GS02), each with the trading partner it resolves to: the snapshot's
        isa_id (and isa_qualifier, when given) against ISA05/ISA06, else its gs_id against
        GS02; one partner per row (unique_columns) even when the snapshot names an id twice.
        Two left joins to the (small) snapshot rather than one OR join: a condition on
        load_id then reaches the segments' scan, which an OR join (a nested loop) stops. -#}
    {{ return(adapter.dispatch('edi_with_partner')(relation, unique_columns)) }}
{% endmacro %}

{% macro edi_partner_columns(relation) %}
    {{ relation }}.*,
    coalesce(isa_partners.partner_id, gs_partners.partner_id) as partner_id,
    coalesce(
        case when isa_partners.partner_id is not null then isa_partners.is_active else gs_partners.is_active end,
        false
    ) as partner_is_active,
    case
        when isa_partners.partner_id is not null then isa_partners.customer_id else gs_partners.customer_id
    end as customer_id
{% endmacro %}

{% macro edi_partner_joins(relation) %}
    from {{ relation }}
    left join isa_partners
        on
            {{ relation }}.sender_id = isa_partners.isa_id
            and coalesce({{ relation }}.sender_qualifier = isa_partners.isa_qualifier, true)
    left join gs_partners on {{ relation }}.gs_sender_id = gs_partners.gs_id
{% endmacro %}

{% macro default__edi_with_partner(relation, unique_columns) %}
    select
        {{ edi_partner_columns(relation) }}
    {{ edi_partner_joins(relation) }}
    qualify row_number() over (
        partition by {% for column in unique_columns %}{{ relation }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        order by isa_partners.partner_id nulls last
    ) = 1
{% endmacro %}

{% macro spark__edi_with_partner(relation, unique_columns) %}
    {#- no qualify: the rank in a subquery (an extra column, partner_match_rank) -#}
    select * from (
        select
            {{ edi_partner_columns(relation) }},
            row_number() over (
                partition by {% for column in unique_columns %}{{ relation }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
                order by isa_partners.partner_id nulls last
            ) as partner_match_rank
        {{ edi_partner_joins(relation) }}
    ) as candidates
    where partner_match_rank = 1
{% endmacro %}

{% macro edi_with_senders(relation) %}
    {#- The segments of relation (stg_edi__segments' columns), each with its interchange's
        sender (ISA05 sender_qualifier, ISA06 sender_id: when the segment sits in a
        functional group) and control number (ISA13), and its group's sender (GS02
        gs_sender_id). Windows partitioned by delivery rather than a join of the interchange
        view: DuckDB then carries a condition on load_id (a build's deliveries) to the
        segments' scan, which a join of two views over the segments did not always get, and
        every EDI file of history was parsed. -#}
    select
        *,
        case
            when gs_segment is not null
                then trim({{ any_where(list_item('elements', 6), "segment_id = 'ISA'", 'over interchange') }})
        end as sender_qualifier,
        case
            when gs_segment is not null
                then trim({{ any_where(list_item('elements', 7), "segment_id = 'ISA'", 'over interchange') }})
        end as sender_id,
        {{ any_where(list_item('elements', 14), "segment_id = 'ISA'", 'over interchange') }} as isa_control_number,
        trim({{ any_where(list_item('elements', 3), "segment_id = 'GS'", 'over functional_group') }}) as gs_sender_id
    from {{ relation }}
    window
        interchange as (partition by load_id, isa_segment),
        functional_group as (partition by load_id, gs_segment)
{% endmacro %}

{% macro edi_product_ids(elements) %}
    {#- A PO1 segment's product ids after the qualifiers VP (vendor part), SK (SKU) and BP
        (buyer part), in that order, as a list of three (null where absent): the qualifier and
        id pairs start at element 06 (elements[7]). -#}
    {{ return(adapter.dispatch('edi_product_ids')(elements)) }}
{% endmacro %}

{% macro default__edi_product_ids(elements) -%}
    list_transform(
        ['VP', 'SK', 'BP'],
        lambda qualifier: {{ elements }}[
            list_filter(range(7, len({{ elements }}), 2), lambda i: {{ elements }}[i] = qualifier)[1] + 1
        ]
    )
{%- endmacro %}

{% macro spark__edi_product_ids(elements) -%}
    transform(
        array('VP', 'SK', 'BP'),
        qualifier -> case
            when size({{ elements }}) > 7
                then element_at({{ elements }}, element_at(
                    filter(sequence(7, size({{ elements }}) - 1, 2), i -> element_at({{ elements }}, i) = qualifier), 1
                ) + 1)
        end
    )
{%- endmacro %}
