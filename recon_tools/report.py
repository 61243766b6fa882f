"""The reconciliation report for operations: which POS orders did not reach the OMS, for a date or a range.

Writes two files into the output directory (default reports/ in the project):

  missing_orders_<from>_<to>.csv          one row per missing POS order, to work through
  reconciliation_report_<from>_<to>.html  one self-contained page: headline, per-date
                                          summary, match rate chart, missing orders by
                                          store, the missing orders, the top failing
                                          validation rules

It reads only the public marts (schema marts) of the pipeline's database, read-only.

Exit codes:
  0  the report was written
  1  no POS orders for the requested date(s)
  2  bad invocation or configuration (bad date, no database, marts not built)
  4  the database is being written (a dbt build or the loader): run the report after it
"""

from __future__ import annotations

import argparse
import html
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

from loaders.database import PROJECT_ROOT, db_path_from_env

DEFAULT_OUT_DIR = PROJECT_ROOT / "reports"
HTML_ORDER_LIMIT = 200
CHART_CONTEXT_DAYS = 14
TOP_RULES = 10
REQUIRED_MARTS = (
    "fct_order_reconciliation",
    "rpt_reconciliation_summary",
    "fct_validation_errors",
    "rpt_validation_rules",
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOTHING = "\N{EN DASH}"  # shown for a value that does not apply


class ReportError(Exception):
    """An expected failure with a message that names the fix."""

    exit_code = 2


class NoDataError(ReportError):
    exit_code = 1


class DatabaseBusyError(ReportError):
    exit_code = 4


# Missing POS orders of the period, with the validation problems of their POS rows.
# fct_validation_errors.order_id is the order number as delivered (trimmed), the
# reconciliation key is upper(trim()): compare upper-cased.
MISSING_ORDERS_SQL = """
with missing as (
    select business_date, store_id, order_id, ordered_at, pos_order_total, currency, has_validation_errors
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
    problems.validation_problems
from missing
left join problems on missing.order_id = problems.order_id
order by missing.business_date, missing.store_id, missing.ordered_at nulls last, missing.order_id
"""

SUMMARY_SQL = """
select
    business_date, has_pos_file, has_oms_file, rejected_files, pos_orders, matched_orders, missing_orders,
    late_matches, duplicate_matches, amount_mismatches, orders_with_validation_errors, oms_unmatched_orders,
    validation_errors, validation_warnings, missing_order_value
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

MISSING_VALUE_SQL = """
select coalesce(currency, '?') as currency, sum(pos_order_total) as value
from marts.fct_order_reconciliation
where recon_status = 'missing_in_oms' and business_date between $start and $end
group by all
order by value desc nulls last
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

EXPLANATIONS = (
    ("Matched", "The OMS holds an order that carries the POS order number: the order arrived."),
    (
        "Missing",
        "No OMS order carries the POS order number (in any OMS file loaded so far). "
        "These orders need following up; they are listed below and in the CSV.",
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
        "Matched, but the OMS order total differs from the POS order total by more than 0.01.",
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
    if not db_path.is_file():
        raise ReportError(
            f"database {db_path} does not exist: pass --db or set RECON_DB_PATH "
            "(land a drop with `python -m loaders ingest` and run `dbt build` first)"
        )
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"{db_path} is being written by another process (a dbt build or the loader): "
                "run the report when it has finished, or on the BI export (--db data/bi.duckdb, docs/bi_access.md)"
            ) from exc
        raise ReportError(f"cannot open {db_path}: {exc}") from exc
    con.execute("set TimeZone = 'UTC'")
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
    )


def write_csv(con: duckdb.DuckDBPyConnection, path: Path, period: Period, as_of: date) -> int:
    """All missing orders of the period, written by DuckDB; returns the number of rows."""
    target = "'" + str(path).replace("'", "''") + "'"
    # COPY takes the file name as a literal (quotes doubled above); the values are parameters.
    statement = "copy (" + MISSING_ORDERS_SQL + ") to " + target + " (format csv, header true, use_tmp_file true)"
    return int(con.execute(statement, {**period.params(), "as_of": as_of}).fetchone()[0])


# --------------------------------------------------------------------------- rendering


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


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


def chart_svg(data: ReportData) -> str:
    """Bar chart of the match rate per business date, as inline SVG."""
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

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">Match rate by business date, {esc(data.chart_period.label)}</title>',
    ]
    step = 5 if span <= 20 else 10 if span <= 50 else 20
    for tick in range(floor, 101, step):
        y = y_of(tick / 100)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" class="axis" text-anchor="end">{tick}%</text>')
    n = max(len(points), 1)
    slot = plot_w / n
    bar_w = max(2.0, min(64.0, slot * 0.7))
    label_every = max(1, round(n / 14))
    for i, (row, rate) in enumerate(zip(points, rates, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        day = row["business_date"].isoformat()
        tip = f"{day}: {rate * 100:.1f}% matched, {row['missing_orders']:,} missing of {row['pos_orders']:,}"
        if not row["has_oms_file"]:
            # No OMS file yet: an outlined placeholder over the whole height, labelled.
            parts.append(
                f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" class="bar pending">'
                f"<title>{esc(tip + '; no OMS file loaded yet')}</title></rect>"
            )
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h / 2:.1f}" class="pending-label" '
                f'text-anchor="middle">{"no OMS file" if bar_w >= 40 else "?"}</text>'
            )
        else:
            y = y_of(max(rate, floor / 100))
            in_period = data.period.start <= row["business_date"] <= data.period.end
            css = "bar" if in_period else "bar context"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{top + plot_h - y:.1f}" class="{css}">'
                f"<title>{esc(tip)}</title></rect>"
            )
            if n <= 31:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 6:.1f}" class="value" text-anchor="middle">'
                    f"{rate * 100:.1f}%</text>"
                )
        if i % label_every == 0 or i == n - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18}" class="axis" text-anchor="middle">'
                f"{esc(day[5:])}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" class="baseline"/>')
    if not points:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" class="axis" text-anchor="middle">No POS orders to chart</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def table(headers: Sequence[tuple[str, str]], body: Sequence[Sequence[str]], foot: Sequence[str] | None = None) -> str:
    """An HTML table; headers are (label, css class), cells are already escaped HTML."""
    head = "".join(f'<th class="{cls}">{esc(label)}</th>' for label, cls in headers)
    classes = [cls for _, cls in headers]
    lines = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for cells in body:
        lines.append(
            "<tr>"
            + "".join(f'<td class="{cls}">{cell}</td>' for cls, cell in zip(classes, cells, strict=True))
            + "</tr>"
        )
    lines.append("</tbody>")
    if foot:
        lines.append(
            "<tfoot><tr>"
            + "".join(f'<td class="{cls}">{cell}</td>' for cls, cell in zip(classes, foot, strict=True))
            + "</tr></tfoot>"
        )
    lines.append("</table>")
    return "\n".join(lines)


def without_empty_columns(
    headers: Sequence[tuple[str | None, str]], body: Sequence[Sequence[str]], foot: Sequence[str] | None
) -> tuple[list[tuple[str, str]], list[list[str]], list[str] | None]:
    """Drop the columns whose header is None."""
    keep = [i for i, (label, _) in enumerate(headers) if label is not None]
    return (
        [(headers[i][0] or "", headers[i][1]) for i in keep],
        [[cells[i] for i in keep] for cells in body],
        None if foot is None else [foot[i] for i in keep],
    )


def summary_table(data: ReportData) -> str:
    headers = [
        ("Business date", "date"),
        ("POS orders", "num"),
        ("Matched", "num"),
        ("Missing", "num"),
        ("Match rate", "num"),
        ("Late", "num"),
        ("Duplicates", "num"),
        ("Amount mismatch", "num"),
        ("With validation problems", "num"),
        ("OMS-only", "num"),
        (value_header(data), "num"),
        ("Files", "files"),
    ]
    body = []
    for row in data.summary:
        files = []
        if not row["has_pos_file"]:
            files.append('<span class="tag warn">no POS file</span>')
        if not row["has_oms_file"]:
            files.append('<span class="tag warn">no OMS file yet</span>')
        if row["rejected_files"]:
            files.append(f'<span class="tag bad">{esc(plural(row["rejected_files"], "rejected file"))}</span>')
        missing = row["missing_orders"]
        body.append(
            [
                esc(row["business_date"].isoformat()),
                count(row["pos_orders"]),
                count(row["matched_orders"]),
                f'<span class="{"bad" if missing else ""}">{count(missing)}</span>',
                esc(percent(row["matched_orders"], row["pos_orders"])),
                count(row["late_matches"]),
                count(row["duplicate_matches"]),
                count(row["amount_mismatches"]),
                count(row["orders_with_validation_errors"]),
                count(row["oms_unmatched_orders"]),
                esc(money(row["missing_order_value"])),
                " ".join(files) or '<span class="muted">POS, OMS</span>',
            ]
        )
    foot = None
    if len(data.summary) > 1:
        t = data.totals
        total_value = sum((row["missing_order_value"] or Decimal(0)) for row in data.summary)
        foot: list[str] | None = [
            "Total",
            count(t["pos_orders"]),
            count(t["matched_orders"]),
            count(t["missing_orders"]),
            esc(percent(t["matched_orders"], t["pos_orders"])),
            count(t["late_matches"]),
            count(t["duplicate_matches"]),
            count(t["amount_mismatches"]),
            count(t["orders_with_validation_errors"]),
            count(t["oms_unmatched_orders"]),
            esc(money(total_value)),
            "",
        ]
    return table(*without_empty_columns(headers, body, foot))


def stores_table(data: ReportData) -> str:
    if not data.stores:
        return '<p class="muted">No store has missing orders.</p>'
    top = max(row["missing_orders"] for row in data.stores)
    body = []
    for row in data.stores:
        share = row["missing_orders"] / top if top else 0
        body.append(
            [
                f"<strong>{esc(row['store_id'])}</strong>",
                count(row["missing_orders"]),
                f'<span class="meter"><span style="width:{share * 100:.0f}%"></span></span>',
                count(row["pos_orders"]),
                esc(percent(row["missing_orders"], row["pos_orders"])),
                esc(money(row["missing_value"])),
            ]
        )
    headers = [
        ("Store", "text"),
        ("Missing", "num"),
        ("", "meter-cell"),
        ("POS orders", "num"),
        ("Missing share", "num"),
        (value_header(data), "num"),
    ]
    return table(*without_empty_columns(headers, body, None))


def missing_table(data: ReportData, csv_name: str) -> str:
    total = data.totals["missing_orders"]
    if not data.missing_preview:
        return '<p class="ok-note">No missing orders: every POS order of these dates reached the OMS.</p>'
    body = []
    for row in data.missing_preview:
        ordered = row["ordered_at_utc"]
        problems = row["validation_problems"]
        body.append(
            [
                esc(row["business_date"].isoformat()),
                esc(row["store_id"]),
                f'<span class="mono">{esc(row["order_id"])}</span>',
                esc(ordered.strftime("%Y-%m-%d %H:%M") if ordered else NOTHING),
                esc(money(row["pos_order_total"])) + f' <span class="muted">{esc(row["currency"])}</span>',
                count(row["age_days"]),
                f'<span class="problem">{esc(problems)}</span>' if problems else '<span class="muted">none</span>',
            ]
        )
    headers = [
        ("Business date", "date"),
        ("Store", "text"),
        ("Order", "text"),
        ("Rung up (UTC)", "date"),
        ("POS total", "num"),
        ("Age (days)", "num"),
        ("Validation problems", "text wide"),
    ]
    note = ""
    if total > len(data.missing_preview):
        note = (
            f'<p class="note">Showing the first {len(data.missing_preview):,} of {total:,} missing orders. '
            f'All of them are in <a href="{esc(csv_name)}">{esc(csv_name)}</a>.</p>'
        )
    return note + table(headers, body)


def rules_table(data: ReportData) -> str:
    if not data.rules:
        return '<p class="ok-note">No validation problems in the files of these dates.</p>'
    body = []
    for row in data.rules[:TOP_RULES]:
        example = row["example_value"]
        where = f"{row['example_file']}" + (f", line {row['example_line']}" if row["example_line"] is not None else "")
        body.append(
            [
                f'<span class="mono">{esc(row["rule_id"])}</span>',
                esc(row["description"] or ""),
                f'<span class="tag {"bad" if row["severity"] == "error" else "warn"}">{esc(row["severity"])}</span>',
                count(row["failing_records"]),
                (
                    f'<span class="mono">{esc(example)}</span>'
                    if example is not None
                    else '<span class="muted">(empty)</span>'
                )
                + f'<div class="muted small">{esc(where)}</div>',
            ]
        )
    headers = [
        ("Rule", "text"),
        ("What it checks", "text wide"),
        ("Severity", "text"),
        ("Records", "num"),
        ("Example value", "text"),
    ]
    more = len(data.rules) - TOP_RULES
    note = ""
    if more > 0:
        note = f'<p class="note">{plural(more, "more rule")} also failed; see marts.fct_validation_errors.</p>'
    return table(headers, body) + note


CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --accent:#2f6fb3;
        --accent-soft:#b9cde3; --bad:#c0392b; --bad-soft:#fdecea; --warn:#9a6700; --warn-soft:#fff4d6; --ok:#1e7b4f; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width:1120px; margin:0 auto; padding:28px 32px 40px; }
header.top { border-bottom:1px solid var(--line); padding-bottom:16px; margin-bottom:20px; }
.eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:12px; color:var(--muted); margin:0 0 6px; }
h1 { font-size:26px; line-height:1.3; margin:0; font-weight:650; }
h1 .bad { color:var(--bad); }
h2 { font-size:17px; margin:0 0 12px; font-weight:650; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:18px 20px; margin:0 0 18px; }
.kpis { display:grid; grid-template-columns:repeat(4, 1fr); gap:12px; margin:0 0 18px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.kpi .label { color:var(--muted); font-size:12px; }
.kpi .value { font-size:24px; font-weight:650; margin-top:2px; }
.kpi .sub { color:var(--muted); font-size:12px; }
.kpi.bad .value { color:var(--bad); }
.kpi.good .value { color:var(--ok); }
.alerts { margin:0 0 18px; padding:0; list-style:none; }
.alerts li { background:var(--warn-soft); border:1px solid #f0d48a; color:#5c4400; border-radius:6px;
             padding:8px 12px; margin-bottom:8px; }
dl.terms { display:grid; grid-template-columns:1fr 1fr; gap:10px 28px; margin:0; }
dl.terms dt { font-weight:600; }
dl.terms dd { margin:0; color:#3e4c59; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th { text-align:left; font-weight:600; color:var(--muted); border-bottom:2px solid var(--line); padding:6px 8px;
     vertical-align:bottom; }
th.num, th.date { white-space:normal; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
tbody tr:nth-child(even) td { background:#fafbfc; }
tfoot td { font-weight:650; border-top:2px solid var(--line); border-bottom:none; }
.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.date { white-space:nowrap; font-variant-numeric:tabular-nums; }
.wide { width:40%; }
.mono { font-family:SFMono-Regular, Menlo, Consolas, monospace; font-size:12px; }
.muted { color:var(--muted); }
.small { font-size:11px; }
.bad { color:var(--bad); font-weight:600; }
.tag { display:inline-block; font-size:11px; border-radius:10px; padding:1px 8px; font-weight:600;
       white-space:nowrap; }
td.text { white-space:normal; }
td.files { white-space:nowrap; }
.tag.warn { background:var(--warn-soft); color:var(--warn); }
.tag.bad { background:var(--bad-soft); color:var(--bad); }
.problem { color:var(--bad); }
.meter-cell { width:28%; }
.meter { display:block; height:10px; background:#eef2f6; border-radius:5px; overflow:hidden; margin-top:5px; }
.meter span { display:block; height:100%; background:var(--bad); opacity:.75; }
.note { background:#eef4fb; border:1px solid #cfe0f3; border-radius:6px; padding:8px 12px; margin:0 0 12px; }
.ok-note { color:var(--ok); margin:0; }
.chart { width:100%; height:auto; display:block; }
.chart .grid { stroke:#e9edf1; stroke-width:1; }
.chart .baseline { stroke:#9aa5b1; stroke-width:1; }
.chart .bar { fill:var(--accent); }
.chart .bar.context { fill:var(--accent-soft); }
.chart .bar.pending { fill:var(--warn-soft); stroke:#e0b64a; stroke-dasharray:4 3; }
.chart .pending-label { fill:var(--warn); font-size:11px; font-weight:600; }
.chart .axis { fill:var(--muted); font-size:12px; }
.chart .value { fill:var(--ink); font-size:11px; font-weight:600; }
.caption { color:var(--muted); font-size:12px; margin:6px 0 0; }
footer { color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding-top:12px; }
footer code { font-family:SFMono-Regular, Menlo, Consolas, monospace; font-size:11px; color:var(--ink); }
a { color:var(--accent); }
@media print { body { background:#fff; } section, .kpi { break-inside:avoid; } }
"""


def render_html(data: ReportData, csv_path: Path, generated_at: datetime) -> str:
    t = data.totals
    rate = data.match_rate
    missing = t["missing_orders"]
    title = f"Order reconciliation {data.period.label}"
    alerts = []
    no_oms = [row["business_date"].isoformat() for row in data.summary if row["pos_orders"] and not row["has_oms_file"]]
    if no_oms:
        alerts.append(
            f"No OMS file has been loaded yet for {', '.join(no_oms)}: the orders of "
            f"{'that date' if len(no_oms) == 1 else 'those dates'} count as missing until it arrives."
        )
    if t["rejected_files"]:
        alerts.append(
            f"{plural(t['rejected_files'], 'delivered file was', 'delivered files were')} rejected for these dates: "
            "nothing of them is in the figures (see rule file_rejected below)."
        )
    if data.summary and not all(row["has_pos_file"] for row in data.summary):
        alerts.append("Some dates have an OMS file but no POS file: they have no POS orders to reconcile.")
    kpis = [
        (
            "Match rate",
            NOTHING if rate is None else f"{rate * 100:.1f}%",
            f"{t['matched_orders']:,} of {t['pos_orders']:,} POS orders",
            "good" if missing == 0 else "",
        ),
        ("Missing in the OMS", f"{missing:,}", f"value {missing_value_text(data)}", "bad" if missing else "good"),
        ("Late", f"{t['late_matches']:,}", "found only in a later OMS file", ""),
        ("Duplicates in the OMS", f"{t['duplicate_matches']:,}", "POS orders the OMS holds twice or more", ""),
        ("Amount mismatches", f"{t['amount_mismatches']:,}", "OMS total differs by more than 0.01", ""),
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
    kpi_html = "\n".join(
        f'<div class="kpi {cls}"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="sub">{esc(sub)}</div></div>'
        for label, value, sub, cls in kpis
    )
    head = headline(data)
    if missing:
        first, _, rest = head.partition("; ")
        head_html = f'{esc(first)}; <span class="bad">{esc(rest)}</span>.'
    else:
        head_html = esc(head) + "."
    chart_caption = (
        f"Business dates with POS orders in the {CHART_CONTEXT_DAYS} days up to {data.period.end}; "
        "the report's date is the dark bar."
        if data.period.start == data.period.end
        else "Each bar is one business date of the report."
    )
    if any(not row["has_oms_file"] for row in data.chart):
        chart_caption += " A dashed outline marks a date whose OMS file has not been loaded yet."
    terms = "\n".join(f"<div><dt>{esc(term)}</dt><dd>{esc(text)}</dd></div>" for term, text in EXPLANATIONS)
    csv_name = csv_path.name
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="top">
<p class="eyebrow">POS to OMS order reconciliation · {esc(data.period.label)}</p>
<h1>{head_html}</h1>
</header>
{"<ul class='alerts'>" + "".join(f"<li>{esc(a)}</li>" for a in alerts) + "</ul>" if alerts else ""}
<div class="kpis">
{kpi_html}
</div>
<section id="terms">
<h2>What the figures mean</h2>
<p class="muted" style="margin-top:0">Every order rung up in a store's POS (point of sale) must reach the OMS
(order management system). Both systems deliver one file per business date; each POS order number is looked up
among the OMS orders that came from the POS.</p>
<dl class="terms">
{terms}
</dl>
</section>
<section id="by-date">
<h2>By business date</h2>
{summary_table(data)}
</section>
<section id="chart">
<h2>Match rate by business date</h2>
{chart_svg(data)}
<p class="caption">{esc(chart_caption)} Share of the date's POS orders found in the OMS; the axis starts
below the lowest value.</p>
</section>
<section id="stores">
<h2>Missing orders by store</h2>
{stores_table(data)}
</section>
<section id="missing">
<h2>Missing orders ({missing:,})</h2>
{missing_table(data, csv_name)}
</section>
<section id="rules">
<h2>Most frequent validation problems</h2>
{rules_table(data)}
</section>
<footer>
<p>Generated {esc(generated_at.strftime("%Y-%m-%d %H:%M"))} UTC from <code>{esc(data.database)}</code>.
Ages are counted to {esc(data.as_of.isoformat())}. Times are UTC.</p>
<p>Every missing order, for follow-up: <a href="{esc(csv_name)}">{esc(csv_name)}</a>
(<code>{esc(csv_path)}</code>).</p>
<p>Figures from the tables marts.rpt_reconciliation_summary, marts.fct_order_reconciliation and
marts.fct_validation_errors, which BI tools and analysts can query directly.</p>
</footer>
</main>
</body>
</html>
"""


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
    except ReportError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc), "exit_code": exc.exit_code}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
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
