"""The reconciliation report: the CSV is exactly the missing orders, the page says so, errors are clear."""

from __future__ import annotations

import csv
import json
import shutil
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import CHROMIUM_FLAGS, PROJECT_ROOT, pos_file, query, write_files

from recon_tools import report
from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt

AS_OF = "2026-11-25"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
# A POS file of a date whose OMS file has not arrived: every order is missing. One order
# number is delivered in lower case with a malformed price (the error layer keeps it as
# delivered, the reconciliation upper-cases it); one contains markup that must be escaped.
EXTRA_DAY = "2026-11-21"
EXTRA_POS_FILE = pos_file(
    's001-9000001,S001,R1,2026-11-21,2026-11-21T10:00:00Z,,USD,1,SKU-100,1,"4,50",,4.50,4.50',
    "S002-9000002,S002,R1,2026-11-21,2026-11-21T11:00:00+01:00,C1,USD,1,SKU-101,2,3.00,,6.00,6.00",
    "S003-<i>9</i>&co,S003,R2,2026-11-21,2026-11-21T12:30:00Z,C2,USD,1,SKU-102,1,7.25,,7.25,7.25",
)


@pytest.fixture(scope="module")
def built() -> dict[str, Path]:
    return {}


@pytest.fixture
def recon_db(built, tmp_path_factory, ingest, dbt, db_path, monkeypatch) -> Path:
    """One database for the module: 5 generated days of 1,500 orders, plus a day with no OMS file yet."""
    if "db" not in built:
        # Keep this build's BI export (when the hook is configured) out of the project's data/bi.
        monkeypatch.setenv("RECON_BI_DIR", str(tmp_path_factory.mktemp("bi") / "absent"))
        drop = tmp_path_factory.mktemp("report_drop")
        generate(drop, days=5, orders_per_day=1500, seed=5)
        write_files(drop, {"pos/pos_orders_20261121.csv": EXTRA_POS_FILE})
        code, output = ingest(drop)
        assert code == 0, output
        result = dbt(db_path, "build")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        built["db"] = db_path
    return built["db"]


def run_report(db: Path, out: Path, *args: str) -> tuple[int, str, str]:
    """The CLI as a scheduler runs it: a subprocess from the project root."""
    command = [sys.executable, "-m", "recon_tools.report", "--db", str(db), "--out", str(out), *args]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


def expected_missing(db: Path, start: str, end: str) -> list[tuple]:
    return query(
        db,
        """
        select cast(business_date as varchar), store_id, order_id, has_validation_errors
        from marts.fct_order_reconciliation
        where recon_status = 'missing_in_oms' and business_date between ? and ?
        order by business_date, store_id, ordered_at nulls last, order_id
        """,
        [start, end],
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def missing_section(page: str) -> str:
    """The part of the page with the list of missing orders."""
    start = page.index("<h2>Missing orders (")
    return page[start : page.index("</section>", start)]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def test_one_date_lists_every_missing_order(recon_db, tmp_path):
    code, out, err = run_report(recon_db, tmp_path, "--date", "2026-11-20", "--as-of", AS_OF)
    assert code == 0, err
    csv_path = tmp_path / "missing_orders_2026-11-20_2026-11-20.csv"
    html_path = tmp_path / "reconciliation_report_2026-11-20_2026-11-20.html"
    assert f"report:         {html_path}" in out and str(csv_path) in out

    expected = expected_missing(recon_db, "2026-11-20", "2026-11-20")
    assert 30 < len(expected) < report.HTML_ORDER_LIMIT  # the generator's 3 % missing and 2 % late on its last day
    rows = read_csv(csv_path)
    assert list(rows[0]) == [
        "business_date",
        "store_id",
        "order_id",
        "ordered_at_utc",
        "pos_order_total",
        "currency",
        "age_days",
        "has_validation_errors",
        "validation_problems",
        "missing_since",
        "missing_age_days",
        "is_within_grace",
    ]
    assert [(r["business_date"], r["store_id"], r["order_id"], r["has_validation_errors"] == "true") for r in rows] == [
        tuple(e) for e in expected
    ]
    assert {r["age_days"] for r in rows} == {"5"}
    # The OMS has reported 2026-11-20 only: every missing order of that date is within its
    # grace window, measured at the end of the date (not at --as-of).
    assert {r["is_within_grace"] for r in rows} == {"true"}
    assert all(0 <= float(r["missing_age_days"]) < 1 for r in rows)

    (pos, matched, missing) = query(
        recon_db,
        "select pos_orders, matched_orders, missing_orders from marts.rpt_reconciliation_summary "
        "where business_date = '2026-11-20'",
    )[0]
    assert missing == len(expected)
    page = html_path.read_text(encoding="utf-8")
    assert f"{matched:,} of {pos:,} POS orders from 2026-11-20 reached the OMS;" in page
    assert f"{missing:,} are missing" in page
    section = missing_section(page)
    for _, _, order_id, _ in expected:
        assert section.count(f'<span class="mono">{order_id}</span>') == 1, order_id
    assert section.count("<tr>") == len(expected) + 1  # the header row
    assert "Showing the first" not in section
    assert csv_path.name in page and str(recon_db) in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_default_date_is_the_latest_with_validation_problems_and_escaping(recon_db, tmp_path):
    code, out, err = run_report(recon_db, tmp_path, "--as-of", AS_OF)
    assert code == 0, err
    assert out.startswith(
        f"0 of 3 POS orders from {EXTRA_DAY} reached the OMS; 3 are missing (3 within the grace window)."
    )
    rows = {r["order_id"]: r for r in read_csv(tmp_path / f"missing_orders_{EXTRA_DAY}_{EXTRA_DAY}.csv")}
    assert set(rows) == {"S001-9000001", "S002-9000002", "S003-<I>9</I>&CO"}
    # Errors are recorded on the delivered (lower-case) order number and still reach the order.
    assert rows["S001-9000001"]["has_validation_errors"] == "true"
    assert "pos_unit_price_format: unit_price '4,50'" in rows["S001-9000001"]["validation_problems"]
    assert rows["S002-9000002"]["validation_problems"] == ""
    assert rows["S002-9000002"]["ordered_at_utc"] == "2026-11-21 10:00:00"  # delivered as 11:00+01:00
    assert rows["S002-9000002"]["age_days"] == "4"

    page = (tmp_path / f"reconciliation_report_{EXTRA_DAY}_{EXTRA_DAY}.html").read_text(encoding="utf-8")
    assert "No OMS file has been loaded yet for 2026-11-21" in page
    assert "S003-&lt;I&gt;9&lt;/I&gt;&amp;CO" in page and "<I>9</I>" not in page
    assert "pos_unit_price_format" in page
    # One day: the chart shows the days before it as context (the 5 generated days), and this
    # day, whose OMS file has not arrived, as a placeholder rather than a 0 % bar.
    assert page.count('class="bar context"') == 5 and page.count('class="bar pending"') == 1
    assert page.count('class="bar"') == 0


def test_range_caps_the_page_and_keeps_every_order_in_the_csv(recon_db, tmp_path):
    code, out, err = run_report(recon_db, tmp_path, "--from", "2026-11-16", "--to", "2026-11-20", "--json")
    assert code == 0, err
    summary = json.loads(out)
    expected = expected_missing(recon_db, "2026-11-16", "2026-11-20")
    assert len(expected) > report.HTML_ORDER_LIMIT
    totals = query(
        recon_db,
        "select sum(pos_orders), sum(matched_orders), sum(missing_orders) from marts.rpt_reconciliation_summary "
        "where business_date between '2026-11-16' and '2026-11-20'",
    )[0]
    assert (summary["pos_orders"], summary["matched_orders"], summary["missing_orders"]) == totals
    assert summary["missing_orders"] == summary["missing_orders_in_csv"] == len(expected)
    assert summary["missing_orders_in_html"] == report.HTML_ORDER_LIMIT
    assert summary["dates"] == [f"2026-11-{d}" for d in range(16, 21)]
    assert summary["dates_without_oms_file"] == []
    # The operations' state: the OMS file of 2026-11-21 is missing past its cut-off (the POS
    # delivered the date), and the review items were found by this module's build.
    assert summary["escalations"] == 1
    assert summary["open_review_items"] > 0 and summary["review_items_past_target"] == 0

    csv_path = Path(summary["csv"])
    assert csv_path == tmp_path / "missing_orders_2026-11-16_2026-11-20.csv"
    rows = read_csv(csv_path)
    assert [(r["business_date"], r["order_id"]) for r in rows] == [(e[0], e[2]) for e in expected]
    assert len({r["order_id"] for r in rows}) == len(rows)

    page = Path(summary["html"]).read_text(encoding="utf-8")
    assert f"{totals[1]:,} of {totals[0]:,} POS orders from 2026-11-16 to 2026-11-20 reached the OMS;" in page
    section = missing_section(page)
    assert f"Showing the first {report.HTML_ORDER_LIMIT} of {len(expected):,} missing orders" in section
    shown = [e[2] for e in expected[: report.HTML_ORDER_LIMIT]]
    assert all(f'<span class="mono">{order_id}</span>' in section for order_id in shown)
    assert not any(f">{e[2]}<" in page for e in expected[report.HTML_ORDER_LIMIT :])
    assert section.count("<tr>") == report.HTML_ORDER_LIMIT + 1
    assert page.count('class="bar"') == 5  # one bar per date of the range
    operations = page[page.index('<section id="operations">') :]
    assert "no OMS file for 2026-11-21 by its cut-off (2026-11-22 06:00 UTC)" in operations
    assert f"{summary['open_review_items']:,}</td>" in operations and "within the 4-hour target" in operations
    # Nothing was sent from this database: the report says what is due and how to send it.
    assert summary["notifications_due"] > 0 and "Nothing has been sent yet." in operations
    assert f"{summary['notifications_due']} notifications are due" in operations and "make notify" in operations


def test_in_process_entry_point_and_quiet(recon_db, tmp_path, capsys):
    code = report.main(["--db", str(recon_db), "--out", str(tmp_path), "--date", "2026-11-18", "-q"])
    assert code == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "reconciliation_report_2026-11-18_2026-11-18.html").is_file()
    assert not list(tmp_path.glob("tmp_*")) and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--date", "2027-01-05"], 1, "no POS orders for 2027-01-05 (the database has POS orders from 2026-11-16"),
        (["--from", "2025-01-01", "--to", "2025-01-31"], 1, "no POS orders for 2025-01-01 to 2025-01-31"),
        (["--date", "2026-13-01"], 2, "--date '2026-13-01' is not a date: expected YYYY-MM-DD"),
        (["--date", "20261120"], 2, "--date '20261120' is not a date"),
        (["--from", "2026-11-20", "--to", "2026-11-16"], 2, "--from 2026-11-20 is after --to 2026-11-16"),
        (["--date", "2026-11-20", "--from", "2026-11-16"], 2, "either --date or --from/--to"),
        (["--as-of", "yesterday"], 2, "--as-of 'yesterday' is not a date"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(recon_db, tmp_path, args, code, message):
    out_dir = tmp_path / "out"
    got, out, err = run_report(recon_db, out_dir, *args)
    assert got == code
    assert out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_missing_database_and_unbuilt_marts(tmp_path):
    code, _, err = run_report(tmp_path / "nowhere.duckdb", tmp_path / "out")
    assert code == 2 and "does not exist" in err and err.count("\n") == 1

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    code, out, _ = run_report(empty, tmp_path / "out", "--json")
    assert code == 2
    answer = json.loads(out)
    assert answer["ok"] is False and answer["exit_code"] == 2
    assert "has no marts" in answer["error"] and "run `dbt build` first" in answer["error"]


def test_database_being_written(recon_db, tmp_path):
    copy = tmp_path / "busy.duckdb"
    shutil.copy2(recon_db, copy)
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = run_report(copy, tmp_path / "out", "--date", "2026-11-20")
    finally:
        holder.communicate("\n", timeout=30)
    assert code == 4 and "is being written by another process" in err


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-deps installs it)")
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("report_one_date", ["--date", "2026-11-20", "--as-of", AS_OF]),
        ("report_range", ["--from", "2026-11-16", "--to", EXTRA_DAY, "--as-of", AS_OF]),
    ],
)
def test_page_renders_in_a_browser(recon_db, tmp_path, name, args):
    code, out, err = run_report(recon_db, tmp_path, *args)
    assert code == 0, err
    html_path = Path(out.split("report:", 1)[1].split("\n", 1)[0].strip())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    command = [
        str(CHROMIUM),
        "--headless",
        *CHROMIUM_FLAGS,
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,2000",
        f"--screenshot={shot}",
        html_path.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert png_size(shot) == (1280, 2000)
    # Keep the page next to its picture, for whoever looks at it.
    shutil.copy2(html_path, SCREENSHOTS / f"{name}.html")


def test_dates_parse_strictly():
    assert report.parse_day("2026-11-20", "--date") == date(2026, 11, 20)
    with pytest.raises(report.ReportError, match="not a date"):
        report.parse_day("2026-11-20T00:00", "--date")
