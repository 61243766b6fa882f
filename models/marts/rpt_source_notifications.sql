-- Format errors per delivered file and rule, with counts and examples: what to
-- send back to the system that produced the file (one row per file and rule;
-- rejected and ignored files included).
with

failures as (
    select * from {{ ref('int_validation_failures') }}
    where category in ('format', 'processing')
),

rules as (
    select * from {{ ref('order_validation_rules') }}
),

ranked as (
    select
        *,
        row_number() over (partition by source_file, rule_id order by source_line nulls first) as example_rank
    from failures
),

grouped as (
    select
        source_system,
        source_file,
        business_date,
        rule_id,
        count(*) as failing_records,
        min(source_line) as first_line,
        {{ ordered_agg(
            "case when example_rank <= 3 then coalesce('line ' || source_line || ': ', '') || coalesce(failed_value, '(missing)') end",
            "'; '", 'example_rank'
        ) }} as examples,
        min(message) filter (where example_rank = 1) as example_message
    from ranked
    group by source_system, source_file, business_date, rule_id
),

final as (
    select
        grouped.source_system,
        grouped.source_file,
        grouped.business_date,
        grouped.rule_id,
        rules.description as rule_description,
        cast(grouped.failing_records as bigint) as failing_records,
        grouped.first_line,
        grouped.examples,
        grouped.example_message
    from grouped
    left join rules on grouped.rule_id = rules.rule_id
)

select * from final
