"""dbt build on fixture drops: the marts say exactly what the contract says they should."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import (
    FIXTURES,
    PROJECT_ROOT,
    changed_copy,
    copy_project,
    dbt_command,
    execute,
    oms_file,
    pos_file,
    query,
    query_dicts,
    write_files,
)

from loaders.cli import main as loader_main
from loaders.database import SCHEMA_NAMES, ensure_raw_layer, open_database
from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt


def ensure_raw_layer_of(db: Path) -> None:
    """The raw layer as the loader makes it, with nothing loaded."""
    con = open_database(db)
    try:
        ensure_raw_layer(con)
    finally:
        con.close()


def build_ok(dbt, db: Path, **kwargs) -> str:
    result = dbt(db, "build", **kwargs)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout


def unit_test_count() -> int:
    """The unit tests the project defines (in the models' YAML files)."""
    return sum(
        len(yaml.safe_load(path.read_text()).get("unit_tests") or [])
        for path in (PROJECT_ROOT / "models").rglob("*.yml")
    )


def recon(db: Path) -> dict[str, dict[str, object]]:
    rows = query_dicts(db, "select * from marts.fct_order_reconciliation")
    return {row["order_id"]: row for row in rows}


def errors_by_line(db: Path, source_file: str) -> dict[int | None, set[str]]:
    found: dict[int | None, set[str]] = {}
    for line, rule in query(
        db, "select source_line, rule_id from marts.fct_validation_errors where source_file = ?", [source_file]
    ):
        found.setdefault(line, set()).add(rule)
    return found


def test_contract_example_then_a_late_oms_file(tmp_path, ingest, db_path, dbt):
    drop = tmp_path / "drop"
    write_files(
        drop,
        {
            str(p.relative_to(FIXTURES / "drops" / "contract_example")): p.read_bytes()
            for p in (FIXTURES / "drops" / "contract_example").rglob("*.csv")
        },
    )
    assert ingest(drop)[0] == 0
    # A developer's plain `dbt build` runs the unit tests too (the daily job leaves them out).
    output = build_ok(dbt, db_path, unit_tests=True)
    finished = next(line for line in output.splitlines() if "Finished running" in line)
    assert f" {unit_test_count()} unit tests" in finished, finished
    # The loader refuses a database file named like a schema; its list is every schema a build makes.
    schemas = query(db_path, "select schema_name from duckdb_schemas() where database_name = current_database()")
    assert {name for (name,) in schemas} - {"main"} == set(SCHEMA_NAMES)

    orders = recon(db_path)
    assert {k: v["recon_status"] for k, v in orders.items()} == {
        "S001-0000101": "matched",
        "S001-0000102": "missing_in_oms",
        "S002-0000007": "matched",
        "S002-0000008": "missing_in_oms",
    }
    assert orders["S001-0000101"]["oms_order_id"] == "OMS-500001"
    assert orders["S001-0000101"]["pos_order_total"] == Decimal("21.49")
    assert orders["S001-0000101"]["oms_match_count"] == 1
    assert orders["S001-0000102"]["oms_order_id"] is None
    assert orders["S001-0000102"]["oms_match_count"] == 0
    assert not any(
        o["is_late_match"] or o["has_amount_mismatch"] or o["has_validation_errors"] for o in orders.values()
    )
    assert str(orders["S002-0000007"]["ordered_at"]) == "2026-11-20 11:30:00"
    # Aging is measured at the end of the OMS's latest business date: the missing orders of
    # 2026-11-20 are within the 1-day grace window until the OMS reports 2026-11-21.
    missing = orders["S001-0000102"]
    assert str(missing["missing_since"]) == "2026-11-20 10:02:44"
    assert missing["missing_age_days"] == Decimal("0.58")
    assert missing["is_within_grace"] is True and orders["S002-0000008"]["is_within_grace"] is True
    assert orders["S001-0000101"]["match_method"] == "exact"
    assert (orders["S001-0000101"]["missing_since"], orders["S001-0000101"]["is_within_grace"]) == (None, False)

    unmatched = query(db_path, "select oms_order_id, source_order_id from marts.fct_oms_unmatched_orders")
    assert unmatched == [("OMS-500004", "S009-0000001")]
    summary = query_dicts(db_path, "select * from marts.rpt_reconciliation_summary")
    assert len(summary) == 1
    assert summary[0]["pos_orders"] == 4 and summary[0]["matched_orders"] == 2 and summary[0]["missing_orders"] == 2
    assert summary[0]["match_rate"] == Decimal("0.5000")
    assert summary[0]["oms_unmatched_orders"] == 1
    assert summary[0]["missing_within_grace"] == 2
    assert query(db_path, "select count(*) from marts.fct_validation_errors") == [(0,)]

    # The next day's OMS file brings S002-0000008: a late match, not a missing order, but
    # under another store and currency than the POS rang it up with.
    write_files(
        drop,
        {
            "oms/oms_orders_20261121.csv": oms_file(
                "OMS-500010,POS,S002-0000008,S003,C2003,CREATED,12.99,eur,2026-11-21T00:02:00"
            )
        },
    )
    assert ingest(drop)[0] == 0
    build_ok(dbt, db_path)
    orders = recon(db_path)
    late = orders["S002-0000008"]
    assert (late["recon_status"], late["is_late_match"], late["oms_order_id"]) == ("matched", True, "OMS-500010")
    assert str(late["oms_business_date"]) == "2026-11-21"
    assert orders["S001-0000101"]["is_late_match"] is False
    assert (late["has_store_mismatch"], late["has_currency_mismatch"], late["has_amount_mismatch"]) == (
        True,
        True,
        False,
    )
    assert (late["oms_store_id"], late["oms_currency"]) == ("S003", "eur")
    assert not orders["S002-0000007"]["has_store_mismatch"] and not orders["S002-0000007"]["has_currency_mismatch"]
    # The OMS has now reported 2026-11-21: S001-0000102 is past its grace window.
    assert orders["S001-0000102"]["missing_age_days"] == Decimal("1.58")
    assert orders["S001-0000102"]["is_within_grace"] is False
    summary = {
        str(r["business_date"]): r for r in query_dicts(db_path, "select * from marts.rpt_reconciliation_summary")
    }
    assert summary["2026-11-20"]["matched_orders"] == 3 and summary["2026-11-20"]["late_matches"] == 1
    assert summary["2026-11-20"]["missing_within_grace"] == 0
    assert (summary["2026-11-20"]["store_mismatches"], summary["2026-11-20"]["currency_mismatches"]) == (1, 1)
    assert summary["2026-11-21"]["pos_orders"] == 0 and summary["2026-11-21"]["match_rate"] is None
    assert summary["2026-11-21"]["has_pos_file"] is False and summary["2026-11-21"]["has_oms_file"] is True


RICH_POS = pos_file(
    # line 2-3: a clean two-line order, found in the OMS under a lower-case, padded key
    "B-1,S001,R1,2026-11-20,2026-11-20T09:00:00+02:00,C1,USD,1,SKU-100,2,4.50,0.00,9.00,21.49",
    "B-1,S001,R1,2026-11-20,2026-11-20T09:00:00+02:00,C1,USD,2,SKU-200,1,12.99,0.50,12.49,21.49",
    # line 4: bad price and a wrong line total: errors, but the order is still reconciled
    'B-2,S001,R1,2026-11-20,2026-11-20T09:10:00.123Z,,USD,1,SKU-100,1,"4,50",,4.60,4.60',
    # line 5: no order number: cannot be reconciled, goes to the error layer
    " ,S001,R1,2026-11-20,2026-11-20T09:20:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # lines 6-7: the same line number twice
    "B-3,S001,R1,2026-11-20,2026-11-20T09:30:00,,USD,1,SKU-100,1,4.50,,4.50,9.00",
    "B-3,S001,R1,2026-11-20,2026-11-20T09:30:00,,USD,1,SKU-200,1,4.50,,4.50,9.00",
    # line 8: business date differs from the file's
    "B-4,S001,R1,2026-11-19,2026-11-20T09:40:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # line 9: unknown store and an inactive SKU
    "B-5,S777,R1,2026-11-20,2026-11-20T09:50:00,,USD,1,SKU-900,1,4.50,,4.50,4.50",
    # line 10: leading zeros are significant: 000123 is not 123
    "000123,S001,R1,2026-11-20,2026-11-20T10:00:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # line 11: duplicated in the OMS
    "B-6,S001,R1,2026-11-20,2026-11-20T10:10:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # lines 12-13: amount differences of 0.02 and exactly 0.01
    "B-7,S001,R1,2026-11-20,2026-11-20T10:20:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    "B-8,S001,R1,2026-11-20,2026-11-20T10:30:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # line 14: only a WEB order carries this number: missing
    "B-9,S001,R1,2026-11-20,2026-11-20T10:40:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    # line 15: a cancelled OMS order still proves presence
    "B-10,S001,R1,2026-11-20,2026-11-20T10:50:00,,usd,1,SKU-100,1,4.50,,4.50,4.50",
    # lines 16-17: order total differs between lines
    "B-11,S001,R1,2026-11-20,2026-11-20T11:00:00,,USD,1,SKU-100,1,4.50,,4.50,9.00",
    "B-11,S001,R1,2026-11-20,2026-11-20T11:00:00,,USD,2,SKU-100,1,4.50,,4.50,9.10",
    # line 18: bad timestamp, negative quantity, discount larger than the line (a warning)
    "B-12,S001,R1,2026-11-20,2026-11-20 11:10,,USD,1,SKU-100,-1,4.50,9.00,-13.50,-13.50",
)

RICH_OMS = oms_file(
    "OMS-1, POS , b-1 ,S001,C1,CREATED,21.49,USD,2026-11-20T09:00:05",  # line 2
    "OMS-2,POS,B-2,S001,,RELEASED,4.60,USD,2026-11-20T09:10:05",  # line 3
    "OMS-3,POS,123,S001,,CREATED,4.50,USD,2026-11-20T10:00:05",  # line 4: matches no POS order
    "OMS-4,POS,B-6,S001,,CREATED,4.50,USD,2026-11-20T10:10:05",  # line 5
    "OMS-5,POS,B-6,S001,,CREATED,4.50,USD,2026-11-20T10:10:06",  # line 6: duplicate in the OMS
    "OMS-6,POS,B-7,S001,,CREATED,4.52,USD,2026-11-20T10:20:05",  # line 7
    "OMS-7,POS,B-8,S001,,CREATED,4.49,USD,2026-11-20T10:30:05",  # line 8
    "OMS-8,WEB,B-9,,,CREATED,4.50,USD,2026-11-20T10:40:05",  # line 9: another channel
    "OMS-9,pos,B-10,S001,,Cancelled,4.50,USD,2026-11-20T10:50:05",  # line 10
    ",POS,B-3,S001,,LOST,4.50,USD,2026-11-20T11:00:05",  # line 11: no id, unknown status
    "OMS-9,POS,,,,CREATED,x,EURO,yesterday",  # line 12: duplicate id, POS without source order
)

STORES = "store_id,store_name,is_active\nS001,Downtown,true\nS002,Airport,maybe\nS001,Downtown again,true\n"
PRODUCTS = "sku,product_name,is_active\nSKU-100,Beans,true\nSKU-200,Press,TRUE\nSKU-900,Mug,false\n"


def test_rich_drop_every_rule_case_and_a_correction(tmp_path, ingest, db_path, dbt):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": RICH_POS,
            "oms/oms_orders_20261120.csv": RICH_OMS,
            "reference/stores.csv": STORES,
            "reference/products.csv": PRODUCTS,
        },
    )
    assert ingest(drop)[0] == 0
    build_ok(dbt, db_path)
    orders = recon(db_path)

    assert "" not in orders and None not in orders
    assert set(orders) == {
        "B-1",
        "B-2",
        "B-3",
        "B-4",
        "B-5",
        "000123",
        "B-6",
        "B-7",
        "B-8",
        "B-9",
        "B-10",
        "B-11",
        "B-12",
    }
    status = {k: v["recon_status"] for k, v in orders.items()}
    assert status["B-1"] == "matched" and orders["B-1"]["oms_order_id"] == "OMS-1"
    # " b-1 " in the OMS matched B-1 only after trimming and upper-casing.
    assert (orders["B-1"]["match_method"], orders["B-2"]["match_method"]) == ("normalized", "exact")
    assert orders["B-9"]["match_method"] is None
    # "usd" and "USD" are the same currency; the POS's lower case is a format finding only.
    assert orders["B-10"]["has_currency_mismatch"] is False
    assert status["B-2"] == "matched" and orders["B-2"]["has_validation_errors"] is True
    assert status["000123"] == "missing_in_oms"
    assert status["B-9"] == "missing_in_oms"
    assert status["B-10"] == "matched" and orders["B-10"]["oms_order_status"] == "CANCELLED"
    assert orders["B-6"]["oms_match_count"] == 2
    assert orders["B-7"]["has_amount_mismatch"] is True
    assert orders["B-8"]["has_amount_mismatch"] is False
    assert orders["B-1"]["has_validation_errors"] is False
    assert str(orders["B-1"]["ordered_at"]) == "2026-11-20 07:00:00"
    # B-3's OMS row has no oms_order_id: it still proves presence.
    assert status["B-3"] == "matched" and orders["B-3"]["oms_order_id"] is None

    pos = errors_by_line(db_path, "pos/pos_orders_20261120.csv")
    assert 2 not in pos and 3 not in pos
    assert pos[4] == {"pos_unit_price_format"}  # line_total is not checked against an unreadable price
    assert pos[5] == {"pos_order_id_required"}
    assert pos[6] == pos[7] == {"pos_line_number_unique"}
    assert pos[8] == {"pos_business_date_matches_file"}
    assert pos[9] == {"pos_store_known", "pos_sku_active"}
    assert pos[15] == {"pos_currency_format"}
    assert pos[16] == pos[17] == {"pos_order_total_consistent"}
    assert pos[18] == {
        "pos_order_ts_format",
        "pos_quantity_range",
        "pos_discount_exceeds_gross",
        "pos_order_total_minimum",
    }
    for line in (10, 11, 12, 13, 14):
        assert line not in pos

    oms = errors_by_line(db_path, "oms/oms_orders_20261120.csv")
    assert set(oms) == {10, 11, 12}
    assert oms[10] == {"oms_order_id_unique"}
    assert oms[11] == {"oms_order_id_required", "oms_order_status_known"}
    assert oms[12] == {
        "oms_order_id_unique",
        "oms_source_order_id_required",
        "oms_store_id_required",
        "oms_order_total_format",
        "oms_currency_format",
        "oms_created_at_format",
    }
    ref = errors_by_line(db_path, "reference/stores.csv")
    assert ref == {2: {"ref_store_id_unique"}, 3: {"ref_store_is_active_format"}, 4: {"ref_store_id_unique"}}

    row = query_dicts(
        db_path,
        "select * from marts.fct_validation_errors where source_line = 4 and rule_id = 'pos_unit_price_format'",
    )[0]
    assert row["failed_value"] == "4,50"
    assert row["category"] == "format" and row["severity"] == "error" and row["source_system"] == "POS"
    assert row["order_id"] == "B-2"
    assert "4,50" in row["message"]
    warn = query_dicts(
        db_path, "select * from marts.fct_validation_errors where rule_id = 'pos_discount_exceeds_gross'"
    )
    assert warn[0]["severity"] == "warn" and warn[0]["category"] == "business_rule"

    unmatched = {
        r[0]: r[1] for r in query(db_path, "select source_line, oms_order_id from marts.fct_oms_unmatched_orders")
    }
    assert unmatched == {4: "OMS-3", 12: "OMS-9"}

    validated = {r[0] for r in query(db_path, "select source_line from intermediate.int_pos_order_lines_validated")}
    assert validated == {2, 3, 10, 11, 12, 13, 14}

    # A corrected POS file arrives: B-2 fixed, the line without an order number dropped by the sender.
    fixed = RICH_POS.replace('"4,50",,4.60,4.60', "4.60,,4.60,4.60").replace(
        " ,S001,R1,2026-11-20,2026-11-20T09:20:00,,USD,1,SKU-100,1,4.50,,4.50,4.50\n", ""
    )
    write_files(drop, {"pos/pos_orders_20261120.csv": fixed})
    code, out = ingest(drop)
    assert code == 0 and "correction" in out
    build_ok(dbt, db_path)
    orders = recon(db_path)
    assert orders["B-2"]["has_validation_errors"] is False
    pos = errors_by_line(db_path, "pos/pos_orders_20261120.csv")
    assert 4 not in pos
    assert pos[5] == pos[6] == {"pos_line_number_unique"}  # lines moved up by one in the new version
    assert query(db_path, "select count(*) from raw.pos_order_lines") == [(17 + 16,)]
    assert query(db_path, "select count(*) from staging.stg_pos__order_lines") == [(16,)]


def test_generated_drop_matches_the_injected_truth(tmp_path, ingest, db_path, dbt):
    truth_path = tmp_path / "truth.csv"
    generate(tmp_path / "drop", days=3, orders_per_day=400, seed=11, truth=truth_path)
    code, out = ingest(tmp_path / "drop")
    assert code == 0, out
    build_ok(dbt, db_path)
    orders = recon(db_path)
    with truth_path.open() as handle:
        truth = list(csv.DictReader(handle))
    assert len(orders) == len(truth) == 1200
    mismatches = []
    for expected in truth:
        got = orders[expected["order_id"]]
        for column in (
            "recon_status",
            "is_late_match",
            "oms_match_count",
            "has_amount_mismatch",
            "has_validation_errors",
        ):
            if str(got[column]).lower() != expected[column].lower():
                mismatches.append((expected["order_id"], column, expected[column], got[column]))
    assert mismatches == []
    statuses = {t["recon_status"] for t in truth}
    assert statuses == {"matched", "missing_in_oms"}
    assert any(t["is_late_match"] == "true" for t in truth)


def test_without_reference_snapshots_the_checks_are_skipped_visibly(tmp_path, ingest, db_path, dbt):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                "C-1,S777,R1,2026-11-20,2026-11-20T09:00:00,,USD,1,NOPE,1,1.00,,1.00,1.00"
            ),
        },
    )
    assert ingest(drop)[0] == 0
    out = build_ok(dbt, db_path)
    assert "WARN" in out and "reference_checks_skipped" in out
    assert query(db_path, "select count(*) from marts.fct_validation_errors") == [(0,)]
    rules = dict(query(db_path, "select rule_id, rule_status from marts.rpt_validation_rules"))
    assert rules["pos_store_known"] == rules["pos_sku_active"] == "skipped"
    assert rules["pos_order_id_required"] == "active"


def test_rules_are_configuration_in_the_seed(tmp_path, ingest, db_path, dbt):
    project = copy_project(tmp_path / "project")
    seed = project / "seeds" / "order_validation_rules.csv"
    text = seed.read_text()
    text = text.replace(
        "pos_unit_price_format,POS,unit_price,format,error,true",
        "pos_unit_price_format,POS,unit_price,format,error,false",
    )
    text = text.replace(
        "pos_sku_active,POS,sku,reference_data,error,true", "pos_sku_active,POS,sku,reference_data,warn,true"
    )
    seed.write_text(text)
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                'D-1,S001,R1,2026-11-20,2026-11-20T09:00:00,,USD,1,SKU-900,1,"1,00",,1.00,1.00',
            ),
            "reference/products.csv": PRODUCTS,
        },
    )
    assert ingest(drop)[0] == 0
    result = dbt(db_path, "build", project_dir=project)
    assert result.returncode == 0, result.stdout[-3000:]
    assert query(db_path, "select rule_id, severity from marts.fct_validation_errors") == [("pos_sku_active", "warn")]
    assert query(db_path, "select count(*) from intermediate.int_pos_order_lines_validated") == [(1,)]
    status = dict(query(db_path, "select rule_id, rule_status from marts.rpt_validation_rules"))
    assert status["pos_unit_price_format"] == "disabled"


def test_invariant_tests_fail_when_a_row_is_lost_or_an_order_doubled(tmp_path, ingest, db_path, dbt):
    drop = FIXTURES / "drops" / "contract_example"
    assert ingest(drop)[0] == 0
    build_ok(dbt, db_path)
    # A landed line that no layer holds: an error finding keeps it out of the validated layer,
    # and the finding itself points at another line.
    unaccounted = changed_copy(
        db_path,
        tmp_path / "unaccounted.duckdb",
        "insert into intermediate.int_validation_failures by name "
        "select 'POS' as source_system, record_id, load_id, source_line + 1000 as source_line, "
        "'error' as severity, 'pos_sku_known' as rule_id "
        "from intermediate.int_pos_order_lines_validated order by record_id limit 1",
    )
    result = dbt(unaccounted, "test", "--select", "every_raw_row_is_validated_or_in_error")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAIL 1 every_raw_row_is_validated_or_in_error" in result.stdout
    # A landed line lost (the manifest counts it, no layer has it), and an order reconciled twice.
    execute(
        db_path,
        "delete from raw.pos_order_lines where _source_line = 3",
        "insert into intermediate.int_order_reconciliation select * from intermediate.int_order_reconciliation limit 1",
    )
    result = dbt(
        db_path, "test", "--select", "every_raw_row_is_validated_or_in_error every_pos_order_is_reconciled_once"
    )
    assert result.returncode == 1
    assert "FAIL 1 every_raw_row_is_validated_or_in_error" in result.stdout
    assert "FAIL 1 every_pos_order_is_reconciled_once" in result.stdout


def test_a_build_while_a_reader_holds_the_database_names_the_reader(tmp_path, dbt_dirs):
    """dbt-duckdb printed a traceback; the project's plugin stops the run with one message."""
    db = tmp_path / "recon.duckdb"
    (tmp_path / "drop").mkdir()
    assert loader_main(["ingest", "--from", str(tmp_path / "drop"), "--db", str(db), "--quiet"]) == 0
    holder = subprocess.Popen([sys.executable, "-c", HOLD_READ_ONLY, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        command, env = dbt_command(db, ("build",), PROJECT_ROOT, dbt_dirs)
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode != 0
    assert "is open read-only by python" in result.stdout and f"(PID {holder.pid})" in result.stdout
    assert "bi.duckdb" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


HOLD_READ_ONLY = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(60)
"""


def test_build_before_any_load_says_what_to_do(tmp_path, dbt):
    never = tmp_path / "never_loaded.duckdb"
    for command in (("build",), ("show", "--select", "fct_order_reconciliation")):
        result = dbt(never, *command)
        assert result.returncode != 0
        assert "No database at" in result.stdout and "nothing was created" in result.stdout
        assert "python -m loaders ingest --from DIR" in result.stdout
        assert not never.exists()
    # A database the loader never wrote to.
    execute(never, "select 1")
    result = dbt(never, "build")
    assert result.returncode != 0
    assert "No raw layer in" in result.stdout
    # A raw layer an earlier version made, without the review and notification tables.
    ensure_raw_layer_of(never)
    execute(never, "drop table raw.review_decisions")
    result = dbt(never, "build")
    assert result.returncode != 0
    assert "has no raw.review_decisions (it was made by an earlier version)" in result.stdout
    assert "`python -m loaders ingest --from DIR`, which adds it" in result.stdout
