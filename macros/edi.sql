{#- The pieces the EDI staging models share (docs/channels.md, EDI purchase orders). -#}

{% macro edi_purchase_order_fields(over='') %}
    {#- The order-level fields of an X12 850 transaction set, as delivered text, over a set's
        segments (stg_edi__segments' columns): as aggregates of a group by set, or, with over
        naming a window partitioned by set, on every segment of the set. The first segment
        of each kind counts. -#}
    any_value(elements[2]) filter (where segment_id = 'ST') {{ over }} as transaction_set_id,
    count(*) filter (where segment_id = 'PO1') {{ over }} as po1_count,
    arg_min(elements[4], segment_number) filter (where segment_id = 'BEG') {{ over }} as po_number,
    arg_min(elements[6], segment_number) filter (where segment_id = 'BEG') {{ over }} as po_date_text,
    arg_min(elements[3], segment_number) filter (
        where segment_id = 'CUR' and elements[2] = 'BY'
    ) {{ over }} as currency,
    arg_min(elements[3], segment_number) filter (
        where segment_id = 'DTM' and elements[2] = '002'
    ) {{ over }} as requested_delivery_date_text,
    arg_min(elements[3], segment_number) filter (
        where segment_id = 'AMT' and elements[2] = 'TT'
    ) {{ over }} as order_total_text,
    arg_min(elements[3], segment_number) filter (
        where segment_id = 'N1' and n1_entity = 'ST'
    ) {{ over }} as ship_to_name,
    arg_min(elements[2], segment_number) filter (
        where segment_id = 'N3' and n1_entity = 'ST'
    ) {{ over }} as ship_to_address1,
    arg_min(elements[2], segment_number) filter (
        where segment_id = 'N4' and n1_entity = 'ST'
    ) {{ over }} as ship_to_city,
    arg_min(elements[4], segment_number) filter (
        where segment_id = 'N4' and n1_entity = 'ST'
    ) {{ over }} as ship_to_postal_code,
    arg_min(elements[5], segment_number) filter (
        where segment_id = 'N4' and n1_entity = 'ST'
    ) {{ over }} as ship_to_country
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
        select * from partners
        where gs_id is not null
        qualify row_number() over (partition by gs_id order by partner_id) = 1
    )
{% endmacro %}

{% macro edi_with_partner(relation, unique_columns) %}
    {#- The rows of relation (with sender_qualifier, sender_id: ISA05/ISA06, and
        gs_sender_id: GS02), each with the trading partner it resolves to: the snapshot's
        isa_id (and isa_qualifier, when given) against ISA05/ISA06, else its gs_id against
        GS02; one partner per row (unique_columns) even when the snapshot names an id twice.
        Two left joins to the (small) snapshot rather than one OR join: a condition on
        load_id then reaches the segments' scan, which an OR join (a nested loop) stops. -#}
    select
        {{ relation }}.*,
        coalesce(isa_partners.partner_id, gs_partners.partner_id) as partner_id,
        coalesce(
            case when isa_partners.partner_id is not null then isa_partners.is_active else gs_partners.is_active end,
            false
        ) as partner_is_active,
        case
            when isa_partners.partner_id is not null then isa_partners.customer_id else gs_partners.customer_id
        end as customer_id
    from {{ relation }}
    left join isa_partners
        on
            {{ relation }}.sender_id = isa_partners.isa_id
            and coalesce({{ relation }}.sender_qualifier = isa_partners.isa_qualifier, true)
    left join gs_partners on {{ relation }}.gs_sender_id = gs_partners.gs_id
    qualify row_number() over (
        partition by {% for column in unique_columns %}{{ relation }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        order by isa_partners.partner_id
    ) = 1
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
                then trim(any_value(elements[6]) filter (where segment_id = 'ISA') over interchange)
        end as sender_qualifier,
        case
            when gs_segment is not null
                then trim(any_value(elements[7]) filter (where segment_id = 'ISA') over interchange)
        end as sender_id,
        any_value(elements[14]) filter (where segment_id = 'ISA') over interchange as isa_control_number,
        trim(any_value(elements[3]) filter (where segment_id = 'GS') over functional_group) as gs_sender_id
    from {{ relation }}
    window
        interchange as (partition by load_id, isa_segment),
        functional_group as (partition by load_id, gs_segment)
{% endmacro %}
