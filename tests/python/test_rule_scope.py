"""What a rule is checked over, and what the plan's rates and alerts count: a re-sent order is
validated per delivery and only warned about; the error rate and the review queue count orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import copy_project, dbt_runner, oms_file, pos_file, query, query_dicts, write_files

from loaders.cli import main as loader_main

pytestmark = pytest.mark.dbt


def line(order_id: str, day: str, number: int, **changes: str) -> str:
    """A clean POS line of 2026-11-<day>: one unit of SKU-100 at 4.50 (order total 4.50 unless changed)."""
    date = f"2026-11-{day}"
    values = {
        "order_id": order_id,
        "store_id": "S001",
        "register_id": "R1",
        "business_date": date,
        "order_ts": f"{date}T09:00:00",
        "customer_id": "",
        "currency": "USD",
        "line_number": str(number),
        "sku": "SKU-100",
        "quantity": "1",
        "unit_price": "4.50",
        "discount_amount": "",
        "line_total": "4.50",
        "order_total": "4.50",
        **changes,
    }
    return ",".join(values.values())


DROP = {
    # R-1 is delivered again, unchanged, in the next day's file. R-2's second copy repeats a
    # line number within itself; R-3's second copy states a total that is not its line's.
    "pos/pos_orders_20261120.csv": pos_file(
        line("R-1", "20", 1, order_total="9.00"),
        line("R-1", "20", 2, order_total="9.00"),
        line("R-2", "20", 1, order_total="9.00"),
        line("R-2", "20", 2, order_total="9.00"),
        line("R-3", "20", 1),
    ),
    "pos/pos_orders_20261121.csv": pos_file(
        line("R-1", "21", 1, order_total="9.00"),
        line("R-1", "21", 2, order_total="9.00"),
        line("R-2", "21", 1, order_total="9.00"),
        line("R-2", "21", 1, order_total="9.00"),
        line("R-3", "21", 1, order_total="5.00"),
    ),
    "oms/oms_orders_20261120.csv": oms_file(
        *(f"OMS-{n},POS,R-{n},S001,,CREATED,9.00,USD,2026-11-20T10:00:00" for n in (1, 2, 3))
    ),
    # 31 lines, 1 in error (3.2%), but 1 of 2 orders (50%) needs a person.
    "pos/pos_orders_20261122.csv": pos_file(
        *(line("W-1", "22", n, order_total="135.00") for n in range(1, 31)),
        line("W-2", "22", 1, unit_price="x"),
    ),
    # 49 lines, 6 in error (12.2%), but 2 of 40 orders (5.0%, not above the threshold): one
    # order with 5 bad lines, and a line without an order number (an order of its own).
    "pos/pos_orders_20261123.csv": pos_file(
        *(line("V-1", "23", n, order_total="45.00", unit_price="x") for n in range(1, 6)),
        *(line("V-1", "23", n, order_total="45.00") for n in range(6, 11)),
        *(line(f"V-{n}", "23", 1) for n in range(2, 40)),
        line("", "23", 1),
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dbt_dirs: dict[str, Path]) -> tuple[Path, str]:
    """The drop above, ingested and built once (review queue threshold 2): the database and dbt's output."""
    root = tmp_path_factory.mktemp("rule_scope")
    db = root / "recon.duckdb"
    assert loader_main(["ingest", "--from", str(write_files(root / "drop", DROP)), "--db", str(db), "--quiet"]) == 0
    result = dbt_runner(dbt_dirs)(db, "build", "--vars", "{alert_review_queue_size: 2}")
    assert result.returncode == 0, result.stdout[-4000:]
    return db, result.stdout


def test_a_resent_order_is_only_warned_about_and_each_copy_is_checked_alone(built):
    db_path, _ = built
    findings: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for day, order_id, rule_id, severity in query(
        db_path,
        "select strftime(business_date, '%d'), order_id, rule_id, severity from marts.fct_validation_errors "
        "where order_id like 'R-%'",
    ):
        findings.setdefault((day, order_id), set()).add((rule_id, severity))
    resent = ("pos_order_in_several_files", "warn")
    assert findings == {
        ("20", "R-1"): {resent},
        ("21", "R-1"): {resent},
        ("20", "R-2"): {resent},
        ("21", "R-2"): {resent, ("pos_line_number_unique", "error")},
        ("20", "R-3"): {resent},
        ("21", "R-3"): {resent, ("pos_order_total_arithmetic", "error")},
    }
    validated = query(
        db_path,
        "select order_id, strftime(file_business_date, '%d'), count(*) from intermediate.int_pos_order_lines_validated "
        "where order_id like 'R-%' group by all order by all",
    )
    assert validated == [("R-1", "20", 2), ("R-1", "21", 2), ("R-2", "20", 2), ("R-3", "20", 1)]
    # Reconciled once, as the earliest file's copy: its date, its lines and its total, not
    # the copies' lines added up.
    recon = query(
        db_path,
        "select order_id, business_date::varchar, pos_source_file, recon_status, line_count, pos_order_total "
        "from marts.fct_order_reconciliation where order_id like 'R-%' order by order_id",
    )
    first_file = ("2026-11-20", "pos/pos_orders_20261120.csv", "matched")
    assert recon == [
        ("R-1", *first_file, 2, Decimal("9.00")),
        ("R-2", *first_file, 2, Decimal("9.00")),
        ("R-3", *first_file, 1, Decimal("4.50")),
    ]


def test_the_error_rate_and_the_review_queue_alert_count_orders(built, dbt_dirs):
    db_path, out = built
    # The plan's error rate is the share of orders in error; the line rate stays beside it.
    metrics = {
        str(row["business_date"]): row
        for row in query_dicts(db_path, "select * from marts.rpt_source_metrics where source_system = 'POS'")
    }
    figures = {
        day: (
            m["records_received"],
            m["records_in_error"],
            m["error_rate"],
            m.get("orders"),
            m.get("orders_with_errors"),
            m.get("order_error_rate"),
            m["is_error_rate_alert"],
        )
        for day, m in metrics.items()
    }
    assert figures == {
        "2026-11-20": (5, 0, Decimal("0.0000"), 3, 0, Decimal("0.0000"), False),
        "2026-11-21": (5, 3, Decimal("0.6000"), 3, 2, Decimal("0.6667"), True),
        "2026-11-22": (31, 1, Decimal("0.0323"), 2, 1, Decimal("0.5000"), True),
        "2026-11-23": (49, 6, Decimal("0.1224"), 40, 2, Decimal("0.0500"), False),
    }
    assert "ALERT: POS 2026-11-22: error rate 50.0% (1 of 2 orders) is above 5.0%" in out
    assert "ALERT: POS 2026-11-23" not in out and "ALERT: POS 2026-11-20" not in out
    assert "WARN 2 alert_error_rate_above_threshold" in out

    # The review queue alert counts orders awaiting a decision, not findings (13).
    assert query(db_path, "select count(*) from marts.rpt_review_queue where review_status = 'open'") == [(13,)]
    assert {day: m.get("open_review_orders") for day, m in metrics.items()} == {
        "2026-11-20": 3,
        "2026-11-21": 3,
        "2026-11-22": 0,
        "2026-11-23": 0,
    }
    assert "ALERT: review queue holds 3 orders awaiting a decision (13 open findings; threshold 2)" in out
    assert "WARN 1 alert_review_queue_above_threshold" in out
    compiled = dbt_dirs["target"] / "compiled" / "order_recon" / "tests" / "alerts"
    assert query(db_path, (compiled / "alert_review_queue_above_threshold.sql").read_text())[0][0] == 3


def test_a_finding_with_a_rule_id_the_seed_does_not_know_fails_the_build(tmp_path, dbt):
    """A mistyped rule id in a check model used to drop its findings in silence (an inner join
    with the seed); now the finding stays and the build fails, naming the rule."""
    project = copy_project(tmp_path / "project")
    model = project / "models" / "intermediate" / "int_pos_order_line_failures.sql"
    text = model.read_text()
    assert "'pos_currency_known'" in text
    model.write_text(text.replace("'pos_currency_known'", "'pos_currency_knwon'"))
    db = tmp_path / "recon.duckdb"
    drop = write_files(
        tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(line("T-1", "20", 1, currency="XYZ"))}
    )
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    result = dbt(db, "build", project_dir=project)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAIL 1 every_finding_names_a_rule_of_the_seed" in result.stdout
    assert query(db, "select rule_id, severity from intermediate.int_validation_failures where order_id = 'T-1'") == [
        ("pos_currency_knwon", None)
    ]
