"""After a retention purge: later files that repeat or correct purged dates, a full refresh, and
matches by OMS rows without an OMS order id."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import oms_file, pos_file, query, write_files

from loaders.cli import main as loader_main
from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt

ORDERS = "marts.fct_order_reconciliation"
OPEN_FINDINGS = """
    select source_file, source_line, load_id, order_id, rule_id, field_name, failed_value
    from intermediate.int_validation_error_history where resolved_at is null
"""
CURRENT_FINDINGS = """
    select source_file, source_line, load_id, order_id, rule_id, field_name, failed_value
    from marts.fct_validation_errors
"""


def build(dbt, db: Path, *args: str) -> str:
    result = dbt(db, "build", *args)
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


def purge(db: Path, before: str) -> None:
    assert loader_main(["purge", "--db", str(db), "--before", before]) == 0


def pos_line(order_id: str, day: str = "2026-11-20", total: str = "4.50") -> str:
    return f"{order_id},S001,R1,{day},{day}T09:00:00,,USD,1,SKU-100,1,{total},,{total},{total}"


def oms_line(oms_order_id: str, order_id: str, day: str = "2026-11-20", total: str = "4.50") -> str:
    return f"{oms_order_id},POS,{order_id},S001,,CREATED,{total},USD,{day}T10:00:00"


RESULT = "business_date, recon_status, oms_order_id, oms_match_count, is_late_match, oms_source_file"


def order(db: Path, order_id: str, columns: str = RESULT) -> dict[str, object] | None:
    rows = query(db, f"select {columns} from {ORDERS} where order_id = ?", [order_id])  # noqa: S608 - constants
    assert len(rows) <= 1, rows
    return dict(zip(columns.split(", "), rows[0], strict=True)) if rows else None


def rewrite_pos_file(path: Path, keep, extra_lines: list[list[str]]) -> None:
    """Write a POS file again (a correction): its lines that keep(order_id) accepts, then extra_lines."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    kept = [rows[0], *(row for row in rows[1:] if keep(row[0])), *extra_lines]
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)


def test_a_repeated_or_corrected_purged_date_keeps_builds_passing_and_the_marts_true(tmp_path, ingest, db_path, dbt):
    drop = tmp_path / "drop"
    generate(drop, days=3, orders_per_day=200, seed=7, extras=False)
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    day1 = drop / "pos" / "pos_orders_20261116.csv"
    with day1.open(newline="") as handle:
        first_line = next(row for row in list(csv.reader(handle))[1:])
    repeated = first_line[0]
    before = order(db_path, repeated)
    late = query(
        db_path,
        f"select min(order_id) from {ORDERS} where business_date = '2026-11-16' and is_late_match",  # noqa: S608
    )[0][0]
    # a day-1 order the day-1 OMS file alone matched, twice: only the purged file knew it
    kept = query(
        db_path,
        f"select min(order_id) from {ORDERS} where business_date = '2026-11-16' and oms_match_count > 1 "  # noqa: S608
        "and oms_business_date = '2026-11-16' and not is_late_match and order_id <> ?",
        [repeated],
    )[0][0]
    kept_before = order(db_path, kept)
    # an OMS row of day 1 that claims an order no POS file has
    ghost = query(
        db_path,
        "select min(source_order_key) from marts.fct_oms_unmatched_orders where business_date = '2026-11-16'",
    )[0][0]
    assert late and kept and ghost and before["recon_status"] == "matched"
    purge(db_path, "2026-11-17")

    # Day 4 repeats a line of day 1 under its own date: the order stays day 1's, reconciled once.
    # It also brings the order the purged day-1 OMS row claimed: that row matches it.
    repeat_line = [value.replace("2026-11-16", "2026-11-19") for value in first_line]
    write_files(
        drop,
        {
            "pos/pos_orders_20261119.csv": pos_file(
                ",".join(repeat_line), ",".join([ghost, *repeat_line[1:]]), header=day1.read_text().splitlines()[0]
            )
        },
    )
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    assert order(db_path, repeated) == before
    assert query(db_path, f"select count(*) from {ORDERS} where order_id = ?", [repeated]) == [(1,)]  # noqa: S608
    found = order(db_path, ghost)
    assert (found["recon_status"], found["oms_source_file"]) == ("matched", "oms/oms_orders_20261116.csv")
    unmatched = "select count(*) from marts.fct_oms_unmatched_orders where source_order_key = ?"
    assert query(db_path, unmatched, [ghost]) == [(0,)]

    # A correction of day 1: two orders go (one the day-2 OMS file matched late), one comes.
    gone = {late, repeated}
    new_line = [f"NEW-{first_line[0]}", *first_line[1:]]
    rewrite_pos_file(day1, lambda order_id: order_id not in gone, [new_line])
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    assert order(db_path, late) is None
    # the repeated order now comes from day 4 only: dated by it, matched by day 1's kept OMS row
    assert order(db_path, repeated) == {**before, "business_date": before["business_date"].replace(day=19)}
    # its day-2 OMS row now claims an order no POS file has
    assert query(db_path, unmatched, [late])[0][0] >= 1
    # an order the correction keeps keeps the OMS matches the purged OMS file gave it
    assert order(db_path, kept) == kept_before
    assert order(db_path, new_line[0])["recon_status"] == "missing_in_oms"
    assert query(
        db_path,
        "select pos_orders from marts.rpt_reconciliation_summary where business_date = '2026-11-16'",
    ) == [(199,)]
    checked = dbt(
        db_path,
        "test",
        "--select",
        "every_pos_order_is_reconciled_once",
        "summary_adds_up_to_the_reconciliation",
        "--vars",
        "{check_all_history: true}",
    )
    assert checked.returncode == 0, checked.stdout[-3000:]


def test_full_refresh_after_a_purge_refuses_unless_forced(tmp_path, ingest, db_path, dbt):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261118.csv": pos_file(
                pos_line("P-1", "2026-11-18"), pos_line("P-2", "2026-11-18", total="x")
            ),
            "pos/pos_orders_20261120.csv": pos_file(pos_line("P-3")),
            "oms/oms_orders_20261118.csv": oms_file(oms_line("OMS-1", "P-1", "2026-11-18")),
            "oms/oms_orders_20261121.csv": oms_file(oms_line("OMS-2", "P-2", "2026-11-21"), oms_line("OMS-3", "P-3")),
        },
    )
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    purge(db_path, "2026-11-19")
    kept = query(db_path, f"select * from {ORDERS} order by order_id")  # noqa: S608 - constants
    findings = query(db_path, "select count(*) from marts.fct_validation_errors where order_id = 'P-2'")[0][0]
    assert findings > 0

    refused = dbt(db_path, "build", "--full-refresh")
    assert refused.returncode != 0
    message = refused.stdout + refused.stderr
    assert "--full-refresh would drop results whose raw rows a retention purge removed" in message
    assert f"2026-11-18: 2 orders, {findings} findings" in message
    assert "allow_full_refresh_after_purge: true" in message
    assert query(db_path, f"select * from {ORDERS} order by order_id") == kept  # noqa: S608 - constants

    # Forced: the raw layer's view only, and the error history agrees with the error layer.
    build(dbt, db_path, "--full-refresh", "--vars", "{allow_full_refresh_after_purge: true}")
    assert query(db_path, f"select order_id from {ORDERS} order by 1") == [("P-3",)]  # noqa: S608 - constants
    assert query(db_path, f"select count(*) from ({OPEN_FINDINGS} except all {CURRENT_FINDINGS})") == [(0,)]  # noqa: S608
    assert query(db_path, f"select count(*) from ({CURRENT_FINDINGS} except all {OPEN_FINDINGS})") == [(0,)]  # noqa: S608
    resolved = query(
        db_path,
        "select resolution, count(*) from intermediate.int_validation_error_history where order_id = 'P-2' group by 1",
    )
    assert resolved == [("raw rows purged: dropped by a full refresh (allow_full_refresh_after_purge)", findings)]
    # Nothing purged is kept any more: a plain full refresh runs.
    build(dbt, db_path, "--full-refresh")


def test_a_match_by_an_oms_row_without_an_id_names_that_row(tmp_path, ingest, db_path, dbt):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(pos_line("A-1"), pos_line("B-1"), pos_line("C-1")),
            "oms/oms_orders_20261120.csv": oms_file(oms_line("", "A-1"), oms_line(" ", "B-1")),
            "oms/oms_orders_20261121.csv": oms_file(oms_line("OMS-7", "B-1", "2026-11-21")),
        },
    )
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    first_oms = "oms/oms_orders_20261120.csv"
    # Matched by its only OMS row, which has no id: the row is named by file and line.
    a1 = order(db_path, "A-1")
    assert (a1["recon_status"], a1["oms_order_id"], a1["oms_match_count"]) == ("matched", None, 1)
    # An OMS order with an id names the match, though a row without one came a day earlier.
    b1 = order(db_path, "B-1")
    assert (b1["oms_order_id"], b1["oms_source_file"]) == ("OMS-7", "oms/oms_orders_20261121.csv")
    assert (b1["oms_match_count"], b1["is_late_match"]) == (2, False)
    lines = dict(query(db_path, f"select order_id, oms_source_line from {ORDERS}"))  # noqa: S608 - constants
    assert (a1["oms_source_file"], lines["A-1"]) == (first_oms, 2)
    assert lines["B-1"] == 2
    assert query(
        db_path,
        "select source_line from marts.fct_validation_errors where rule_id = 'oms_order_id_required' "
        "and source_file = ? order by 1",
        [first_oms],
    ) == [(2,), (3,)]
    c1 = order(db_path, "C-1")
    assert (c1["recon_status"], c1["oms_source_file"], lines["C-1"]) == ("missing_in_oms", None, None)
