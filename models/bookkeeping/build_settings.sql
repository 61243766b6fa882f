-- What every row of the incremental models depends on besides the deliveries: the
-- rules seed (switches, categories, severities, thresholds), the code lists and the current
-- reference snapshots. When any of them changed since the last complete build,
-- the incremental models rebuild every row. Review decisions are none of these: no
-- incremental model reads them (int_review_decisions and the views after it do).
with

rules as (
    select
        md5({{ ordered_agg(
            "concat_ws('|', rule_id, category, severity, cast(is_enabled as string), cast(threshold as string), needs_snapshot)",
            "','", 'rule_id'
        ) }}) as part
    from {{ ref('order_validation_rules') }}
),

code_lists as (
    select
        md5(
            (select {{ ordered_agg('currency_code', "','", 'currency_code') }} from {{ ref('currencies') }})
            || '|' || (select {{ ordered_agg('source_system', "','", 'source_system') }} from {{ ref('source_systems') }})
            || '|' || (select {{ ordered_agg('order_status', "','", 'order_status') }} from {{ ref('order_statuses') }})
            || '|' || (
                select {{ ordered_agg("concat_ws(':', country_code, postal_code_pattern)", "','", 'country_code') }}
                from {{ ref('countries') }}
            )
            || '|' || (
                select {{ ordered_agg("channel || ':' || payment_method", "','", 'channel, payment_method') }}
                from {{ ref('payment_methods') }}
            )
        ) as part
),

reference_snapshots as (
    select coalesce({{ ordered_agg("file_kind || ':' || load_id", "','", 'file_kind') }}, 'none') as part
    from {{ ref('stg_loader__file_versions') }}
    where is_current_version and file_kind in ('stores', 'products', 'customers', 'prices', 'stock', 'partners')
),

previous as (
    select max(state_value) as settings_hash
    from {{ ref('stg_audit__build_state') }}
    where state_key = 'settings_hash'
),

current_settings as (
    select md5(rules.part || '|' || code_lists.part || '|' || reference_snapshots.part) as settings_hash
    from rules
    cross join code_lists
    cross join reference_snapshots
),

final as (
    select
        current_settings.settings_hash,
        previous.settings_hash as previous_settings_hash,
        coalesce(current_settings.settings_hash != previous.settings_hash, true) as recompute_all
    from current_settings
    cross join previous
)

select * from final
