"""The reconciliation dashboard (Streamlit): `make dashboard`, then open http://localhost:8501.

It reads the BI database (data/bi.duckdb, views over the marts' Parquet export; RECON_BI_DB
names another), read-only, so it never blocks a build and shows each build's results once
the build has exported them. Sections: the alerts and escalations, the match rate by
business date, missing orders by store (with store names) and their age (those within the
grace window apart), amount mismatches, validation findings by rule and by source, and the
operations: open review items by age against the review target, the escalations, and the
notifications sent to the sources and the OMS team.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

BI_DB = Path(os.environ.get("RECON_BI_DB") or Path(__file__).resolve().parent.parent / "data" / "bi.duckdb")
# Thresholds of the order staging plan, as the build's alerts use them (dbt vars).
ALERT_REVIEW_QUEUE_SIZE = int(os.environ.get("RECON_ALERT_REVIEW_QUEUE_SIZE", "100"))
REVIEW_SLA_HOURS = float(os.environ.get("RECON_REVIEW_SLA_HOURS", "4"))

QUERIES = {
    "summary": """
        select strftime(business_date, '%Y-%m-%d') as business_date, pos_orders, matched_orders, missing_orders,
            missing_within_grace, match_rate, late_matches,
            duplicate_matches, amount_mismatches, orders_with_validation_errors, oms_unmatched_orders
        from marts.rpt_reconciliation_summary
        order by business_date
    """,
    "missing_by_store": """
        select
            orders.store_id,
            coalesce(stores.store_name, '(not in the store snapshot)') as store_name,
            count(*) as missing_orders,
            count(*) filter (where orders.is_within_grace) as within_grace,
            sum(orders.pos_order_total) as missing_value,
            strftime(min(orders.business_date), '%Y-%m-%d') as oldest_business_date,
            max(orders.missing_age_days) as oldest_age_days,
            round(avg(orders.missing_age_days), 1) as average_age_days
        from marts.fct_order_reconciliation as orders
        left join marts.dim_stores as stores on orders.store_id = stores.store_id
        where orders.recon_status = 'missing_in_oms'
        group by all
        order by missing_orders desc, orders.store_id
    """,
    "missing_orders": """
        select
            strftime(orders.business_date, '%Y-%m-%d') as business_date,
            orders.missing_age_days,
            orders.is_within_grace,
            orders.store_id,
            stores.store_name,
            orders.order_id,
            orders.ordered_at,
            orders.pos_order_total,
            orders.has_validation_errors
        from marts.fct_order_reconciliation as orders
        left join marts.dim_stores as stores on orders.store_id = stores.store_id
        where orders.recon_status = 'missing_in_oms'
        order by orders.business_date, orders.store_id, orders.order_id
    """,
    "mismatches": """
        select
            strftime(orders.business_date, '%Y-%m-%d') as business_date, orders.store_id, stores.store_name,
            orders.order_id, orders.oms_order_id,
            orders.pos_order_total, orders.oms_order_total,
            orders.oms_order_total - orders.pos_order_total as difference
        from marts.fct_order_reconciliation as orders
        left join marts.dim_stores as stores on orders.store_id = stores.store_id
        where orders.has_amount_mismatch
        order by abs(orders.oms_order_total - orders.pos_order_total) desc, orders.order_id
    """,
    "findings_by_rule": """
        select rule_id, source_system, severity, count(*) as findings
        from marts.fct_validation_errors
        group by all
        order by findings desc, rule_id
    """,
    "findings_by_source": """
        select source_system, strftime(business_date, '%Y-%m-%d') as business_date, severity, count(*) as findings
        from marts.fct_validation_errors
        where business_date is not null
        group by all
        order by business_date, source_system
    """,
    "error_rate_alerts": """
        select source_system, strftime(business_date, '%Y-%m-%d') as business_date, order_error_rate,
            orders_with_errors, orders
        from marts.rpt_source_metrics
        where is_error_rate_alert
        order by business_date desc, source_system
    """,
    # REVIEW_SLA_HOURS is a float (parsed above): formatted in as a number, nothing else
    "review_ages": f"""
        with open_items as (
            -- measured now: the export is the marts as of the last build
            select (epoch(cast(now() at time zone 'UTC' as timestamp)) - epoch(first_seen_at)) / 3600 as age_hours
            from marts.rpt_review_queue
            where review_status = 'open'
        )
        select
            case
                when age_hours < {REVIEW_SLA_HOURS} then '1: within the {REVIEW_SLA_HOURS:g}-hour target'
                when age_hours < 24 then '2: {REVIEW_SLA_HOURS:g} to 24 hours'
                when age_hours < 72 then '3: 1 to 3 days'
                else '4: over 3 days'
            end as age,
            count(*) as open_items
        from open_items
        group by all
        order by age
    """,  # noqa: S608
    "escalations": """
        select reason, strftime(since, '%Y-%m-%d %H:%M') as since_utc, age_hours, detail
        from marts.rpt_escalations
        order by since, reason, detail
    """,
    "notifications_sent": """
        select strftime(sent_at, '%Y-%m-%d %H:%M') as sent_utc, recipient, kind,
            strftime(business_date, '%Y-%m-%d') as business_date, version, item_count as lines, send_status,
            target || '/' || csv_file as file
        from marts.rpt_notifications_sent
        order by sent_at desc, recipient, csv_file
        limit 50
    """,
    "open_review_orders": """
        select
            count(*) as open_findings,
            count(distinct coalesce(order_id, source_file || ':' || source_line)) as orders
        from marts.rpt_review_queue
        where review_status = 'open'
    """,
}


def load(bi_db: Path) -> dict[str, pd.DataFrame]:
    """Every query's result, from one read-only connection."""
    with duckdb.connect(str(bi_db), read_only=True) as con:
        return {name: con.sql(sql).df() for name, sql in QUERIES.items()}


def bars(frame: pd.DataFrame, **encoding: object) -> None:
    """A bar chart of frame, as wide as the page, with the given Altair encodings."""
    st.altair_chart(alt.Chart(frame).mark_bar().encode(**encoding), use_container_width=True)


def main() -> None:
    st.set_page_config(page_title="Order reconciliation", layout="wide")
    st.title("POS orders in the OMS")
    if not BI_DB.exists():
        st.error(f"No BI database at {BI_DB}: run `make bi` (after `make demo` or a build), then reload.")
        st.stop()
    data = load(BI_DB)
    summary = data["summary"]
    if summary.empty:
        st.warning("The marts hold no business date yet: land a drop and run `dbt build`.")
        st.stop()
    exported = datetime.fromtimestamp(BI_DB.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    st.caption(f"From {BI_DB} (the marts as of the last dbt build; views written {exported}). Ages count to today.")

    latest = summary.iloc[-1]
    columns = st.columns(4)
    columns[0].metric("Latest business date", str(latest["business_date"])[:10])
    columns[1].metric("POS orders", int(latest["pos_orders"]))
    columns[2].metric(
        "Missing in the OMS",
        int(latest["missing_orders"]),
        f"{int(latest['missing_within_grace'])} within grace",
        delta_color="off",
        help="Orders within the grace window are missing, but the OMS has not yet reported the day after them.",
    )
    rate = latest["match_rate"]
    columns[3].metric("Match rate", "-" if pd.isna(rate) else f"{float(rate):.1%}")

    st.header("Alerts")
    alerts = data["error_rate_alerts"]
    queue = data["open_review_orders"].iloc[0]
    if alerts.empty and data["escalations"].empty and int(queue["orders"]) <= ALERT_REVIEW_QUEUE_SIZE:
        st.success("No alert: every source's error rate is within the threshold, and the review queue is short.")
    for row in data["escalations"].itertuples():
        st.error(f"Escalated ({row.reason}): {row.detail}")
    for row in alerts.itertuples():
        st.error(
            f"{row.source_system} {str(row.business_date)[:10]}: error rate {float(row.order_error_rate):.1%} "
            f"({row.orders_with_errors} of {row.orders} orders)"
        )
    if int(queue["orders"]) > ALERT_REVIEW_QUEUE_SIZE:
        st.error(
            f"Review queue: {int(queue['orders'])} orders await a decision "
            f"({int(queue['open_findings'])} open findings; threshold {ALERT_REVIEW_QUEUE_SIZE})"
        )

    st.header("Match rate by business date")
    rates = summary.assign(match_rate_percent=summary["match_rate"].astype(float) * 100)
    low = max(0.0, float(rates["match_rate_percent"].min()) - 2) if rates["match_rate_percent"].notna().any() else 0.0
    st.altair_chart(
        alt.Chart(rates)
        .mark_line(point=True)
        .encode(
            x=alt.X("business_date:O", title="business date"),
            y=alt.Y("match_rate_percent:Q", title="match rate (%)", scale=alt.Scale(domain=[low, 100])),
            tooltip=["business_date", "pos_orders", "matched_orders", "missing_orders", "match_rate_percent"],
        ),
        use_container_width=True,
    )
    st.dataframe(summary, hide_index=True, use_container_width=True)

    st.header("Missing orders by store")
    by_store = data["missing_by_store"]
    if by_store.empty:
        st.success("No POS order is missing in the OMS.")
    else:
        bars(
            by_store,
            x=alt.X("missing_orders:Q", title="missing orders"),
            y=alt.Y("store_name:N", sort="-x", title="store", axis=alt.Axis(labelLimit=320)),
            color=alt.Color("oldest_age_days:Q", title="oldest (days)"),
            tooltip=["store_id", "store_name", "missing_orders", "within_grace", "oldest_age_days", "average_age_days"],
        )
        st.dataframe(by_store, hide_index=True, use_container_width=True)
        with st.expander(f"The {len(data['missing_orders'])} missing orders, oldest first"):
            st.dataframe(data["missing_orders"], hide_index=True, use_container_width=True)

    st.header("Amount mismatches")
    mismatches = data["mismatches"]
    if mismatches.empty:
        st.success("No matched order's OMS total differs from its POS total beyond the tolerance.")
    else:
        st.dataframe(mismatches, hide_index=True, use_container_width=True)

    st.header("Validation findings")
    left, right = st.columns(2)
    with left:
        st.subheader("By rule")
        by_rule = data["findings_by_rule"]
        if not by_rule.empty:
            bars(
                by_rule,
                x=alt.X("sum(findings):Q", title="findings"),
                y=alt.Y("rule_id:N", sort="-x", title="rule", axis=alt.Axis(labelLimit=320)),
                color=alt.Color("severity:N", title="severity"),
                tooltip=["rule_id", "source_system", "severity", "findings"],
            )
        st.dataframe(by_rule, hide_index=True, use_container_width=True)
    with right:
        st.subheader("By source and business date")
        by_source = data["findings_by_source"]
        if not by_source.empty:
            bars(
                by_source,
                x=alt.X("business_date:O", title="business date"),
                y=alt.Y("sum(findings):Q", title="findings"),
                color=alt.Color("source_system:N", title="source"),
                tooltip=["source_system", "business_date", "severity", "findings"],
            )
        st.dataframe(by_source, hide_index=True, use_container_width=True)

    st.header("Operations")
    left, right = st.columns(2)
    with left:
        st.subheader("Open review items by age")
        ages = data["review_ages"]
        if ages.empty:
            st.success("No review item awaits a decision.")
        else:
            bars(
                ages,
                x=alt.X("open_items:Q", title="open items"),
                y=alt.Y("age:N", sort=None, title=f"age (target {REVIEW_SLA_HOURS:g} hours)"),
                tooltip=["age", "open_items"],
            )
            st.caption("Decide items with `python -m recon_tools.review`; the queue is marts.rpt_review_queue.")
    with right:
        st.subheader("Escalations")
        escalations = data["escalations"]
        if escalations.empty:
            st.success("Nothing is escalated.")
        else:
            st.dataframe(escalations, hide_index=True, use_container_width=True)
    st.subheader("Notifications sent")
    sent = data["notifications_sent"]
    if sent.empty:
        st.info("Nothing has been sent yet: `make notify` sends the notifications the marts hold.")
    else:
        st.dataframe(sent, hide_index=True, use_container_width=True)


main()
