"""The rules engine: every rule of the seed fails on a bad record and passes on good ones;
findings resolve themselves; monitoring, alerts, the audit trail and retention work."""

from __future__ import annotations

import csv
import re

import pytest
from conftest import PROJECT_ROOT, execute, oms_file, pos_file, query, query_dicts, write_files
from test_channel_rules import CHANNEL_CASES

from loaders.cli import main as loader_main

pytestmark = pytest.mark.dbt

POS_HEADER_EXT = (
    "order_id,store_id,register_id,business_date,order_ts,customer_id,currency,line_number,sku,"
    "quantity,unit_price,discount_amount,line_total,order_total,requested_delivery_date"
)
GOOD = {
    "order_id": "G-1",
    "store_id": "S001",
    "register_id": "R1",
    "business_date": "2026-11-20",
    "order_ts": "2026-11-20T09:00:00",
    "customer_id": "C1",
    "currency": "USD",
    "line_number": "1",
    "sku": "SKU-100",
    "quantity": "1",
    "unit_price": "4.50",
    "discount_amount": "",
    "line_total": "4.50",
    "order_total": "4.50",
    "requested_delivery_date": "",
}


def pos_line(order_id: str, **changes: str) -> str:
    values = {**GOOD, "order_id": order_id, **changes}
    return ",".join(values[name] for name in POS_HEADER_EXT.split(","))


# rule id -> the POS lines of one order that must fail it (on the case's first line).
POS_CASES: dict[str, list[str]] = {
    "pos_order_id_required": [pos_line("")],
    "pos_order_id_length": [pos_line("L" * 65)],
    "pos_store_id_required": [pos_line("P-3", store_id="")],
    "pos_store_id_length": [pos_line("P-4", store_id="S" * 17)],
    "pos_business_date_required": [pos_line("P-5", business_date=" ")],
    "pos_business_date_format": [pos_line("P-6", business_date="2026-02-30")],
    "pos_business_date_matches_file": [pos_line("P-7", business_date="2026-11-19")],
    "pos_order_ts_required": [pos_line("P-8", order_ts="")],
    "pos_order_ts_format": [pos_line("P-9", order_ts="20.11.2026 09:00")],
    "pos_currency_required": [pos_line("P-10", currency="")],
    "pos_currency_format": [pos_line("P-11", currency="usd")],
    "pos_currency_known": [pos_line("P-12", currency="XYZ")],
    "pos_line_number_required": [pos_line("P-13", line_number="")],
    "pos_line_number_format": [pos_line("P-14", line_number="one")],
    "pos_line_number_range": [pos_line("P-15", line_number="0")],
    "pos_line_number_unique": [pos_line("P-16", order_total="9.00"), pos_line("P-16", order_total="9.00")],
    "pos_sku_required": [pos_line("P-17", sku="")],
    "pos_quantity_required": [pos_line("P-18", quantity="")],
    "pos_quantity_format": [pos_line("P-19", quantity="1.5")],
    "pos_quantity_range": [pos_line("P-20", quantity="0", line_total="0.00", order_total="0.00")],
    "pos_unit_price_required": [pos_line("P-21", unit_price="")],
    "pos_unit_price_format": [pos_line("P-22", unit_price="4.505")],
    "pos_unit_price_range": [pos_line("P-23", unit_price="-4.50", line_total="-4.50", order_total="-4.50")],
    "pos_discount_amount_format": [pos_line("P-24", discount_amount="abc")],
    "pos_discount_amount_range": [pos_line("P-25", discount_amount="-1.00", line_total="5.50", order_total="5.50")],
    "pos_discount_exceeds_gross": [pos_line("P-26", discount_amount="5.00", line_total="-0.50", order_total="-0.50")],
    "pos_line_total_required": [pos_line("P-27", line_total="")],
    "pos_line_total_format": [pos_line("P-28", line_total='"4,50"')],
    "pos_line_total_arithmetic": [pos_line("P-29", line_total="4.60", order_total="4.60")],
    "pos_order_total_required": [pos_line("P-30", order_total="")],
    "pos_order_total_format": [pos_line("P-31", order_total="four")],
    "pos_order_total_consistent": [
        pos_line("P-32", order_total="9.00"),
        pos_line("P-32", line_number="2", order_total="9.10"),
    ],
    "pos_order_total_arithmetic": [pos_line("P-33", order_total="5.00")],
    "pos_order_in_several_files": [pos_line("G-1")],  # G-1 is also in the second POS file
    "pos_store_known": [pos_line("P-35", store_id="S777")],
    "pos_store_active": [pos_line("P-36", store_id="S003")],
    "pos_sku_known": [pos_line("P-37", sku="SKU-777")],
    "pos_sku_active": [pos_line("P-38", sku="SKU-900")],
    "pos_order_total_minimum": [pos_line("P-39", unit_price="0.00", line_total="0.00", order_total="0.00")],
    "pos_order_total_maximum": [
        pos_line("P-40", quantity="3", unit_price="4000.00", line_total="12000.00", order_total="12000.00")
    ],
    "pos_customer_known": [pos_line("P-41", customer_id="C999")],
    "pos_unit_price_list": [pos_line("P-42", unit_price="4.60", line_total="4.60", order_total="4.60")],
    "pos_credit_limit": [
        pos_line("P-43", customer_id="C2", quantity="20", line_total="90.00", order_total="90.00"),
        pos_line("P-44", customer_id="C2", quantity="20", line_total="90.00", order_total="90.00"),
    ],
    "pos_stock_available": [
        pos_line(
            "P-45",
            sku="SKU-200",
            store_id="S002",
            quantity="6",
            unit_price="12.99",
            line_total="77.94",
            order_total="77.94",
        )
    ],
    "pos_requested_delivery_date_format": [pos_line("P-46", requested_delivery_date="tomorrow")],
    "pos_delivery_date_feasible": [pos_line("P-47", customer_id="C2", requested_delivery_date="2026-11-22")],
}

CLEAN_POS = [
    # an account customer under its credit limit, delivery on a Monday, one of its delivery days
    pos_line("G-2", customer_id="C7", requested_delivery_date="2026-11-23"),
    pos_line("G-3", customer_id="", discount_amount="0.50", line_total="4.00", order_total="16.99"),
    pos_line(
        "G-3",
        customer_id="",
        line_number="2",
        sku="SKU-200",
        unit_price="12.99",
        line_total="12.99",
        order_total="16.99",
    ),
]

OMS_GOOD = "OMS-{n},POS,G-{n},S001,C1,CREATED,4.50,USD,2026-11-20T09:00:05"
OMS_CASES: dict[str, str] = {
    "oms_order_id_required": ",POS,X-1,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_order_id_unique": "OMS-D,POS,X-2,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_order_id_in_several_files": "OMS-7,POS,X-3,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_source_system_required": "OMS-S1,,X-4,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_source_system_known": "OMS-S2,FAX,X-5,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_source_order_id_required": "OMS-S3,POS,,S001,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_store_id_required": "OMS-S4,POS,X-6,,,CREATED,1.00,USD,2026-11-20T10:00:00",
    "oms_order_status_required": "OMS-S5,POS,X-7,S001,,,1.00,USD,2026-11-20T10:00:00",
    "oms_order_status_known": "OMS-S6,POS,X-8,S001,,LOST,1.00,USD,2026-11-20T10:00:00",
    "oms_order_total_required": "OMS-S7,POS,X-9,S001,,CREATED,,USD,2026-11-20T10:00:00",
    "oms_order_total_format": "OMS-S8,POS,X-10,S001,,CREATED,1.000.00,USD,2026-11-20T10:00:00",
    "oms_currency_required": "OMS-S9,POS,X-11,S001,,CREATED,1.00,,2026-11-20T10:00:00",
    "oms_currency_format": "OMS-S10,POS,X-12,S001,,CREATED,1.00,US,2026-11-20T10:00:00",
    "oms_currency_known": "OMS-S11,POS,X-13,S001,,CREATED,1.00,ABC,2026-11-20T10:00:00",
    "oms_created_at_required": "OMS-S12,POS,X-14,S001,,CREATED,1.00,USD,",
    "oms_created_at_format": "OMS-S13,POS,X-15,S001,,CREATED,1.00,USD,2026-11-20 10:00",
}

REFERENCE = {
    "reference/stores.csv": "store_id,store_name,is_active\nS001,Downtown,true\nS002,Airport,true\n"
    "S003,Old Mall,false\n,No id,true\nS004,Twice,true\nS004,Twice,true\nS005,Odd,yes\n",
    "reference/products.csv": "sku,product_name,is_active\nSKU-100,Beans,true\nSKU-200,Press,true\nSKU-900,Mug,false\n"
    ",No sku,true\nSKU-300,Twice,true\nSKU-300,Twice,true\nSKU-400,Odd,maybe\n",
    "reference/customers.csv": "customer_id,customer_name,is_active,credit_limit,delivery_days\n"
    "C1,Walk-in club,true,,\nC2,Account,true,100.00,MON;THU\n,No id,true,,\nC3,Twice,true,,\nC3,Twice,true,,\n"
    "C4,Odd,sometimes,,\nC5,Odd limit,true,lots,\nC6,Odd days,true,,someday\nC7,Account two,true,100.00,mon thu\n",
    "reference/prices.csv": "sku,unit_price\nSKU-100,4.50\nSKU-200,12.99\n,1.00\nSKU-300,1.00\nSKU-300,1.00\n"
    "SKU-400,\nSKU-500,cheap\n",
    "reference/stock.csv": "store_id,sku,on_hand\nS002,SKU-200,5\nS001,SKU-100,1000\n,SKU-1,1\nS009,SKU-9,1\n"
    "S009,SKU-9,2\nS008,SKU-8,many\n",
}

# rule id -> (file, the failing line) for reference and processing rules
OTHER_CASES: dict[str, tuple[str, int | None]] = {
    "ref_store_id_required": ("reference/stores.csv", 5),
    "ref_store_id_unique": ("reference/stores.csv", 6),
    "ref_store_is_active_format": ("reference/stores.csv", 8),
    "ref_sku_required": ("reference/products.csv", 5),
    "ref_sku_unique": ("reference/products.csv", 6),
    "ref_product_is_active_format": ("reference/products.csv", 8),
    "ref_customer_id_required": ("reference/customers.csv", 4),
    "ref_customer_id_unique": ("reference/customers.csv", 5),
    "ref_customer_is_active_format": ("reference/customers.csv", 7),
    "ref_customer_credit_limit_format": ("reference/customers.csv", 8),
    "ref_customer_delivery_days_format": ("reference/customers.csv", 9),
    "ref_price_sku_required": ("reference/prices.csv", 4),
    "ref_price_sku_unique": ("reference/prices.csv", 5),
    "ref_price_unit_price_required": ("reference/prices.csv", 7),
    "ref_price_unit_price_format": ("reference/prices.csv", 8),
    "ref_stock_key_required": ("reference/stock.csv", 4),
    "ref_stock_key_unique": ("reference/stock.csv", 5),
    "ref_stock_on_hand_format": ("reference/stock.csv", 7),
    "file_rejected": ("oms/oms_orders_20261121.csv", None),
    "file_ignored": ("pos/pos_orders_2026-11-22.csv", None),
}


def seed_rules() -> list[dict[str, str]]:
    with (PROJECT_ROOT / "seeds" / "order_validation_rules.csv").open() as handle:
        return list(csv.DictReader(handle))


# Rules whose failing case needs more than one build: a review decision is judged against the
# review items an earlier build found. Their cases are in the file named.
CASES_ELSEWHERE = {
    "review_decision_item_unknown": "test_review.py",
    "review_decision_item_closed": "test_review.py",
    **dict.fromkeys(
        (
            "edi_interchange_control_match",
            "edi_interchange_incomplete",
            "edi_group_control_match",
            "edi_group_count",
            "edi_transaction_control_match",
            "edi_transaction_segment_count",
            "edi_line_count",
            "edi_transaction_set_supported",
            "edi_partner_known",
            "edi_version_supported",
        ),
        "test_channel_edi.py",
    ),
}


def test_every_rule_of_the_seed_has_a_case_here():
    rules = {row["rule_id"] for row in seed_rules()}
    for rule, test_file in CASES_ELSEWHERE.items():
        assert f'"{rule}")' in (PROJECT_ROOT / "tests" / "python" / test_file).read_text(), rule
    # The order channels' rules have their cases in test_channel_rules.py (CHANNEL_CASES).
    covered = set(POS_CASES) | set(OMS_CASES) | set(OTHER_CASES) | set(CASES_ELSEWHERE) | set(CHANNEL_CASES)
    assert rules - covered == set(), "rules without a failing case"
    assert covered - rules == set(), "cases for rules the seed does not have"


def test_each_rule_fails_its_case_and_passes_clean_records(tmp_path, ingest, db_path, dbt, dbt_dirs):
    pos_lines: list[str] = [*CLEAN_POS]
    first_line_of: dict[str, int] = {}
    for rule, lines in POS_CASES.items():
        first_line_of[rule] = len(pos_lines) + 2
        pos_lines.extend(lines)
    oms_lines = [OMS_GOOD.format(n=n) for n in (2, 3)] + ["OMS-D,POS,X-0,S001,,CREATED,1.00,USD,2026-11-20T10:00:00"]
    oms_line_of: dict[str, int] = {}
    for rule, line in OMS_CASES.items():
        oms_line_of[rule] = len(oms_lines) + 2
        oms_lines.append(line)
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(*pos_lines, header=POS_HEADER_EXT),
            "pos/pos_orders_20261119.csv": pos_file(pos_line("G-1", business_date="2026-11-19"), header=POS_HEADER_EXT),
            "oms/oms_orders_20261120.csv": oms_file(*oms_lines),
            "oms/oms_orders_20261119.csv": oms_file("OMS-7,POS,G-1,S001,,CREATED,4.50,USD,2026-11-19T10:00:00"),
            "oms/oms_orders_20261121.csv": "oms_order_id,source_system\nX,POS\n",
            "pos/pos_orders_2026-11-22.csv": "misnamed",
            **REFERENCE,
        },
    )
    assert ingest(drop)[0] == 1  # the OMS file of the 21st is rejected
    result = dbt(db_path, "build")
    assert result.returncode == 0, result.stdout[-4000:]

    found: dict[tuple[str, int | None], set[str]] = {}
    for source_file, line, rule in query(
        db_path, "select source_file, source_line, rule_id from marts.fct_validation_errors"
    ):
        found.setdefault((source_file, line), set()).add(rule)

    missing = []
    for rule, line in first_line_of.items():
        if rule not in found.get(("pos/pos_orders_20261120.csv", line), set()):
            missing.append((rule, line, found.get(("pos/pos_orders_20261120.csv", line))))
    for rule, line in oms_line_of.items():
        if rule not in found.get(("oms/oms_orders_20261120.csv", line), set()):
            missing.append((rule, line, found.get(("oms/oms_orders_20261120.csv", line))))
    for rule, (source_file, line) in OTHER_CASES.items():
        if rule not in found.get((source_file, line), set()):
            missing.append((rule, source_file, line))
    assert missing == []

    # The passing cases: the clean records break no rule at all.
    for line in (2, 3, 4):
        assert ("pos/pos_orders_20261120.csv", line) not in found, found.get(("pos/pos_orders_20261120.csv", line))
    for line in (2, 3):
        assert ("oms/oms_orders_20261120.csv", line) not in found
    for source_file in ("reference/stores.csv", "reference/products.csv", "reference/prices.csv"):
        assert (source_file, 2) not in found and (source_file, 3) not in found
    assert ("reference/customers.csv", 2) not in found and ("reference/customers.csv", 3) not in found

    # Messages name the code lists as the seeds hold them, not as a copy in the SQL.
    messages = dict(query(db_path, "select rule_id, message from marts.fct_validation_errors"))
    assert messages["oms_source_system_known"] == "source_system 'FAX' is not one of API, EDI, MANUAL, POS, WEB"
    assert (
        messages["oms_order_status_known"] == "order_status 'LOST' is not one of CANCELLED, CREATED, RELEASED, SHIPPED"
    )

    statuses = dict(query(db_path, "select rule_id, rule_status from marts.rpt_validation_rules"))
    assert set(statuses.values()) == {"active"}
    categories = dict(query(db_path, "select rule_id, category from marts.fct_validation_errors"))
    assert categories["file_rejected"] == categories["file_ignored"] == "processing"

    # Past half of DuckDB's memory limit the POS check re-parses its lines per reader instead
    # of holding them (macro lines_cte): the findings must be the same either way.
    execute(db_path, "create table main.held_lines as select * from intermediate.int_pos_order_line_failures")
    inline = ("--full-refresh", "--vars", "{check_lines: not materialized}")
    result = dbt(db_path, "run", "-s", "int_pos_order_line_failures", *inline)
    assert result.returncode == 0, result.stdout[-4000:]
    compiled = dbt_dirs["target"] / "compiled" / "order_recon" / "models" / "intermediate"
    assert "lines as not materialized (" in (compiled / "int_pos_order_line_failures.sql").read_text()
    assert query(db_path, "select count(*) from main.held_lines")[0][0] > len(POS_CASES)
    assert query(
        db_path,
        """select count(*) from (
            (select * from main.held_lines except all select * from intermediate.int_pos_order_line_failures)
            union all
            (select * from intermediate.int_pos_order_line_failures except all select * from main.held_lines))""",
    ) == [(0,)]

    # A value the macro does not know stops the run before any model is built, naming the
    # values it takes: a typo must not silently fall back to one of the two plans.
    result = dbt(db_path, "run", "-s", "int_pos_order_line_failures", "--vars", "{check_lines: held}")
    assert result.returncode == 2, result.stdout[-4000:]
    assert "var check_lines is 'held': use auto, materialized or not materialized" in result.stdout
    assert "int_pos_order_line_failures" in result.stdout and "OK created" not in result.stdout


def pos_day(day: str, *bad_lines: str) -> str:
    """A POS file of 2026-11-<day>: the given lines, then 50 clean orders (an error rate under the alert's)."""
    date = f"2026-11-{day}"
    clean = [pos_line(f"G{day}-{n}", business_date=date, order_ts=f"{date}T09:00:00") for n in range(50)]
    return pos_file(*bad_lines, *clean, header=POS_HEADER_EXT)


def test_findings_resolve_themselves_monitoring_alerts_and_audit(tmp_path, ingest, db_path, dbt):
    """Findings and their history across a correction, the alerts, the metrics and the audit log.
    An incremental build rewrites only the findings that changed; every open finding still
    carries the latest build as last_seen_at, and a resolved one the last build that found it."""
    bad_lines = [pos_line(f"A-{n}", unit_price='"4,50"') for n in range(4)]

    def day_line(order_id: str, day: str, **changes: str) -> str:
        date = f"2026-11-{day}"
        return pos_line(order_id, business_date=date, order_ts=f"{date}T09:00:00", **changes)

    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                *bad_lines,
                pos_line("A-9", line_total="4.60", order_total="4.60"),
                pos_line("A-10"),
                header=POS_HEADER_EXT,
            ),
            "oms/oms_orders_20261120.csv": oms_file("OMS-1,POS,A-10,S001,,CREATED,4.50,USD,2026-11-20T10:00:00"),
            "oms/oms_orders_20261121.csv": "oms_order_id\nX\n",
            # For the history: K-1 stays wrong in an untouched file; the 18th is corrected below.
            "pos/pos_orders_20261119.csv": pos_day("19", day_line("K-1", "19", unit_price="x")),
            "pos/pos_orders_20261118.csv": pos_day(
                "18", day_line("M-1", "18", unit_price="y"), day_line("F-1", "18", unit_price="z")
            ),
        },
    )
    history_sql = (
        "select order_id, source_line, load_id, first_seen_at, last_seen_at, resolved_at, resolution "
        "from intermediate.int_validation_error_history "
        "where rule_id = 'pos_unit_price_format' and order_id in ('K-1', 'M-1', 'F-1')"
    )

    def history_of_three() -> dict[str, dict[str, object]]:
        return {row["order_id"]: row for row in query_dicts(db_path, history_sql)}

    assert ingest(drop)[0] == 1
    result = dbt(db_path, "build", "--vars", "{alert_review_queue_size: 0}")
    assert result.returncode == 0, result.stdout[-3000:]
    first = history_of_three()
    assert set(first) == {"K-1", "M-1", "F-1"}
    build_1 = first["K-1"]["first_seen_at"]
    assert all(row["last_seen_at"] == build_1 and row["resolved_at"] is None for row in first.values()), first
    out = result.stdout
    assert "ALERT: POS 2026-11-20: error rate 83.3% (5 of 6 orders) is above 5.0%" in out
    assert "ALERT: review queue holds 1 order awaiting a decision (1 open finding; threshold 0)" in out
    assert "WARN 1 alert_error_rate_above_threshold" in out and "WARN 1 alert_review_queue_above_threshold" in out

    metrics = {
        (r["source_system"], str(r["business_date"])): r
        for r in query_dicts(db_path, "select * from marts.rpt_source_metrics")
    }
    pos = metrics[("POS", "2026-11-20")]
    assert (pos["records_received"], pos["records_validated"], pos["records_in_error"]) == (6, 1, 5)
    assert pos["is_error_rate_alert"] is True and pos["open_review_items"] == 1
    assert metrics[("OMS", "2026-11-21")]["rejected_files"] == 1

    notes = query_dicts(
        db_path,
        "select * from marts.rpt_source_notifications "
        "where rule_id = 'pos_unit_price_format' and source_file = 'pos/pos_orders_20261120.csv'",
    )
    assert notes[0]["failing_records"] == 4
    assert notes[0]["examples"] == "line 2: 4,50; line 3: 4,50; line 4: 4,50"

    queue = query_dicts(db_path, "select * from marts.rpt_review_queue")
    assert [(q["review_status"], q["rule_id"], q["order_id"]) for q in queue] == [
        ("open", "pos_line_total_arithmetic", "A-9")
    ]

    log = query_dicts(db_path, "select * from marts.order_processing_log")
    loaded = [e for e in log if e["step"] == "file_loaded"]
    assert {e["subject"] for e in loaded} == {
        "pos/pos_orders_20261120.csv",
        "oms/oms_orders_20261120.csv",
        "pos/pos_orders_20261119.csv",
        "pos/pos_orders_20261118.csv",
    }
    assert all(e["row_count"] is not None and e["seconds"] is not None for e in loaded)
    rejected = [e for e in log if e["step"] == "file_rejected"]
    assert "missing required column(s)" in rejected[0]["detail"]
    models = {e["subject"]: e["status"] for e in log if e["component"] == "dbt" and e["step"] == "model"}
    assert models["fct_order_reconciliation"] == "success"

    # The sender corrects both files: the findings resolve themselves at the next build. The
    # 18th is corrected too: F-1 is fixed, M-1 stays wrong but moves to line 3.
    write_files(
        drop,
        {
            "pos/pos_orders_20261120.csv": pos_file(
                *[pos_line(f"A-{n}") for n in range(4)], pos_line("A-9"), pos_line("A-10"), header=POS_HEADER_EXT
            ),
            "oms/oms_orders_20261121.csv": oms_file("OMS-2,POS,A-9,S001,,CREATED,4.50,USD,2026-11-21T10:00:00"),
            "pos/pos_orders_20261118.csv": pos_day("18", day_line("F-1", "18"), day_line("M-1", "18", unit_price="y")),
        },
    )
    assert ingest(drop)[0] == 0
    result = dbt(db_path, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ALERT" not in result.stdout
    queue = query_dicts(db_path, "select * from marts.rpt_review_queue")
    assert [(q["review_status"], q["rule_id"]) for q in queue] == [("resolved", "pos_line_total_arithmetic")]
    assert queue[0]["resolved_at"] >= queue[0]["first_seen_at"]
    assert queue[0]["resolution"].startswith("no longer found")
    history = dict(
        query(
            db_path,
            "select rule_id, count(*) filter (where resolved_at is null) from "
            "intermediate.int_validation_error_history group by 1",
        )
    )
    assert history == {"pos_unit_price_format": 2, "pos_line_total_arithmetic": 0, "file_rejected": 0}
    second = history_of_three()
    build_2 = second["K-1"]["last_seen_at"]
    assert build_2 > build_1
    # Untouched delivery: the same row, stamped by the new build.
    assert {**second["K-1"], "last_seen_at": build_1} == first["K-1"]
    # Moved by a correction: still open since the first build, now at its new line and delivery.
    moved = second["M-1"]
    assert (moved["first_seen_at"], moved["last_seen_at"], moved["resolved_at"]) == (build_1, build_2, None)
    assert moved["source_line"] == 3 and moved["load_id"] != first["M-1"]["load_id"]
    # Fixed: resolved by the second build, last seen by the first.
    fixed = second["F-1"]
    assert (fixed["first_seen_at"], fixed["last_seen_at"], fixed["resolved_at"]) == (build_1, build_1, build_2)
    assert fixed["resolution"].startswith("no longer found")
    assert query(db_path, "select order_id from marts.fct_validation_errors order by 1") == [("K-1",), ("M-1",)]
    invocations = query(
        db_path, "select count(distinct run_id) from marts.order_processing_log where component = 'dbt'"
    )
    assert invocations == [(2,)]


def test_retention_purge_keeps_results(tmp_path, ingest, db_path, dbt, capsys):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261118.csv": pos_file(
                pos_line("R-1", business_date="2026-11-18", unit_price="x"), header=POS_HEADER_EXT
            ),
            "pos/pos_orders_20261120.csv": pos_file(pos_line("R-2"), header=POS_HEADER_EXT),
            "oms/oms_orders_20261118.csv": oms_file("OMS-1,POS,R-1,S001,,CREATED,4.50,USD,2026-11-18T10:00:00"),
        },
    )
    assert ingest(drop)[0] == 0
    assert dbt(db_path, "build").returncode == 0
    before = query(db_path, "select * from marts.fct_order_reconciliation order by order_id")
    errors_before = query(db_path, "select rule_id, source_file from marts.fct_validation_errors")
    assert loader_main(["purge", "--db", str(db_path), "--before", "2026-11-19", "--dry-run"]) == 0
    assert "would remove 2 raw rows of 2 deliveries" in capsys.readouterr().out
    assert query(db_path, "select count(*) from raw.pos_order_lines") == [(2,)]
    assert loader_main(["purge", "--db", str(db_path), "--before", "2026-11-19"]) == 0
    out = capsys.readouterr().out
    assert "removed 2 raw rows of 2 deliveries before 2026-11-19 (raw.oms_orders 1, raw.pos_order_lines 1)" in out
    assert query(db_path, "select count(*) from raw.pos_order_lines") == [(1,)]
    assert query(db_path, "select count(*) from raw.file_manifest where purged_at is not null") == [(2,)]
    # A later OMS file mentions the purged order: its result stays as it was, frozen.
    write_files(
        drop,
        {
            "oms/oms_orders_20261121.csv": oms_file(
                "OMS-9,POS,R-1,S001,,CREATED,4.50,USD,2026-11-21T10:00:00",
                "OMS-10,POS,R-2,S001,,CREATED,4.50,USD,2026-11-21T10:00:00",
            )
        },
    )
    for name in ("pos/pos_orders_20261118.csv", "oms/oms_orders_20261118.csv"):
        (drop / name).unlink()
    assert ingest(drop)[0] == 0
    result = dbt(db_path, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    after = {row[0]: row for row in query(db_path, "select * from marts.fct_order_reconciliation order by order_id")}
    assert after["R-1"] == before[0]
    assert query(
        db_path, "select recon_status, is_late_match from marts.fct_order_reconciliation where order_id = 'R-2'"
    ) == [("matched", True)]
    assert set(errors_before) <= set(query(db_path, "select rule_id, source_file from marts.fct_validation_errors"))
    events = query(db_path, "select detail from marts.order_processing_log where step = 'purged'")
    assert len(events) == 1 and "2 deliveries before 2026-11-19" in events[0][0]
    assert loader_main(["purge", "--db", str(db_path), "--older-than-days", "0"]) == 2
    assert "at least 1 day" in capsys.readouterr().err


def test_purge_without_a_database_is_a_clear_error(tmp_path, capsys):
    assert loader_main(["purge", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no database at" in capsys.readouterr().err


def test_every_case_names_a_file_the_loader_lands():
    """A case whose file name the loader ignores (a typo such as stock.cvs) would never be
    delivered, and its rule would be "covered" by a case that cannot run."""
    from loaders.contract import classify

    landed = {name for rule, (name, _) in OTHER_CASES.items() if rule != "file_ignored"}
    assert {name for name in landed if classify(name).kind is None} == set()
    assert classify(OTHER_CASES["file_ignored"][0]).kind is None  # that case is a name the loader ignores


CHECK_MACROS = r"\b(?:failure|required|well_formed)\(\s*'([a-z0-9_]+)'"


def check_models() -> dict[str, str]:
    """The check models (int_*_failures) but the error layer itself, by name, with their SQL."""
    folder = PROJECT_ROOT / "models" / "intermediate"
    return {
        path.stem: path.read_text()
        for path in sorted(folder.glob("int_*_failures.sql"))
        if path.stem != "int_validation_failures"
    }


def test_every_check_models_rule_ids_are_the_seeds():
    """A rule id is written in its check model and in the seed: they must name the same rules,
    each of a source system the model checks, and every check model must feed the error layer
    (the review decisions' check, judged against the error history, feeds its mart), whose
    relationships test (every_finding_names_a_rule_of_the_seed) fails a build on an id
    the seed does not know."""
    seed = {row["rule_id"]: row["source_system"] for row in seed_rules()}
    layer = (PROJECT_ROOT / "models" / "intermediate" / "int_validation_failures.sql").read_text()
    mart = (PROJECT_ROOT / "models" / "marts" / "fct_validation_errors.sql").read_text()
    written: dict[str, str] = {}
    channels = (PROJECT_ROOT / "models" / "intermediate" / "int_channel_order_line_failures.sql").read_text()
    for name, sql in check_models().items():
        if name == "int_review_decision_failures":
            assert f"ref('{name}')" in mart, f"{name} does not feed fct_validation_errors"
        elif name == "int_edi_envelope_failures":
            # X12 envelope findings join the channel findings, which feed the error layer
            assert f"ref('{name}')" in channels, f"{name} does not feed int_channel_order_line_failures"
        else:
            assert f"ref('{name}')" in layer, f"{name} does not feed int_validation_failures"
        if name == "int_edi_envelope_failures":
            # each envelope problem is written once where int_edi_envelope_issues finds it (a
            # rule may be found at two levels: the interchange's version and the group's)
            issues = (PROJECT_ROOT / "models" / "intermediate" / "int_edi_envelope_issues.sql").read_text()
            ids = sorted(set(re.findall(r"'(edi_[a-z_]+)' as rule_id", issues)))
        else:
            ids = re.findall(CHECK_MACROS, sql)
        assert ids, f"{name} writes no rule"
        assert len(ids) == len(set(ids)), f"{name} writes a rule twice"
        for rule_id in ids:
            assert rule_id not in written, f"{rule_id} is written in {written.get(rule_id)} and {name}"
            written[rule_id] = name
    written.update(dict.fromkeys(re.findall(r"'(file_[a-z]+)' as rule_id", layer), "int_validation_failures"))
    assert set(written) - set(seed) == set(), "rule ids the seed does not have"
    assert set(seed) - set(written) == set(), "rules of the seed no check model writes"
    prefixes = {
        "POS": "pos_",
        "OMS": "oms_",
        "REFERENCE": "ref_",
        "FILE": "file_",
        "REVIEW": "review_",
        "CHANNEL": "channel_",
        "EDI": "edi_",
    }
    assert {rule for rule, system in seed.items() if not rule.startswith(prefixes[system])} == set()
