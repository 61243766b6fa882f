"""The order channels' rules, validated layer and reconciliation, on manually entered orders:
every channel_* rule of the seed fails on its case and passes clean orders; the valid orders,
and only they, reach the validated layer; every channel order is reconciled against the OMS
rows of its channel; the per-channel figures add up and the error-rate alert covers them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import dbt_runner, oms_file, query, query_dicts, write_files

from loaders.cli import main as loader_main

pytestmark = pytest.mark.dbt

MANUAL_HEADER = (
    "order_id,operator_id,business_date,order_ts,customer_id,currency,line_number,sku,quantity,unit_price,"
    "discount_amount,line_total,order_total,requested_delivery_date,ship_to_name,ship_to_address1,ship_to_city,"
    "ship_to_postal_code,ship_to_country,payment_method"
)
GOOD = {
    "order_id": "G-1",
    "operator_id": "op1",
    "business_date": "2026-11-20",
    "order_ts": "2026-11-20T09:00:00Z",
    "customer_id": "",
    "currency": "USD",
    "line_number": "1",
    "sku": "SKU-100",
    "quantity": "1",
    "unit_price": "4.50",
    "discount_amount": "",
    "line_total": "4.50",
    "order_total": "4.50",
    "requested_delivery_date": "",
    "ship_to_name": "Ada Lovelace",
    "ship_to_address1": "1 Main St",
    "ship_to_city": "Springfield",
    "ship_to_postal_code": "12345",
    "ship_to_country": "US",
    "payment_method": "card",
}


def line(order_id: str, **changes: str) -> str:
    values = {**GOOD, "order_id": order_id, **changes}
    return ",".join(values[name] for name in MANUAL_HEADER.split(","))


def manual_file(*lines: str) -> str:
    return "\n".join([MANUAL_HEADER, *lines]) + "\n"


# rule id -> the lines of one manual order that must fail it (on the case's first line)
CHANNEL_CASES: dict[str, list[str]] = {
    "channel_order_id_required": [line("")],
    "channel_order_id_length": [line("L" * 65)],
    "channel_order_duplicate": [line("G-1")],  # G-1's first copy is in the file of the day before
    "channel_ordered_at_required": [line("M-4", order_ts="")],
    "channel_ordered_at_format": [line("M-5", order_ts="20.11.2026 09:00")],
    "channel_currency_required": [line("M-6", currency="")],
    "channel_currency_known": [line("M-7", currency="XYZ")],
    "channel_order_has_lines": [
        line("M-8", line_number="", sku="", quantity="", unit_price="", line_total="", order_total="4.50")
    ],
    "channel_line_number_format": [line("M-9", line_number="0")],
    "channel_line_number_unique": [line("M-10", order_total="9.00"), line("M-10", order_total="9.00")],
    "channel_sku_required": [line("M-11", sku="")],
    "channel_sku_known": [line("M-12", sku="SKU-777")],
    "channel_sku_active": [line("M-13", sku="SKU-900")],
    "channel_quantity_required": [line("M-14", quantity="")],
    "channel_quantity_format": [line("M-15", quantity="1.5")],
    "channel_unit_price_required": [line("M-16", unit_price="")],
    "channel_unit_price_format": [line("M-17", unit_price="4.505")],
    "channel_discount_amount_format": [line("M-18", discount_amount="abc")],
    "channel_line_total_format": [line("M-19", line_total='"4,50"')],
    "channel_line_total_arithmetic": [line("M-20", line_total="4.60", order_total="4.60")],
    "channel_order_total_required": [line("M-21", order_total="")],
    "channel_order_total_format": [line("M-22", order_total="four")],
    "channel_order_total_arithmetic": [line("M-23", order_total="5.00")],
    "channel_order_total_minimum": [line("M-24", unit_price="0.00", line_total="0.00", order_total="0.00")],
    "channel_order_total_maximum": [
        line("M-25", quantity="3", unit_price="4000.00", line_total="12000.00", order_total="12000.00")
    ],
    "channel_unit_price_list": [line("M-26", unit_price="4.60", line_total="4.60", order_total="4.60")],
    "channel_customer_known": [line("M-27", customer_id="C999")],
    "channel_credit_limit": [
        line("M-28", customer_id="C2", quantity="20", line_total="90.00", order_total="90.00"),
        line("M-29", customer_id="C2", quantity="20", line_total="90.00", order_total="90.00"),
    ],
    "channel_requested_delivery_date_format": [line("M-30", requested_delivery_date="tomorrow")],
    "channel_delivery_date_feasible": [line("M-31", customer_id="C2", requested_delivery_date="2026-11-22")],
    "channel_ship_to_required": [line("M-32", ship_to_city="")],
    "channel_ship_to_country_known": [line("M-33", ship_to_country="ZZ")],
    "channel_ship_to_postal_code_format": [line("M-34", ship_to_country="GB", ship_to_postal_code="12345")],
    "channel_payment_method_required": [line("M-35", payment_method="")],
    "channel_payment_method_accepted": [line("M-36", payment_method="bitcoin")],
    "channel_operator_required": [line("M-37", operator_id="")],
}

CLEAN = [
    line("G-2"),
    # two lines with a discount, a customer with delivery days, a GB address in lower case
    line(
        "G-3",
        customer_id="C7",
        discount_amount="0.50",
        line_total="4.00",
        order_total="16.99",
        requested_delivery_date="2026-11-23",
        ship_to_country="gb",
        ship_to_postal_code="SW1A 1AA",
    ),
    line(
        "G-3",
        customer_id="C7",
        line_number="2",
        sku="SKU-200",
        unit_price="12.99",
        line_total="12.99",
        order_total="16.99",
        requested_delivery_date="2026-11-23",
        ship_to_country="gb",
        ship_to_postal_code="SW1A 1AA",
    ),
    line("G-4"),
]

REFERENCE = {
    "reference/stores.csv": "store_id,store_name,is_active\nS001,Downtown,true\n",
    "reference/products.csv": "sku,product_name,is_active\nSKU-100,Beans,true\nSKU-200,Press,true\nSKU-900,Mug,false\n",
    "reference/customers.csv": "customer_id,customer_name,is_active,credit_limit,delivery_days\n"
    "C1,Walk-in club,true,,\nC2,Account,true,100.00,MON;THU\nC7,Account two,true,100.00,mon thu\n",
    "reference/prices.csv": "sku,unit_price\nSKU-100,4.50\nSKU-200,12.99\n",
}

OMS_DAY1 = [
    "OMS-1,MANUAL,G-1,,,CREATED,4.50,USD,2026-11-20T09:05:00Z",
    # matched after trimming and upper-casing, with another total
    "OMS-3,manual, g-3 ,,,CREATED,17.99,USD,2026-11-20T10:05:00Z",
    # the same id from another channel does not match a manual order
    "OMS-9,WEB,G-2,,,CREATED,4.50,USD,2026-11-20T10:05:00Z",
]
OMS_DAY2 = ["OMS-4,MANUAL,G-4,,,CREATED,4.50,USD,2026-11-21T08:00:00Z"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dbt_dirs: dict[str, Path]) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("channel_rules")
    case_lines: list[str] = []
    first_line_of: dict[str, int] = {}
    for rule, lines in CHANNEL_CASES.items():
        first_line_of[rule] = len(CLEAN) + len(case_lines) + 2
        case_lines.extend(lines)
    drop = write_files(
        tmp / "drop",
        {
            "manual/manual_orders_20261119.csv": manual_file(line("G-1", business_date="2026-11-19")),
            "manual/manual_orders_20261120.csv": manual_file(*CLEAN, *case_lines),
            "oms/oms_orders_20261120.csv": oms_file(*OMS_DAY1),
            "oms/oms_orders_20261121.csv": oms_file(*OMS_DAY2),
            # names a channel folder does not know: ignored, reported as the channel's
            "web/orders_20261120.json": '{"orders": []}',
            "manual/manual_orders_2026-11-20.csv": manual_file(line("X-1")),
            **REFERENCE,
        },
    )
    db = tmp / "recon.duckdb"
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    result = dbt_runner(dbt_dirs)(db, "build")
    return {"db": db, "first_line_of": first_line_of, "build": result}


def test_the_build_passes_its_tests(built):
    result = built["build"]
    assert result.returncode == 0, result.stdout[-3000:]


def test_each_channel_rule_fails_its_case_on_its_line(built):
    findings = query(
        built["db"],
        "select rule_id, source_file, source_line, source_position, source_system from marts.fct_validation_errors"
        " where rule_id like 'channel_%'",
    )
    found = {(rule, file, line_no) for rule, file, line_no, _, _ in findings}
    for rule, first_line in built["first_line_of"].items():
        assert (rule, "manual/manual_orders_20261120.csv", first_line) in found, rule
    assert {system for *_, system in findings} == {"MANUAL"}
    assert all(position == f"line {line_no}" for _, _, line_no, position, _ in findings)


def test_clean_orders_have_no_findings_and_reach_the_validated_layer(built):
    clean_lines = set(range(2, len(CLEAN) + 2))
    findings = query(
        built["db"],
        "select source_line, rule_id from marts.fct_validation_errors "
        "where source_file = 'manual/manual_orders_20261120.csv'",
    )
    assert [f for f in findings if f[0] in clean_lines] == []
    validated = query(
        built["db"],
        "select order_id, count(*), min(source_file) from marts.order_staging_validated "
        "where channel = 'MANUAL' group by order_id",
    )
    by_order = {order_id: (count, file) for order_id, count, file in validated}
    # the clean orders, the first copy of G-1, and the orders with warnings only
    warned = {"M-24", "M-25", "M-26", "M-28", "M-29", "M-31"}
    assert set(by_order) == {"G-1", "G-2", "G-3", "G-4"} | warned
    assert by_order["G-1"] == (1, "manual/manual_orders_20261119.csv")
    assert by_order["G-3"][0] == 2


def test_every_channel_order_is_reconciled_against_its_channel(built):
    rows = {
        row["order_id"]: row
        for row in query_dicts(
            built["db"],
            "select * from marts.fct_channel_order_reconciliation where channel = 'MANUAL'",
        )
    }
    assert rows["G-1"]["recon_status"] == "matched" and rows["G-1"]["match_method"] == "exact"
    assert rows["G-1"]["business_date"].isoformat() == "2026-11-19"  # its earliest file
    assert rows["G-1"]["is_late_match"] is True
    # OMS-9 carries G-2 from the WEB channel: not the manual order
    assert rows["G-2"]["recon_status"] == "missing_in_oms" and rows["G-2"]["oms_order_id"] is None
    assert rows["G-3"]["match_method"] == "normalized" and rows["G-3"]["has_amount_mismatch"] is True
    assert rows["G-4"]["is_late_match"] is True and rows["G-4"]["oms_order_id"] == "OMS-4"
    assert rows["M-7"]["has_validation_errors"] is True and rows["G-2"]["has_validation_errors"] is False
    assert rows["G-3"]["source_position"] == "line 3"


def test_the_channel_figures_add_up_and_raise_the_alert(built):
    summary = query_dicts(
        built["db"], "select * from marts.rpt_channel_summary where channel = 'MANUAL' order by business_date"
    )
    recon = query(
        built["db"],
        "select business_date, count(*), count(*) filter (where recon_status = 'matched') "
        "from marts.fct_channel_order_reconciliation where channel = 'MANUAL' group by 1 order by 1",
    )
    assert [(row["business_date"], row["orders"], row["matched_orders"]) for row in summary] == recon
    metrics = query_dicts(
        built["db"],
        "select * from marts.rpt_source_metrics where source_system = 'MANUAL' and business_date = '2026-11-20'",
    )
    assert len(metrics) == 1
    assert metrics[0]["is_error_rate_alert"] is True
    assert metrics[0]["orders_with_errors"] > 0 and metrics[0]["orders"] >= metrics[0]["orders_with_errors"]


def test_an_unknown_name_in_a_channel_folder_is_reported_to_that_channel(built):
    ignored = query(
        built["db"],
        "select source_system, source_file, message from marts.fct_validation_errors where rule_id = 'file_ignored' "
        "order by source_file",
    )
    assert [(system, file) for system, file, _ in ignored] == [
        ("MANUAL", "manual/manual_orders_2026-11-20.csv"),
        ("WEB", "web/orders_20261120.json"),
    ]
    assert all("web/web_orders_YYYYMMDD" in message for *_, message in ignored)
