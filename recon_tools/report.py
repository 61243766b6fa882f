"""The reconciliation report for operations: which POS orders did not reach the OMS, for a date or a range.

Writes two files into the output directory (default reports/ in the project):

  missing_orders_<from>_<to>.csv          one row per missing POS order, to work through
  reconciliation_report_<from>_<to>.html  one self-contained page: headline, per-date
                                          summary, match rate chart, missing orders by
                                          store, the missing orders, the top failing
                                          validation rules, and the operations: open
                                          review items by age, escalations, what was sent

It reads only the public marts (schema marts) of the pipeline's database, read-only.

Exit codes:
  0  the report was written
  1  no POS orders for the requested date(s)
  2  bad invocation or configuration (bad date, no database, marts not built)
  4  the database is being written (a dbt build or the loader): run the report after it
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import jinja2
import yaml

from loaders.cli_support import fail
from loaders.database import PROJECT_ROOT, db_path_from_env, open_database
from loaders.errors import DatabaseBusyError as DatabaseBusyError  # re-exported: a held database, exit 4
from loaders.errors import ReconError

DEFAULT_OUT_DIR = PROJECT_ROOT / "reports"
HTML_ORDER_LIMIT = 200
CHART_CONTEXT_DAYS = 14
TOP_RULES = 10
REQUIRED_MARTS = (
    "fct_order_reconciliation",
    "rpt_reconciliation_summary",
    "fct_validation_errors",
    "rpt_validation_rules",
    "rpt_review_queue",
    "rpt_escalations",
    "rpt_notifications_sent",
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOTHING = "\N{EN DASH}"  # shown for a value that does not apply
TEMPLATE = "report.html.j2"  # in recon_tools/templates, with report.css


class ReportError(ReconError):
    """An expected failure of the report with a message that names the fix (exit 2)."""

    exit_code = 2


class NoDataError(ReportError):
    """No POS orders for the requested dates (exit 1)."""

    exit_code = 1


# Missing POS orders of the period, with the validation problems of their POS rows.
# fct_validation_errors.order_id is the order number as delivered (trimmed), the
# reconciliation key is upper(trim()): compare upper-cased.
MISSING_ORDERS_SQL = """
with missing as (
    select
        business_date, store_id, order_id, ordered_at, pos_order_total, currency, has_validation_errors,
        missing_since, missing_age_days, is_within_grace
    from marts.fct_order_reconciliation
    where recon_status = 'missing_in_oms' and business_date between $start and $end
),

problems as (
    select
        missing.order_id,
        string_agg(
            distinct errors.rule_id || ': ' || coalesce(errors.message, ''), '; '
            order by errors.rule_id || ': ' || coalesce(errors.message, '')
        ) as validation_problems
    from missing
    inner join marts.fct_validation_errors as errors
        on upper(errors.order_id) = missing.order_id and errors.source_system = 'POS'
    group by missing.order_id
)

select
    missing.business_date,
    missing.store_id,
    missing.order_id,
    missing.ordered_at as ordered_at_utc,
    missing.pos_order_total,
    missing.currency,
    datediff('day', missing.business_date, $as_of::date) as age_days,
    missing.has_validation_errors,
    problems.validation_problems,
    missing.missing_since,
    missing.missing_age_days,
    missing.is_within_grace
from missing
left join problems on missing.order_id = problems.order_id
order by missing.business_date, missing.store_id, missing.ordered_at nulls last, missing.order_id
"""

SUMMARY_SQL = """
select
    business_date, has_pos_file, has_oms_file, rejected_files, pos_orders, matched_orders, missing_orders,
    late_matches, duplicate_matches, amount_mismatches, orders_with_validation_errors, oms_unmatched_orders,
    validation_errors, validation_warnings, missing_order_value, missing_within_grace
from marts.rpt_reconciliation_summary
where business_date between $start and $end
order by business_date
"""

CHART_SQL = """
select business_date, pos_orders, matched_orders, missing_orders, has_oms_file
from marts.rpt_reconciliation_summary
where business_date between $start and $end and pos_orders > 0
order by business_date
"""

STORES_SQL = """
select
    coalesce(store_id, '(no store)') as store_id,
    count(*) as pos_orders,
    count(*) filter (where recon_status = 'missing_in_oms') as missing_orders,
    sum(pos_order_total) filter (where recon_status = 'missing_in_oms') as missing_value
from marts.fct_order_reconciliation
where business_date between $start and $end
group by all
having count(*) filter (where recon_status = 'missing_in_oms') > 0
order by missing_orders desc, store_id
"""

CHANNELS_SQL = """
select
    summary.channel,
    sum(summary.orders) as orders,
    sum(summary.matched_orders) as matched_orders,
    sum(summary.missing_orders) as missing_orders,
    sum(summary.late_matches) as late_matches,
    sum(summary.amount_mismatches) as amount_mismatches,
    sum(summary.orders_with_validation_errors) as orders_with_validation_errors,
    sum(summary.missing_order_value) as missing_value,
    max(metrics.order_error_rate) as worst_error_rate
from marts.rpt_channel_summary as summary
left join marts.rpt_source_metrics as metrics
    on summary.channel = metrics.source_system and summary.business_date = metrics.business_date
where summary.business_date between $start and $end
group by summary.channel
order by case summary.channel when 'POS' then 0 else 1 end, summary.channel
"""

MISSING_VALUE_SQL = """
select coalesce(currency, '?') as currency, sum(pos_order_total) as value
from marts.fct_order_reconciliation
where recon_status = 'missing_in_oms' and business_date between $start and $end
group by all
order by value desc nulls last
"""

# The operations' state (not bound to the report's dates): open review items by age against
# the review target, and the escalations, as the marts hold them when the report is written.
REVIEW_AGES_SQL = """
with open_items as (
    select hours_open as age_hours
    from marts.rpt_review_queue
    where review_status = 'open'
)
select
    case
        when age_hours < $sla then 'within the ' || $sla_label || '-hour target'
        when age_hours < 24 then $sla_label || ' to 24 hours'
        when age_hours < 72 then '1 to 3 days'
        else 'over 3 days'
    end as age_band,
    age_hours >= $sla as past_target,
    count(*) as open_items,
    max(age_hours) as oldest_hours
from open_items
group by all
order by min(age_hours)
"""

ESCALATIONS_SQL = """
select reason, source_system, source_file, business_date, rule_id, affected_orders, since, age_hours, detail
from marts.rpt_escalations
order by since, reason, detail
"""

NOTIFICATIONS_SQL = """
select
    sent_at, recipient, kind, business_date, version, item_count, target, csv_file, send_status
from marts.rpt_notifications_sent
order by sent_at desc, recipient, csv_file
limit 20
"""

NOTIFICATIONS_DUE_SQL = """
select count(*) as due
from marts.rpt_outbound_notifications as outbound
where not exists (
    select 1 from marts.rpt_notifications_sent as sent
    where sent.notification_id = outbound.notification_id and sent.content_hash = outbound.content_hash
)
"""

RULES_SQL = """
select
    errors.rule_id,
    any_value(rules.description) as description,
    any_value(errors.severity) as severity,
    any_value(errors.source_system) as source_system,
    count(*) as failing_records,
    first(errors.failed_value order by errors.source_file, errors.source_line) as example_value,
    first(errors.source_file order by errors.source_file, errors.source_line) as example_file,
    first(errors.source_line order by errors.source_file, errors.source_line) as example_line
from marts.fct_validation_errors as errors
left join marts.rpt_validation_rules as rules on errors.rule_id = rules.rule_id
where errors.business_date between $start and $end
group by errors.rule_id
order by failing_records desc, errors.rule_id
"""


def amount_tolerance(project_root: Path = PROJECT_ROOT) -> Decimal:
    """The var amount_tolerance of dbt_project.yml: the difference fct_order_reconciliation
    accepts between the OMS and the POS order total, named here as the build applies it."""
    project = yaml.safe_load((project_root / "dbt_project.yml").read_text())
    return Decimal(str(project["vars"]["amount_tolerance"]))


AMOUNT_TOLERANCE = amount_tolerance()


def project_var(name: str, project_root: Path = PROJECT_ROOT) -> object:
    """A var of dbt_project.yml, as the build uses it unless overridden on its command line."""
    return yaml.safe_load((project_root / "dbt_project.yml").read_text())["vars"][name]


REVIEW_SLA_HOURS = float(project_var("review_sla_hours"))
GRACE_DAYS = project_var("missing_grace_days")

EXPLANATIONS = (
    ("Matched", "The OMS holds an order that carries the POS order number: the order arrived."),
    (
        "Missing",
        "No OMS order carries the POS order number (in any OMS file loaded so far). "
        "These orders need following up; they are listed below and in the CSV.",
    ),
    (
        "Within grace",
        f"Missing, but younger than the grace window ({GRACE_DAYS} d): the OMS has not yet reported the day after "
        "the order was rung up. Counted "
        "with the missing orders, marked apart, not chased yet.",
    ),
    (
        "Late",
        "Matched, but only by a later day's OMS file: the order arrived, a day or more after it was rung up.",
    ),
    (
        "Duplicate",
        "More than one OMS order carries the same POS order number: the OMS may ship or bill it twice.",
    ),
    (
        "Amount mismatch",
        f"Matched, but the OMS order total differs from the POS order total by more than {AMOUNT_TOLERANCE}.",
    ),
    ("OMS-only", "OMS orders that claim a POS order number that no POS file has (not sent by the POS, or a typo)."),
    (
        "Validation problem",
        "A row of a delivered file broke a rule of the file interface (a missing store, a malformed price, "
        "totals that do not add up). The order is still reconciled; the problem is shown with it.",
    ),
)


@dataclass
class Period:
    start: date
    end: date

    @property
    def label(self) -> str:
        return self.start.isoformat() if self.start == self.end else f"{self.start} to {self.end}"

    @property
    def slug(self) -> str:
        return f"{self.start}_{self.end}"

    def params(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end}


@dataclass
class ReportData:
    period: Period
    as_of: date
    database: Path
    summary: list[dict[str, object]]
    chart: list[dict[str, object]]
    chart_period: Period
    stores: list[dict[str, object]]
    missing_preview: list[dict[str, object]]
    missing_value: list[tuple[str, Decimal | None]]
    rules: list[dict[str, object]]
    totals: dict[str, int] = field(default_factory=dict)
    review_ages: list[dict[str, object]] = field(default_factory=list)
    escalations: list[dict[str, object]] = field(default_factory=list)
    notifications: list[dict[str, object]] = field(default_factory=list)
    notifications_due: int = 0
    channels: list[dict[str, object]] = field(default_factory=list)

    @property
    def match_rate(self) -> float | None:
        pos = self.totals["pos_orders"]
        return self.totals["matched_orders"] / pos if pos else None


@dataclass
class ReportResult:
    data: ReportData
    html_path: Path
    csv_path: Path
    csv_rows: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        data = self.data
        return {
            "ok": True,
            "from": data.period.start.isoformat(),
            "to": data.period.end.isoformat(),
            "as_of": data.as_of.isoformat(),
            "database": str(data.database),
            "html": str(self.html_path),
            "csv": str(self.csv_path),
            "dates": [row["business_date"].isoformat() for row in data.summary],
            "dates_without_oms_file": [
                row["business_date"].isoformat()
                for row in data.summary
                if row["pos_orders"] and not row["has_oms_file"]
            ],
            **data.totals,
            "match_rate": None if data.match_rate is None else round(data.match_rate, 4),
            "missing_orders_in_csv": self.csv_rows,
            "missing_orders_in_html": len(data.missing_preview),
            "open_review_items": sum(int(row["open_items"]) for row in data.review_ages),
            "review_items_past_target": sum(int(row["open_items"]) for row in data.review_ages if row["past_target"]),
            "escalations": len(data.escalations),
            "notifications_due": data.notifications_due,
            "channels": {
                row["channel"]: {"orders": int(row["orders"]), "missing_orders": int(row["missing_orders"])}
                for row in data.channels
            },
            "seconds": round(self.seconds, 2),
        }


# --------------------------------------------------------------------------- reading


def parse_day(value: str, option: str) -> date:
    """A YYYY-MM-DD date, or a ReportError naming the option."""
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{option} {value!r} is not a date: expected YYYY-MM-DD, e.g. 2026-11-20") from None


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only and check that the marts the report reads are there."""
    con = open_database(
        db_path,
        read_only=True,
        missing_hint="pass --db or set RECON_DB_PATH "
        "(land a drop with `python -m loaders ingest` and run `dbt build` first)",
        busy_hint="run the report when it has finished, or on the BI export (--db data/bi.duckdb, docs/bi_access.md)",
    )
    tables = con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
    present = {name for (name,) in tables}
    absent = [name for name in REQUIRED_MARTS if name not in present]
    if absent:
        con.close()
        raise ReportError(f"{db_path} has no marts ({', '.join(absent)} missing): run `dbt build` first")
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> list[dict[str, object]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def resolve_period(con: duckdb.DuckDBPyConnection, on: date | None, start: date | None, end: date | None) -> Period:
    """The requested dates; by default the latest business date with POS orders."""
    first, last = con.execute(
        "select min(business_date), max(business_date) from marts.rpt_reconciliation_summary where pos_orders > 0"
    ).fetchone()
    if last is None:
        raise NoDataError("the database holds no POS orders yet: land a drop and run `dbt build`")
    if on is not None:
        period = Period(on, on)
    elif start is not None and end is not None:
        period = Period(start, end)
    elif start is not None:
        period = Period(start, max(start, last))  # --from alone: up to the latest date
    elif end is not None:
        period = Period(min(first, end), end)  # --to alone: from the first date
    else:
        period = Period(last, last)
    if period.start > period.end:
        raise ReportError(f"--from {period.start} is after --to {period.end}")
    found = con.execute(
        "select count(*) from marts.rpt_reconciliation_summary where pos_orders > 0 and business_date between ? and ?",
        [period.start, period.end],
    ).fetchone()[0]
    if not found:
        raise NoDataError(f"no POS orders for {period.label} (the database has POS orders from {first} to {last})")
    return period


def collect(con: duckdb.DuckDBPyConnection, db_path: Path, period: Period, as_of: date) -> ReportData:
    params = period.params()
    summary = rows(con, SUMMARY_SQL, params)
    keys = (
        "pos_orders",
        "matched_orders",
        "missing_orders",
        "late_matches",
        "duplicate_matches",
        "amount_mismatches",
        "orders_with_validation_errors",
        "oms_unmatched_orders",
        "validation_errors",
        "validation_warnings",
        "rejected_files",
        "missing_within_grace",
    )
    totals = {key: int(sum(row[key] or 0 for row in summary)) for key in keys}
    chart_period = (
        Period(period.end - timedelta(days=CHART_CONTEXT_DAYS - 1), period.end)
        if period.start == period.end
        else period
    )
    return ReportData(
        period=period,
        as_of=as_of,
        database=db_path,
        summary=summary,
        chart=rows(con, CHART_SQL, chart_period.params()),
        chart_period=chart_period,
        stores=rows(con, STORES_SQL, params),
        missing_preview=rows(con, MISSING_ORDERS_SQL + f"\nlimit {HTML_ORDER_LIMIT}", {**params, "as_of": as_of}),
        missing_value=[(row["currency"], row["value"]) for row in rows(con, MISSING_VALUE_SQL, params)],
        rules=rows(con, RULES_SQL, params),
        totals=totals,
        review_ages=rows(con, REVIEW_AGES_SQL, {"sla": REVIEW_SLA_HOURS, "sla_label": f"{REVIEW_SLA_HOURS:g}"}),
        escalations=rows(con, ESCALATIONS_SQL, {}),
        notifications=rows(con, NOTIFICATIONS_SQL, {}),
        notifications_due=int(con.execute(NOTIFICATIONS_DUE_SQL).fetchone()[0]),
        channels=rows(con, CHANNELS_SQL, params),
    )


def write_csv(con: duckdb.DuckDBPyConnection, path: Path, period: Period, as_of: date) -> int:
    """All missing orders of the period, written by DuckDB; returns the number of rows."""
    target = "'" + str(path).replace("'", "''") + "'"
    # COPY takes the file name as a literal (quotes doubled above); the values are parameters.
    statement = "copy (" + MISSING_ORDERS_SQL + ") to " + target + " (format csv, header true, use_tmp_file true)"
    return int(con.execute(statement, {**period.params(), "as_of": as_of}).fetchone()[0])


# --------------------------------------------------------------------------- rendering


def count(value: object) -> str:
    return f"{int(value or 0):,}"


def money(value: object) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def percent(part: int, whole: int, digits: int = 1) -> str:
    return NOTHING if not whole else f"{100 * part / whole:.{digits}f}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def headline(data: ReportData) -> str:
    t = data.totals
    missing = t["missing_orders"]
    tail = "none are missing" if missing == 0 else f"{missing:,} {'is' if missing == 1 else 'are'} missing"
    if missing and t["missing_within_grace"]:
        tail += f" ({t['missing_within_grace']:,} within the grace window)"
    return (
        f"{t['matched_orders']:,} of {plural(t['pos_orders'], 'POS order')} from {data.period.label} "
        f"reached the OMS; {tail}"
    )


def missing_value_text(data: ReportData) -> str:
    parts = [f"{money(value)} {currency}" for currency, value in data.missing_value if value is not None]
    return ", ".join(parts) if parts else NOTHING


def value_header(data: ReportData) -> str | None:
    """Header of the missing-value columns, naming the currency; None when the missing orders have
    several currencies (a sum across currencies means nothing: the KPI lists them per currency)."""
    currencies = sorted({currency for currency, _ in data.missing_value})
    if len(currencies) > 1:
        return None
    return f"Missing value ({currencies[0]})" if currencies else "Missing value"


def alerts(data: ReportData) -> list[str]:
    """What the reader must know before trusting the figures."""
    found = []
    no_oms = [row["business_date"].isoformat() for row in data.summary if row["pos_orders"] and not row["has_oms_file"]]
    if no_oms:
        found.append(
            f"No OMS file has been loaded yet for {', '.join(no_oms)}: the orders of "
            f"{'that date' if len(no_oms) == 1 else 'those dates'} count as missing until it arrives."
        )
    if data.totals["rejected_files"]:
        found.append(
            f"{plural(data.totals['rejected_files'], 'delivered file was', 'delivered files were')} rejected "
            "for these dates: nothing of them is in the figures (see rule file_rejected below)."
        )
    if data.summary and not all(row["has_pos_file"] for row in data.summary):
        found.append("Some dates have an OMS file but no POS file: they have no POS orders to reconcile.")
    return found


def kpis(data: ReportData) -> list[dict[str, str]]:
    """The tiles under the headline: label, value, a line under it, and good/bad colouring."""
    t = data.totals
    rate = data.match_rate
    missing = t["missing_orders"]
    tiles = [
        (
            "Match rate",
            NOTHING if rate is None else f"{rate * 100:.1f}%",
            f"{t['matched_orders']:,} of {t['pos_orders']:,} POS orders",
            "good" if missing == 0 else "",
        ),
        (
            "Missing in the OMS",
            f"{missing:,}",
            f"value {missing_value_text(data)}; {t['missing_within_grace']:,} within grace",
            "bad" if missing > t["missing_within_grace"] else "good" if not missing else "",
        ),
        ("Late", f"{t['late_matches']:,}", "found only in a later OMS file", ""),
        ("Duplicates in the OMS", f"{t['duplicate_matches']:,}", "POS orders the OMS holds twice or more", ""),
        ("Amount mismatches", f"{t['amount_mismatches']:,}", f"OMS total differs by more than {AMOUNT_TOLERANCE}", ""),
        ("OMS-only orders", f"{t['oms_unmatched_orders']:,}", "OMS orders with no POS order", ""),
        (
            "Orders with validation problems",
            f"{t['orders_with_validation_errors']:,}",
            "POS orders with a row that broke a rule",
            "",
        ),
        (
            "Validation findings",
            f"{t['validation_errors'] + t['validation_warnings']:,}",
            f"{t['validation_errors']:,} errors, {t['validation_warnings']:,} warnings",
            "",
        ),
    ]
    return [{"label": label, "value": value, "sub": sub, "css": css} for label, value, sub, css in tiles]


def chart_caption(data: ReportData) -> str:
    caption = (
        f"Business dates with POS orders in the {CHART_CONTEXT_DAYS} days up to {data.period.end}; "
        "the report's date is the dark bar."
        if data.period.start == data.period.end
        else "Each bar is one business date of the report."
    )
    if any(not row["has_oms_file"] for row in data.chart):
        caption += " A dashed outline marks a date whose OMS file has not been loaded yet."
    return caption


def chart_geometry(data: ReportData) -> dict[str, object]:
    """Where the match rate chart's axis lines and bars go; the template draws them as inline SVG."""
    points = data.chart
    width, height = 1040, 280
    left, right, top, bottom = 56, 16, 20, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    rates = [row["matched_orders"] / row["pos_orders"] for row in points]
    # A date whose OMS file has not arrived has every order missing: it is drawn apart and
    # does not set the axis. The axis starts at a round value below the lowest other rate.
    scaled = [rate for row, rate in zip(points, rates, strict=True) if row["has_oms_file"]] or rates
    low = min(scaled) if scaled else 1.0
    floor = min(95, max(0, int((low * 100 - 1) // 5 * 5)))
    span = 100 - floor

    def y_of(rate: float) -> float:
        return top + plot_h * (1 - (rate * 100 - floor) / span)

    step = 5 if span <= 20 else 10 if span <= 50 else 20
    n = max(len(points), 1)
    slot = plot_w / n
    bar_w = max(2.0, min(64.0, slot * 0.7))
    label_every = max(1, round(n / 14))
    bars = []
    for i, (row, rate) in enumerate(zip(points, rates, strict=True)):
        day = row["business_date"].isoformat()
        bars.append(
            {
                "x": left + slot * i + (slot - bar_w) / 2,
                "y": y_of(max(rate, floor / 100)),
                "rate": rate,
                "tip": f"{day}: {rate * 100:.1f}% matched, {row['missing_orders']:,} missing of {row['pos_orders']:,}",
                # No OMS file yet: drawn as an outlined placeholder over the whole height.
                "pending": not row["has_oms_file"],
                "in_period": data.period.start <= row["business_date"] <= data.period.end,
                "day_label": day[5:] if i % label_every == 0 or i == n - 1 else None,
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + plot_h,
        "plot_height": plot_h,
        "bar_width": bar_w,
        "ticks": [{"value": tick, "y": y_of(tick / 100)} for tick in range(floor, 101, step)],
        "bars": bars,
        "show_values": n <= 31,
    }


def template_environment() -> jinja2.Environment:
    """The report's templates (recon_tools/templates), with every value escaped and None shown as nothing."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("recon_tools", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=lambda value: "" if value is None else value,
    )
    env.filters.update(count=count, money=money)
    env.globals.update(percent=percent, plural=plural, NOTHING=NOTHING)
    return env


def render_html(data: ReportData, csv_path: Path, generated_at: datetime) -> str:
    """The report page (templates/report.html.j2): one self-contained HTML file."""
    head = headline(data)
    first, _, problem = head.partition("; ")
    missing = data.totals["missing_orders"]
    template = template_environment().get_template(TEMPLATE)
    return template.render(
        data=data,
        title=f"Order reconciliation {data.period.label}",
        headline=first if missing else head,
        headline_problem=problem if missing else None,
        alerts=alerts(data),
        kpis=kpis(data),
        terms=EXPLANATIONS,
        chart=chart_geometry(data),
        chart_caption=chart_caption(data),
        value_header=value_header(data),
        total_value=sum((row["missing_order_value"] or Decimal(0)) for row in data.summary),
        top_rules=TOP_RULES,
        review_sla_hours=REVIEW_SLA_HOURS,
        error_rate_threshold=float(project_var("alert_error_rate") or 0.05),
        csv_name=csv_path.name,
        csv_path=csv_path,
        generated_at=generated_at,
    )


# --------------------------------------------------------------------------- command line


def generate(
    db_path: Path,
    out_dir: Path,
    *,
    on: date | None = None,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> ReportResult:
    """Write the CSV and the HTML page; the library entry point of the command."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    as_of = as_of or now.date()
    con = connect(db_path)
    try:
        period = resolve_period(con, on, start, end)
        data = collect(con, db_path, period, as_of)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot create the output directory {out_dir}: {exc}") from exc
        csv_path = (out_dir / f"missing_orders_{period.slug}.csv").resolve()
        html_path = (out_dir / f"reconciliation_report_{period.slug}.html").resolve()
        csv_rows = write_csv(con, csv_path, period, as_of)
    finally:
        con.close()
    page = render_html(data, csv_path, now)
    staging = html_path.with_name(f".{html_path.name}.tmp")
    staging.write_text(page, encoding="utf-8")
    staging.replace(html_path)
    return ReportResult(data, html_path, csv_path, csv_rows, time.perf_counter() - started)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.report",
        description="Write the reconciliation report (HTML page + CSV of missing orders) for a date or a range.",
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="one business date (default: the latest one)")
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first business date of a range")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last business date of a range")
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="count the age of missing orders to this date (default: today, UTC)"
    )
    parser.add_argument("--out", metavar="DIR", type=Path, help="output directory (default: reports/ in the project)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON document (for schedulers)")
    output.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    output.add_argument("-v", "--verbose", action="store_true", help="also print the figures per date and the timing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.date and (args.start or args.end):
            raise ReportError("give either --date or --from/--to, not both")
        result = generate(
            db_path_from_env(args.db),
            args.out or DEFAULT_OUT_DIR,
            on=parse_day(args.date, "--date") if args.date else None,
            start=parse_day(args.start, "--from") if args.start else None,
            end=parse_day(args.end, "--to") if args.end else None,
            as_of=parse_day(args.as_of, "--as-of") if args.as_of else None,
        )
    except ReconError as exc:
        return fail(exc, args.json)
    if args.json:
        print(json.dumps(result.to_dict()))
    elif not args.quiet:
        print(headline(result.data) + ".")
        if args.verbose:
            for row in result.data.summary:
                print(
                    f"  {row['business_date']}  {row['pos_orders']:>7,} orders  {row['missing_orders']:>6,} missing  "
                    f"{percent(row['matched_orders'], row['pos_orders']):>6} matched"
                    + ("" if row["has_oms_file"] else "  (no OMS file yet)")
                )
        print(f"report:         {result.html_path}")
        print(f"missing orders: {result.csv_path} ({result.csv_rows:,} rows)")
        if args.verbose:
            print(f"done in {result.seconds:.2f} s from {result.data.database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
