"""Incremental builds give exactly what a full refresh gives, day after day, corrections included."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import changed_copy, execute, query

from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt

COMPARED = [
    "marts.fct_order_reconciliation",
    "marts.fct_oms_unmatched_orders",
    "marts.rpt_reconciliation_summary",
    "marts.fct_validation_errors",
    "marts.rpt_validation_rules",
    "marts.rpt_review_queue",
    "intermediate.int_validation_failures",
    "intermediate.int_pos_orders",
    "intermediate.int_pos_order_line_failures",
    "intermediate.int_oms_order_failures",
    "bookkeeping.build_key_index",
    "bookkeeping.build_key_counts",
    "intermediate.int_order_reconciliation",
    "intermediate.int_oms_unmatched_orders",
    "intermediate.int_reconciliation_daily",
    "intermediate.int_channel_order_lines",
    "intermediate.int_channel_orders",
    "intermediate.int_channel_order_line_failures",
    "intermediate.int_oms_channel_orders",
    "intermediate.int_channel_order_reconciliation",
    "marts.fct_channel_order_reconciliation",
    "marts.rpt_edi_acknowledgements",
]


# Columns that depend on when a build ran, not on the data: left out of the comparison.
BUILD_TIME_COLUMNS = {"marts.rpt_review_queue": "age_days"}

# The history compares only the findings of recomputed rows, yet its open findings must be
# exactly the error layer's, and the review queue must list exactly its business-rule findings.
OPEN_FINDINGS = """
    select source_system, source_file, source_line, load_id, order_id, rule_id, field_name, failed_value, message
    from intermediate.int_validation_error_history where resolved_at is null
"""
CURRENT_FINDINGS = """
    select source_system, source_file, source_line, load_id, order_id, rule_id, field_name, failed_value, message
    from intermediate.int_validation_failures
"""
BUSINESS_RULE_KEYS = "select error_key from intermediate.int_validation_error_history where category = 'business_rule'"
QUEUED_KEYS = "select error_key from marts.rpt_review_queue"
HISTORY_CHECKS = {
    "open, not current": f"select count(*) from ({OPEN_FINDINGS} except all {CURRENT_FINDINGS})",  # noqa: S608 - constants
    "current, not open": f"select count(*) from ({CURRENT_FINDINGS} except all {OPEN_FINDINGS})",  # noqa: S608 - constants
    "queued, not in history": f"select count(*) from ({QUEUED_KEYS} except all {BUSINESS_RULE_KEYS})",  # noqa: S608 - constants
    "in history, not queued": f"select count(*) from ({BUSINESS_RULE_KEYS} except all {QUEUED_KEYS})",  # noqa: S608 - constants
}


def build(dbt, db: Path, *args: str) -> None:
    result = dbt(db, "build", *args)
    assert result.returncode == 0, result.stdout[-4000:]


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int, int]]:
    """Per relation: (rows, rows only in the incremental result, rows only in the full refresh)."""
    con = duckdb.connect()
    con.execute("attach ? as inc (read_only)", [str(incremental)])
    con.execute("attach ? as ful (read_only)", [str(full)])
    found = {}
    for name in COMPARED:
        left_out = BUILD_TIME_COLUMNS.get(name)
        columns = f"* exclude ({left_out})" if left_out else "*"
        inc = f"(select {columns} from inc.{name})"  # noqa: S608 - our own table names
        ful = f"(select {columns} from ful.{name})"  # noqa: S608 - our own table names
        rows = con.execute(f"select count(*) from inc.{name}").fetchone()[0]  # noqa: S608 - our own table names
        only_inc = con.execute(f"select count(*) from (from {inc} except all from {ful})").fetchone()[0]  # noqa: S608
        only_full = con.execute(f"select count(*) from (from {ful} except all from {inc})").fetchone()[0]  # noqa: S608
        found[name] = (rows, only_inc, only_full)
    con.close()
    return found


def assert_equals_full_refresh(dbt, db: Path, tmp_path: Path, step: str) -> None:
    full = tmp_path / f"full_{step}.duckdb"
    shutil.copy(db, full)
    result = dbt(full, "run", "--full-refresh")
    assert result.returncode == 0, result.stdout[-4000:]
    diff = differences(db, full)
    assert all(only_inc == only_full == 0 for _, only_inc, only_full in diff.values()), (step, diff)
    assert diff["marts.fct_order_reconciliation"][0] > 0
    assert_history_holds_the_current_findings(db, step)


def assert_history_holds_the_current_findings(db: Path, step: str) -> None:
    found = {name: query(db, sql)[0][0] for name, sql in HISTORY_CHECKS.items()}
    assert found == dict.fromkeys(HISTORY_CHECKS, 0), (step, found)


def assert_scoped_tests_read_what_the_build_changed(dbt, db: Path, tmp_path: Path) -> None:
    """Primary-key and invariant tests read the last build's new deliveries and recomputed
    orders (an order table's: the recomputed business dates), so a daily build does not pay
    for history; check_all_history widens them."""
    # An order doubled onto a business date day 2's build did not recompute: outside the scope.
    tampered = changed_copy(
        db,
        tmp_path / "tampered.duckdb",
        "insert into intermediate.int_order_reconciliation select * replace (date '2026-11-10' as business_date) "
        "from intermediate.int_order_reconciliation where business_date = '2026-11-16' limit 1",
    )
    selected = ("--select", "fct_order_reconciliation,test_name:primary_key", "every_pos_order_is_reconciled_once")
    assert dbt(tampered, "test", *selected).returncode == 0
    full = dbt(tampered, "test", *selected, "--vars", "{check_all_history: true}")
    assert full.returncode == 1, full.stdout[-3000:]
    assert "FAIL 1 primary_key_fct_order_reconciliation_" in full.stdout
    assert "FAIL 1 every_pos_order_is_reconciled_once" in full.stdout
    # A doubled order of day 2 is in scope: the daily tests catch it.
    execute(
        tampered,
        "insert into intermediate.int_order_reconciliation select * from intermediate.int_order_reconciliation "
        "where business_date = '2026-11-17' limit 1",
    )
    daily = dbt(tampered, "test", *selected)
    assert daily.returncode == 1
    assert "FAIL 1 primary_key_fct_order_reconciliation_" in daily.stdout
    # The summary invariant reads the recounted dates: a summary row for a date no build
    # recounted since is left to check_all_history; one for day 2 fails the daily test.
    summary = ("--select", "summary_adds_up_to_the_reconciliation")
    off = changed_copy(
        db,
        tmp_path / "summary_off.duckdb",
        "insert into marts.rpt_reconciliation_summary select * replace (date '2026-11-10' as business_date) "
        "from marts.rpt_reconciliation_summary where business_date = '2026-11-17'",
    )
    assert dbt(off, "test", *summary).returncode == 0
    assert dbt(off, "test", *summary, "--vars", "{check_all_history: true}").returncode == 1
    execute(
        off,
        "update marts.rpt_reconciliation_summary set matched_orders = matched_orders + 1 "
        "where business_date = '2026-11-17'",
    )
    recounted = dbt(off, "test", *summary)
    assert recounted.returncode == 1, recounted.stdout[-3000:]
    assert "FAIL 1 summary_adds_up_to_the_reconciliation" in recounted.stdout
    # The same key test fails on a null key (int_pos_orders has no not-null constraint).
    nulled = changed_copy(
        db,
        tmp_path / "nulled.duckdb",
        "update intermediate.int_pos_orders set order_key = null where order_key = "
        "(select min(order_key) from intermediate.int_pos_orders where business_date = '2026-11-17')",
    )
    keyed = dbt(nulled, "test", "--select", "int_pos_orders,test_name:primary_key")
    assert keyed.returncode == 1, keyed.stdout[-3000:]
    assert "FAIL 1 primary_key_int_pos_orders_" in keyed.stdout


def generated_drop(tmp_path: Path, **options: int) -> tuple[Path, Path]:
    """A generated drop (the source of the days to deliver) and a drop that holds its
    reference snapshots only; copy_day delivers a day into it."""
    source = tmp_path / "generated"
    generate(source, extras=False, **options)
    drop = tmp_path / "drop"
    shutil.copytree(source / "reference", drop / "reference")
    return source, drop


def copy_day(source: Path, drop: Path, stamp: str) -> None:
    """Delivers a business date's files: POS, OMS and those of every channel generated."""
    for kind in ("pos", "oms", "web", "edi", "api", "manual"):
        for path in sorted((source / kind).glob(f"*_{stamp}*")):
            target = drop / kind / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def test_incremental_equals_full_refresh_through_late_files_and_corrections(tmp_path, ingest, db_path, dbt):
    source, drop = generated_drop(
        tmp_path, days=3, orders_per_day=150, seed=5, web_orders=12, edi_orders=8, api_orders=4, manual_orders=3
    )

    # Day 1, then day 2 (its OMS file carries day 1's late orders).
    copy_day(source, drop, "20261116")
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    day1_missing = query(db_path, "select count(*) from marts.fct_order_reconciliation where recon_status <> 'matched'")
    copy_day(source, drop, "20261117")
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    assert query(db_path, "select count(*) from marts.fct_order_reconciliation where is_late_match")[0][0] > 0
    after = query(
        db_path,
        "select count(*) from marts.fct_order_reconciliation "
        "where business_date = '2026-11-16' and recon_status <> 'matched'",
    )
    assert after[0][0] < day1_missing[0][0]
    assert_equals_full_refresh(dbt, db_path, tmp_path, "late")
    assert_scoped_tests_read_what_the_build_changed(dbt, db_path, tmp_path)

    # A build with nothing new recomputes nothing and changes nothing.
    before = tmp_path / "before_idle.duckdb"
    shutil.copy(db_path, before)
    build(dbt, db_path)
    assert query(db_path, "select count(*) from bookkeeping.build_changed_deliveries") == [(0,)]
    idle = differences(db_path, before)
    assert all(only_a == only_b == 0 for _, only_a, only_b in idle.values()), idle

    # Corrections: day 1's POS file loses its first order and gets a bad price on another;
    # day 2's OMS file loses a row that matched a day-1 order and gains a duplicate.
    pos_path = drop / "pos" / "pos_orders_20261116.csv"
    pos_lines = pos_path.read_text().splitlines()
    first_order = pos_lines[1].split(",")[0]
    kept = [pos_lines[0]] + [line for line in pos_lines[1:] if not line.startswith(first_order + ",")]
    cells = kept[5].split(",")
    cells[10] = '"12,34"'
    kept[5] = ",".join(cells)
    pos_path.write_text("\n".join(kept) + "\n")
    oms_path = drop / "oms" / "oms_orders_20261117.csv"
    oms_lines = oms_path.read_text().splitlines()
    late_row = next(line for line in oms_lines[1:] if ",POS," in line and "-0000" in line.split(",")[2])
    removed_key = late_row.split(",")[2].strip().upper()
    duplicate = oms_lines[1].replace("OMS-", "OMS-DUP-", 1)
    # ... and the OMS row of a web order, while day 1's manual file loses its first order.
    web_row = next(line for line in oms_lines[1:] if line.split(",")[1] == "WEB")
    web_key = web_row.split(",")[2]
    removed = {late_row, web_row}
    oms_path.write_text("\n".join([line for line in oms_lines if line not in removed] + [duplicate]) + "\n")
    manual_path = drop / "manual" / "manual_orders_20261116.csv"
    manual_lines = manual_path.read_text().splitlines()
    manual_order = manual_lines[1].split(",")[0]
    manual_path.write_text("\n".join(line for line in manual_lines if not line.startswith(manual_order + ",")) + "\n")
    channel_status = "select order_id, recon_status from marts.fct_channel_order_reconciliation where channel = ?"
    assert dict(query(db_path, channel_status, ["WEB"]))[web_key] == "matched"
    assert manual_order in dict(query(db_path, channel_status, ["MANUAL"]))
    code, out = ingest(drop)
    assert code == 0 and sum(line.startswith("correction") for line in out.splitlines()) == 3, out
    build(dbt, db_path)
    orders = dict(query(db_path, "select order_id, recon_status from marts.fct_order_reconciliation"))
    assert first_order.upper() not in orders
    assert removed_key in orders
    assert dict(query(db_path, channel_status, ["WEB"]))[web_key] == "missing_in_oms"
    assert manual_order not in dict(query(db_path, channel_status, ["MANUAL"]))
    assert_equals_full_refresh(dbt, db_path, tmp_path, "corrections")


def test_rejected_correction_and_a_new_reference_snapshot(tmp_path, ingest, db_path, dbt):
    source, drop = generated_drop(tmp_path, days=2, orders_per_day=100, seed=9)
    copy_day(source, drop, "20261116")
    copy_day(source, drop, "20261117")
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    # A broken correction is rejected: the previous version stays current, the rejection is reported.
    pos_path = drop / "pos" / "pos_orders_20261117.csv"
    pos_path.write_text(pos_path.read_text() + "broken,line\n")
    assert ingest(drop)[0] == 1
    # A new store snapshot deactivates a store: every line of it now fails a reference check.
    stores = drop / "reference" / "stores.csv"
    stores.write_text(stores.read_text().replace("S002,Airport,true", "S002,Airport,false"))
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    rejected = query(db_path, "select count(*) from marts.fct_validation_errors where rule_id = 'file_rejected'")
    assert rejected == [(1,)]
    inactive = query(db_path, "select count(*) from marts.fct_validation_errors where rule_id = 'pos_store_active'")
    assert inactive[0][0] > 0
    assert_equals_full_refresh(dbt, db_path, tmp_path, "reference")


def test_a_partial_run_and_findings_in_unchanged_files(tmp_path, ingest, db_path, dbt):
    """Only a build in which every incremental model succeeded records the deliveries as
    reflected: after `dbt run --select` of part of the graph, the next build still recomputes
    the new deliveries. Day 2 repeats a line of day 1 and an OMS order of day 1, so findings
    of the unchanged day-1 files change (an order and an OMS order id in several files); a
    correction of day 2 resolves them."""
    source, drop = generated_drop(tmp_path, days=2, orders_per_day=60, seed=11)
    copy_day(source, drop, "20261116")
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    reflected = "select count(*) from audit.reflected_loads where file_kind in ('pos_orders', 'oms_orders')"
    assert query(db_path, reflected) == [(2,)]

    copy_day(source, drop, "20261117")
    pos2_path, oms2_path = drop / "pos" / "pos_orders_20261117.csv", drop / "oms" / "oms_orders_20261117.csv"
    pos2, oms2 = pos2_path.read_text(), oms2_path.read_text()
    pos2_path.write_text(pos2 + (drop / "pos" / "pos_orders_20261116.csv").read_text().splitlines()[3] + "\n")
    oms2_path.write_text(oms2 + (drop / "oms" / "oms_orders_20261116.csv").read_text().splitlines()[1] + "\n")
    assert ingest(drop)[0] == 0
    partial = dbt(db_path, "run", "--select", "+int_pos_order_line_failures")
    assert partial.returncode == 0, partial.stdout[-3000:]
    assert query(db_path, reflected) == [(2,)]
    build(dbt, db_path)
    assert query(db_path, reflected) == [(4,)]
    several = (
        "select distinct source_file, rule_id, resolved_at is null from intermediate.int_validation_error_history "
        "where rule_id in ('pos_order_in_several_files', 'oms_order_id_in_several_files') "
        "and source_file in ('pos/pos_orders_20261116.csv', 'oms/oms_orders_20261116.csv') order by all"
    )
    assert query(db_path, several) == [
        ("oms/oms_orders_20261116.csv", "oms_order_id_in_several_files", True),
        ("pos/pos_orders_20261116.csv", "pos_order_in_several_files", True),
    ]
    assert_equals_full_refresh(dbt, db_path, tmp_path, "repeats after a partial run")

    pos2_path.write_text(pos2)
    oms2_path.write_text(oms2)
    assert ingest(drop)[0] == 0
    build(dbt, db_path)
    assert query(db_path, several) == [
        ("oms/oms_orders_20261116.csv", "oms_order_id_in_several_files", False),
        ("pos/pos_orders_20261116.csv", "pos_order_in_several_files", False),
    ]
    assert_equals_full_refresh(dbt, db_path, tmp_path, "repeats corrected")


def test_the_comparison_sees_a_difference(tmp_path, ingest, db_path, dbt):
    """The equality check above is only worth something if it notices a changed row."""
    source = tmp_path / "generated"
    generate(source, days=1, orders_per_day=50, seed=3, extras=False)
    assert ingest(source)[0] == 0
    build(dbt, db_path)
    other = changed_copy(
        db_path,
        tmp_path / "other.duckdb",
        "update intermediate.int_order_reconciliation set is_late_match = not is_late_match where order_id = "
        "(select min(order_id) from intermediate.int_order_reconciliation)",
    )
    diff = differences(db_path, other)
    assert diff["marts.fct_order_reconciliation"][1:] == (1, 1)
    assert diff["marts.rpt_reconciliation_summary"][1:] == (0, 0)
