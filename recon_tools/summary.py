"""Print the per-date reconciliation summary from the marts, and where to look next."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.database import db_path_from_env, open_database
from loaders.errors import ConfigError, ReconError, first_line

SUMMARY_SQL = """
select
    business_date,
    pos_orders,
    matched_orders,
    missing_orders,
    missing_within_grace,
    match_rate,
    late_matches,
    duplicate_matches,
    amount_mismatches,
    orders_with_validation_errors,
    oms_unmatched_orders,
    has_oms_file
from marts.rpt_reconciliation_summary
order by business_date
"""

REVIEW_SQL = """
select
    count(*) filter (where review_status = 'open'),
    count(*) filter (where is_past_review_target),
    count(*) filter (where review_status in ('approved', 'rejected', 'corrected'))
from marts.rpt_review_queue
"""

# What was sent to whom: the current version of each notification, per recipient.
SENT_SQL = """
select recipient, count(*), max(sent_at)
from marts.rpt_notifications_sent
where send_status <> 'superseded'
group by recipient
order by recipient
"""

# Every channel's orders over all dates (marts.rpt_channel_summary).
CHANNELS_SQL = """
select channel, sum(orders), sum(matched_orders), sum(missing_orders), sum(orders_with_validation_errors)
from marts.rpt_channel_summary
group by channel
order by case channel when 'POS' then 0 else 1 end, channel
"""

HEADERS = (
    "date",
    "orders",
    "matched",
    "missing",
    "in grace",
    "rate",
    "late",
    "dup",
    "amount",
    "invalid",
    "oms-only",
    "oms file",
)


def render(db_path: Path) -> str:
    """The summary table and the next steps, as text; a ReconError when the database cannot be read."""
    con = open_database(
        db_path,
        read_only=True,
        missing_hint="pass --db or set RECON_DB_PATH, or run `make demo` first",
        busy_hint="run again when it has finished",
    )
    try:
        rows = con.execute(SUMMARY_SQL).fetchall()
        errors = con.execute(
            "select rule_id, count(*) from marts.fct_validation_errors group by rule_id order by 2 desc, 1 limit 5"
        ).fetchall()
        escalations = con.execute(
            "select reason, detail from marts.rpt_escalations order by reason, since, detail"
        ).fetchall()
        review = con.execute(REVIEW_SQL).fetchone()
        sent = con.execute(SENT_SQL).fetchall()
        channels = con.execute(CHANNELS_SQL).fetchall()
    except duckdb.CatalogException as exc:
        raise ConfigError(f"{db_path} has no marts yet: run `dbt build` first ({first_line(exc)})") from exc
    finally:
        con.close()
    table = [HEADERS]
    for row in rows:
        rate = "-" if row[5] is None else f"{float(row[5]) * 100:.1f}%"
        table.append(
            (str(row[0]), *(str(v) for v in row[1:5]), rate, *(str(v) for v in row[6:11]), "yes" if row[11] else "no")
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    out = [
        "Reconciliation by business date (POS orders found in the OMS; 'in grace': missing, but the OMS has",
        "not yet reported the day after they were rung up):",
        "",
        *lines,
        "",
    ]
    if len(channels) > 1:
        out.append(
            "By channel (orders, missing, invalid): "
            + "; ".join(
                f"{name} {orders}, {missing} missing, {invalid} invalid"
                for name, orders, _, missing, invalid in channels
            )
        )
    out.append(
        f"Review queue: {review[0]} open ({review[1]} past the review target), {review[2]} decided"
        " (python -m recon_tools.review list)"
    )
    if sent:
        out.append(
            "Notifications sent: "
            + ", ".join(f"{recipient} {count} (last {last:%Y-%m-%d %H:%M} UTC)" for recipient, count, last in sent)
            + " (see marts.rpt_notifications_sent)"
        )
    out.append("")
    if escalations:
        out.append(f"Escalated ({len(escalations)}; see marts.rpt_escalations):")
        out += [f"  {reason:<25} {detail}" for reason, detail in escalations[:5]]
        if len(escalations) > 5:
            out.append(f"  ... and {len(escalations) - 5} more")
        out.append("")
    if errors:
        out.append("Most frequent validation findings: " + ", ".join(f"{rule} ({count})" for rule, count in errors))
        out.append("")
    out += [
        f"Database: {db_path}",
        "Where to look next:",
        "  missing orders      select * from marts.fct_order_reconciliation where recon_status = 'missing_in_oms'",
        "  every channel       select * from marts.fct_channel_order_reconciliation",
        "  OMS-only orders     select * from marts.fct_oms_unmatched_orders",
        "  bad rows            select * from marts.fct_validation_errors",
        "  rules and status    select * from marts.rpt_validation_rules",
        "  report for people   make report (HTML page + missing-orders CSV in reports/)",
        "  docs and lineage    make docs   (then open target/static_index.html)",
        "  dashboard           make dashboard   (then open http://localhost:8501)",
        '  any SQL, read-only  recon-sql "select ..."   (after: source .venv/bin/activate)',
        "  the next day        make demo-next-day",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recon_tools.summary", description=__doc__)
    parser.add_argument("--db", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    args = parser.parse_args(argv)
    try:
        print(render(db_path_from_env(args.db)))
    except ReconError as exc:
        return fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
