-- Every review decision, resolved against the review items (the business-rule findings of
-- int_validation_error_history): applied, or refused with the rule and the reason.
-- An item takes one decision: the first recorded while the item was open stands, for good
-- (decisions are append-only); a later one is refused, as is one on an item the error
-- history does not hold as a review item, or on one already resolved when it was recorded.
-- Judged by when a decision reached the platform, not by when the reviewer says they
-- decided, so the outcome of a decision never changes once a build has made it.
-- A table rebuilt by every build from the raw layer and the error history (which a full
-- refresh keeps: full_refresh = false), so decisions survive `dbt build --full-refresh`, and a
-- decision takes effect at the build after it was recorded. It reads no order data, so a
-- decisions file recomputes no incremental model (build_settings leaves decisions out).
with

-- The same decision delivered again (same item, action, value, reviewer, time and reason, in
-- a correction of its file or in another file) is one decision, as first delivered: the
-- repeat is listed (repeated), and judged no further.
decisions as (
    select
        *,
        first_value(decision_id) over (
            partition by error_key, decision_action, corrected_value, decided_by, decided_at, reason
            order by recorded_at nulls last, load_id nulls last, source_line nulls last, decision_id nulls last
        ) as first_delivery_id
    from {{ ref('stg_review__decisions') }}
),

items as (
    select * from {{ ref('int_validation_error_history') }}
    where category = 'business_rule'
),

judged as (
    select
        decisions.*,
        items.error_key is not null as is_item,
        coalesce(items.resolved_at <= decisions.recorded_at, false) as was_resolved,
        items.resolved_at as item_resolved_at,
        items.resolution as item_resolution,
        items.source_system as item_source_system,
        items.load_id as item_load_id,
        items.source_line as item_source_line,
        items.order_id as item_order_id,
        items.rule_id as item_rule_id,
        items.field_name as item_field_name,
        items.severity as item_severity
    from decisions
    left join items on decisions.error_key = items.error_key
),

-- The first decision recorded while its item was open stands; decision_id breaks a tie.
ranked as (
    select
        *,
        is_item and not was_resolved as was_open,
        decision_id = first_delivery_id and is_item and not was_resolved as may_stand,
        first_value(decision_id) over standing as standing_decision_id,
        first_value(decision_action) over standing as standing_action,
        first_value(decided_by) over standing as standing_decided_by
    from judged
    window standing as (
        partition by error_key, decision_id = first_delivery_id and is_item and not was_resolved
        order by recorded_at nulls last, decision_id nulls last
        rows between unbounded preceding and unbounded following
    )
),

final as (
    select
        decision_id,
        error_key,
        decision_action,
        corrected_value,
        decided_by,
        decided_at,
        reason,
        channel,
        source_file,
        source_line,
        load_id,
        recorded_at,
        case
            when decision_id != first_delivery_id then 'repeated'
            when may_stand and decision_id = standing_decision_id then 'applied'
            else 'refused'
        end as decision_status,
        case
            when decision_id != first_delivery_id then null
            when not is_item then 'review_decision_item_unknown'
            when not was_open or decision_id != standing_decision_id then 'review_decision_item_closed'
        end as refusal_rule_id,
        case
            when decision_id != first_delivery_id then 'the same decision as ' || first_delivery_id || ', delivered again'
            when not is_item
                then
                    'no review item has error_key ' || chr(39) || error_key
                    || chr(39) || ' (only the business-rule findings of marts.rpt_review_queue take a decision)'
            when not was_open
                then
                    'review item ' || chr(39) || error_key || chr(39) || ' was resolved at ' || {{ format_timestamp('item_resolved_at', '%Y-%m-%dT%H:%M:%SZ') }}
                    || ' (' || coalesce(item_resolution, 'no longer found') || '), before the decision was recorded'
            when decision_id != standing_decision_id
                then
                    'review item ' || chr(39) || error_key || chr(39) || ' was already decided by ' || standing_decision_id
                    || ' (' || standing_action || ' by ' || standing_decided_by || '); a decision stands once made'
        end as refusal_reason,
        item_source_system,
        -- The finding's record as the validated layers name it (load id and line).
        case when is_item then item_load_id || ':' || item_source_line end as item_record_id,
        item_order_id,
        case when item_source_system = 'POS' then {{ normalize_order_key('item_order_id') }} end as item_order_key,
        item_rule_id,
        item_field_name,
        item_severity
    from ranked
)

select * from final
