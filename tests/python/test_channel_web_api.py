"""The web (JSON) and API (JSON or XML) channels: the readers land one raw row per order with its
position, reject a bad file whole naming where it is bad (an XML bomb, DTD or external entity
among them) while the other files of the drop land, and dbt maps the orders to the channel
order lines (docs/channels.md)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, dbt_runner, query, query_dicts, write_files

from loaders.cli import main as loader_main

CHANNEL_FIXTURES = FIXTURES / "channels"
GOOD_WEB = ("web/web_orders_20261201_good.jsonl", '{"id": 1, "line_items": []}\n')
GOOD_API = ("api/api_orders_20261201_good.json", '{"source": "s", "order": {"order_reference": "G-1"}}')


def manifest(db: Path) -> dict[str, tuple[str, str | None]]:
    rows = query(db, "select file_name, status, reject_reason from raw.file_manifest")
    return {name: (status, reason) for name, status, reason in rows}


# --- the readers (no dbt) --------------------------------------------------------------------


def test_web_documents_and_json_lines_land_one_row_per_order_with_its_position(tmp_path, ingest, db_path):
    document = json.dumps({"orders": [{"id": 1, "line_items": []}, {"id": 2, "price": 1.10}]}, indent=2)
    lines = '\ufeff{"id": 10}\n\n  \n{"id": 11, "note": "é"}\r\n{"id": 12}'  # BOM, blank lines, CR LF, no last LF
    drop = write_files(
        tmp_path / "drop",
        {
            "web/web_orders_20261201.json": document,
            "web/web_orders_20261201_b.ndjson": lines,
            "web/web_orders_20261201_one.jsonl": '{"id": 20, "line_items": []}\n',  # one order: JSON lines
        },
    )
    code, output = ingest(drop)
    assert code == 0, output
    rows = query(
        db_path,
        "select _source_file, _source_line, _source_position, json_extract_string(document, '$.id'), "
        "_file_sha256 = m.sha256 from raw.web_orders join raw.file_manifest as m on _load_id = m.load_id "
        "order by _source_file, _source_position",
    )
    assert rows == [
        ("web/web_orders_20261201.json", None, "$.orders[0]", "1", True),
        ("web/web_orders_20261201.json", None, "$.orders[1]", "2", True),
        ("web/web_orders_20261201_b.ndjson", 1, "line 1", "10", True),
        ("web/web_orders_20261201_b.ndjson", 4, "line 4", "11", True),
        ("web/web_orders_20261201_b.ndjson", 5, "line 5", "12", True),
        ("web/web_orders_20261201_one.jsonl", 1, "line 1", "20", True),
    ]
    # A line is kept as delivered (less its CR); a document's element as DuckDB's JSON text.
    assert query(db_path, "select document from raw.web_orders where _source_line = 4") == [
        ('{"id": 11, "note": "é"}',)
    ]
    assert {status for status, _ in manifest(db_path).values()} == {"loaded"}


def test_api_json_and_xml_payloads_land_as_json_objects_of_one_shape(tmp_path, ingest, db_path):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<orders source="mp-b">\n'
        "  <order><order_reference>X-1</order_reference><discount/>"
        "<lines><line><line_number>1</line_number><sku>S-1</sku></line>"
        "<line><line_number>2</line_number></line></lines>"
        "<ship_to><name>Grace</name><country>US</country></ship_to></order>\n"
        "  <order><order_reference>X-2</order_reference><lines/></order>\n</orders>\n"
    )
    drop = write_files(
        tmp_path / "drop",
        {
            "api/api_orders_20261201.xml": xml,
            "api/api_orders_20261201_one.xml": '<order source="mp-c"><order_reference>Y-1</order_reference></order>',
            "api/api_orders_20261201.json": '{"source": "mp-a", "orders": [{"order_reference": "A-1"}, {}]}',
            "api/api_orders_20261201_single.json": '{"order": {"order_reference": "A-2", "lines": []}}',
        },
    )
    code, output = ingest(drop)
    assert code == 0, output
    rows = query(
        db_path,
        "select _source_file, _source_line, _source_position, payload_format, integration_source, document "
        "from raw.api_orders order by _source_file, _source_position",
    )
    assert [row[:5] for row in rows] == [
        ("api/api_orders_20261201.json", None, "$.orders[0]", "json", "mp-a"),
        ("api/api_orders_20261201.json", None, "$.orders[1]", "json", "mp-a"),
        ("api/api_orders_20261201.xml", None, "/orders/order[1]", "xml", "mp-b"),
        ("api/api_orders_20261201.xml", None, "/orders/order[2]", "xml", "mp-b"),
        ("api/api_orders_20261201_one.xml", None, "/order", "xml", "mp-c"),
        ("api/api_orders_20261201_single.json", None, "$.order", "json", None),
    ]
    documents = {(row[0].split("_")[-1], row[2]): json.loads(row[5]) for row in rows}
    assert documents["20261201.xml", "/orders/order[1]"] == {
        "order_reference": "X-1",
        "discount": None,
        "lines": [{"line_number": "1", "sku": "S-1"}, {"line_number": "2"}],
        "ship_to": {"name": "Grace", "country": "US"},
    }
    assert documents["20261201.xml", "/orders/order[2]"] == {"order_reference": "X-2", "lines": []}
    assert documents["one.xml", "/order"] == {"order_reference": "Y-1"}  # the root's source is not a field
    assert documents["single.json", "$.order"] == {"order_reference": "A-2", "lines": []}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<orders source="x"><order><order_reference>&lol4;</order_reference></order></orders>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<orders source="x"><order><order_reference>&e;</order_reference></order></orders>
"""


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("web/web_orders_20261201.jsonl", '{"id": 1}\n\n{"id": 2,\n{"id": 3}\n', "line 3 is not valid JSON"),
        ("web/web_orders_20261201.jsonl", '{"id": 1}\n[1, 2]\n', "line 2 is an array, not an order object"),
        ("web/web_orders_20261201.jsonl", '"an order"\n', "line 1 is a string, not an order object"),
        (
            "web/web_orders_20261201.json",
            '{"orders": [\n  {"id": 1},\n  {"id": 2 "x": 3}\n]}\n',
            "not valid JSON at line 3, column 12",
        ),
        ("web/web_orders_20261201.json", '{"orders": [{"id": 1}, 7]}', "$.orders[1] is a number, not an order object"),
        ("web/web_orders_20261201.json", '{"orders": {"id": 1}}', "$.orders is an object, not an array"),
        ("web/web_orders_20261201.json", '{\n  "order": [{"id": 1}]\n}\n', 'the document has no "orders" array'),
        ("web/web_orders_20261201.json", "", "the file is empty"),
        ("web/web_orders_20261201.json", " \n\n", "the file is empty"),
        ("web/web_orders_20261201.json", b'{"id": 1}\n{"id": "\xe9"}\n', "line 2 (byte 18) is not valid UTF-8"),
        ("api/api_orders_20261201.xml", BILLION_LAUGHS, "the XML declares a DTD (<!DOCTYPE lolz>)"),
        ("api/api_orders_20261201.xml", EXTERNAL_ENTITY, "the XML declares a DTD (<!DOCTYPE x>)"),
        (
            "api/api_orders_20261201.xml",
            '<orders source="x">\n  <order><sku>1</skux></order>\n</orders>',
            "the XML cannot be parsed at line 2, column 18: mismatched tag",
        ),
        ("api/api_orders_20261201.xml", "<payload><order/></payload>", "the XML root element is <payload>"),
        ("api/api_orders_20261201.xml", "<orders><order/><note/></orders>", "/orders/note[2] is <note>"),
        (
            "api/api_orders_20261201.xml",
            "<orders><order><sku>1</sku><sku>2</sku></order></orders>",
            "/orders/order[1]/sku appears more than once",
        ),
        (
            "api/api_orders_20261201.xml",
            "<order><lines><line/><item/></lines></order>",
            "/order/lines/item is in <lines>, which holds only <line> elements",
        ),
        ("api/api_orders_20261201.json", '{"source": "s",\n "orders": [}', "not valid JSON at line 2, column 13"),
        ("api/api_orders_20261201.json", '[{"order_reference": "A"}]', "the payload is an array, not an object"),
        ("api/api_orders_20261201.json", '{"source": "s", "orders": [{}, "x"]}', "$.orders[1] is a string, not"),
        ("api/api_orders_20261201.json", '{"source": "s", "order": [{}]}', "$.order is an array, not an order object"),
        ("api/api_orders_20261201.json", '{"source": "s", "data": []}', 'the payload has neither "orders" nor "order"'),
        ("api/api_orders_20261201.json", '{"source": "s", "order": {}, "orders": []}', 'both "orders" and "order"'),
    ],
    ids=[
        "web line not JSON",
        "web line an array",
        "web line a string",
        "web document not JSON",
        "web element not an object",
        "web orders not an array",
        "web document without orders",
        "web empty",
        "web blank",
        "web not UTF-8",
        "xml billion laughs",
        "xml external entity",
        "xml malformed",
        "xml unknown root",
        "xml not an order",
        "xml repeated field",
        "xml not a line",
        "api JSON not JSON",
        "api JSON an array",
        "api element not an object",
        "api order not an object",
        "api neither",
        "api both",
    ],
)
def test_a_bad_file_is_rejected_whole_naming_where_while_the_drop_lands(
    tmp_path, ingest, db_path, name, content, expected
):
    drop = write_files(tmp_path / "drop", {name: content, GOOD_WEB[0]: GOOD_WEB[1], GOOD_API[0]: GOOD_API[1]})
    code, output = ingest(drop)
    assert code == 1, output
    assert f"REJECTED   {name}: " in output and expected in output, output
    files = manifest(db_path)
    assert files[name][0] == "rejected" and expected in files[name][1]
    assert files[GOOD_WEB[0]] == ("loaded", None) and files[GOOD_API[0]] == ("loaded", None)
    # Nothing of the bad file landed; the good ones did.
    table = "web_orders" if name.startswith("web/") else "api_orders"
    assert query(db_path, f"select count(*) from raw.{table} where _source_file = ?", [name]) == [(0,)]  # noqa: S608
    assert query(db_path, "select count(*) from raw.web_orders union all select count(*) from raw.api_orders") == [
        (1,),
        (1,),
    ]


# --- the order lines (one dbt build) ---------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_dirs) -> Path:
    """The fixture files of both channels with the reference snapshots, landed and built once."""
    base = tmp_path_factory.mktemp("webapi")
    drop = base / "drop"
    shutil.copytree(CHANNEL_FIXTURES, drop)
    shutil.copytree(FIXTURES / "drops" / "contract_example" / "reference", drop / "reference")
    db = base / "recon.duckdb"
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db)]) == 0
    result = dbt_runner(dbt_dirs)(
        db, "build", "--indirect-selection", "cautious", "-s", "+stg_web__order_lines", "+stg_api__order_lines"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return db


def lines(db: Path, model: str) -> dict[str, dict[str, object]]:
    rows = query_dicts(db, f"select * from staging.{model}")  # noqa: S608 - a model name of this test
    by_position = {f"{row['source_file'].split('/')[1]} {row['source_position']}": row for row in rows}
    assert len(by_position) == len(rows) == len({row["record_id"] for row in rows})
    return by_position


@pytest.mark.dbt
def test_web_orders_map_to_channel_lines(built):
    rows = lines(built, "stg_web__order_lines")
    assert sorted(rows) == [
        "web_orders_20261201.json $.orders[0].line_items[0]",
        "web_orders_20261201.json $.orders[0].line_items[1]",
        "web_orders_20261201.json $.orders[1]",
        "web_orders_20261202_hourly.jsonl line 1: $.line_items[0]",
        "web_orders_20261202_hourly.jsonl line 3: $.line_items[0]",
    ]
    first = rows["web_orders_20261201.json $.orders[0].line_items[0]"]
    assert {key: first[key] for key in ("record_id", "channel", "source_line", "order_position")} == {
        "record_id": f"{first['load_id']}:$.orders[0].line_items[0]",
        "channel": "WEB",
        "source_line": None,
        "order_position": "$.orders[0]",
    }
    assert first["file_business_date"] == date(2026, 12, 1)
    assert (first["order_id"], first["order_key"], first["customer_id"], first["partner_id"]) == (
        "5001001",
        "5001001",
        "7001",
        None,
    )
    assert first["ordered_at_text"] == "2026-12-01T10:15:00-05:00"
    assert first["ordered_at"] == datetime(2026, 12, 1, 15, 15)  # the offset applied: UTC
    assert (first["line_number_text"], first["line_number"], first["sku"], first["quantity"]) == ("1", 1, "SKU-100", 2)
    assert (first["unit_price"], first["discount_amount"]) == (Decimal("19.99"), Decimal("1.00"))
    assert (first["line_total_text"], first["line_total"]) == (None, Decimal("38.98"))  # 2 * 19.99 - 1.00
    # total_price includes tax 3.04 and shipping 5.00: the lines add up to 52.52 - 8.04.
    assert (first["order_total_text"], first["order_total"], first["order_charges"]) == (
        "52.52",
        Decimal("52.52"),
        Decimal("8.04"),
    )
    second = rows["web_orders_20261201.json $.orders[0].line_items[1]"]
    # A JSON number is its text; no total_discount means none.
    assert (second["unit_price_text"], second["discount_amount_text"], second["line_total"]) == (
        "5.5",
        None,
        Decimal("5.50"),
    )
    assert first["line_total"] + second["line_total"] == first["order_total"] - first["order_charges"]
    assert (
        first["ship_to_name"],
        first["ship_to_address1"],
        first["ship_to_city"],
        first["ship_to_postal_code"],
        first["ship_to_country"],
    ) == ("Ada Lovelace", "1 Main St", "Springfield", "12345", "US")
    assert first["payment_method"] == "shopify_payments"  # the first gateway, lower case
    # An order without items: one row, its line fields null.
    empty = rows["web_orders_20261201.json $.orders[1]"]
    assert (empty["order_id"], empty["line_number"], empty["sku"], empty["line_total"]) == ("5001002", None, None, None)
    assert empty["ordered_at"] == datetime(2026, 12, 1, 22, 30)
    assert empty["order_charges"] == Decimal("0.00")  # no tax, no shipping delivered
    # JSON lines: the line number; malformed values kept as text beside a null typed value.
    bad = rows["web_orders_20261202_hourly.jsonl line 1: $.line_items[0]"]
    assert (bad["source_line"], bad["order_position"]) == (1, "line 1")
    assert (bad["quantity_text"], bad["quantity"], bad["unit_price_text"], bad["unit_price"]) == (
        "two",
        None,
        "4.5O",
        None,
    )
    assert bad["line_total"] is None and bad["payment_method"] == "manual"
    late = rows["web_orders_20261202_hourly.jsonl line 3: $.line_items[0]"]
    assert (late["source_line"], late["order_id"], late["ordered_at_text"], late["ordered_at"]) == (
        3,
        "5002002",  # trimmed
        "yesterday",
        None,
    )
    assert (late["line_total"], late["order_charges"]) == (Decimal("2.50"), None)  # a malformed total_tax


@pytest.mark.dbt
def test_api_orders_map_to_channel_lines(built):
    rows = lines(built, "stg_api__order_lines")
    assert sorted(rows) == [
        "api_orders_20261201.json $.orders[0].lines[0]",
        "api_orders_20261201.json $.orders[0].lines[1]",
        "api_orders_20261201.json $.orders[1]",
        "api_orders_20261201_partner.xml /orders/order[1]/lines/line[1]",
        "api_orders_20261201_partner.xml /orders/order[1]/lines/line[2]",
        "api_orders_20261201_partner.xml /orders/order[2]",
        "api_orders_20261201_single.json $.order.lines[0]",
    ]
    batch = rows["api_orders_20261201.json $.orders[0].lines[0]"]
    assert {
        key: batch[key]
        for key in (
            "channel",
            "order_position",
            "order_id",
            "customer_id",
            "partner_id",
            "ordered_at",
            "currency",
            "line_number",
            "sku",
            "quantity",
            "unit_price",
            "discount_amount",
            "line_total_text",
            "line_total",
            "order_total",
            "order_charges",
            "requested_delivery_date",
            "ship_to_name",
            "ship_to_address1",
            "ship_to_city",
            "ship_to_postal_code",
            "ship_to_country",
            "payment_method",
        )
    } == {
        "channel": "API",
        "order_position": "$.orders[0]",
        "order_id": "MA-1001",
        "customer_id": "C0001",
        "partner_id": "marketplace-a",
        "ordered_at": datetime(2026, 12, 1, 10, 0),
        "currency": "USD",
        "line_number": 1,
        "sku": "SKU-100",
        "quantity": 1,
        "unit_price": Decimal("10.00"),
        "discount_amount": Decimal("0.00"),
        "line_total_text": "10.00",
        "line_total": Decimal("10.00"),
        "order_total": Decimal("16.00"),
        "order_charges": Decimal("0.00"),
        "requested_delivery_date": date(2026, 12, 3),
        "ship_to_name": "Ada Lovelace",
        "ship_to_address1": "1 Main St",
        "ship_to_city": "Springfield",
        "ship_to_postal_code": "12345",
        "ship_to_country": "US",
        "payment_method": "card",
    }
    typo = rows["api_orders_20261201.json $.orders[0].lines[1]"]
    assert (typo["line_total_text"], typo["line_total"]) == ("6.0O", None)  # kept as delivered
    no_lines = rows["api_orders_20261201.json $.orders[1]"]
    assert (no_lines["line_number_text"], no_lines["sku"], no_lines["ordered_at"]) == (
        None,
        None,
        datetime(2026, 12, 1, 9, 0),
    )
    assert (no_lines["requested_delivery_date_text"], no_lines["requested_delivery_date"]) == ("03.12.2026", None)
    single = rows["api_orders_20261201_single.json $.order.lines[0]"]
    assert (single["order_position"], single["partner_id"], single["order_id"]) == ("$.order", None, "MA-2001")
    # JSON numbers become their text, and parse.
    assert (single["unit_price_text"], single["line_total_text"], single["order_total_text"]) == ("2.25", "9", "9")
    assert (single["line_total"], single["order_total"]) == (Decimal("9.00"), Decimal("9.00"))
    xml = rows["api_orders_20261201_partner.xml /orders/order[1]/lines/line[2]"]
    assert (xml["record_id"], xml["order_position"], xml["source_line"]) == (
        f"{xml['load_id']}:/orders/order[1]/lines/line[2]",
        "/orders/order[1]",
        None,
    )
    assert (xml["order_id"], xml["partner_id"], xml["ordered_at"]) == (
        "MB-1",
        "marketplace-b",
        datetime(2026, 12, 1, 17, 30),
    )
    assert (xml["line_number"], xml["quantity_text"], xml["quantity"], xml["discount_amount_text"]) == (
        2,
        "1,5",
        None,
        None,
    )
    assert (xml["ship_to_name"], xml["ship_to_country"], xml["payment_method"]) == ("Grace Hopper", "US", "paypal")
    assert rows["api_orders_20261201_partner.xml /orders/order[2]"]["line_number"] is None  # <lines/>
