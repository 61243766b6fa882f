"""The generator's order channels (docs/channels.md): each channel's files, named as the contract
classifies them, with valid syntax and the counts asked for; X12 envelopes whose counts and
control numbers agree; totals that add up; the OMS file listing each channel order but a
missing share; the incident's bad records; --no-channels; determinism; --next-day. No dbt."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from defusedxml import ElementTree

from loaders.contract import API_ORDERS, EDI_850, MANUAL_ORDERS, PARTNERS, WEB_ORDERS, classify
from recon_tools.generate_drop import generate, main

DATES = ("20261116", "20261117")
VOLUMES = {"web_orders": 400, "edi_orders": 60, "api_orders": 9, "manual_orders": 6}
CURRENCIES = {row["currency_code"] for row in csv.DictReader((PROJECT_ROOT / "seeds" / "currencies.csv").open())}
POSTAL_CODES = {
    "US": r"[0-9]{5}",
    "DE": r"[0-9]{5}",
    "FR": r"[0-9]{5}",
    "NL": r"[1-9][0-9]{3} [A-Z]{2}",
    "CA": r"[A-Z][0-9][A-Z] [0-9][A-Z][0-9]",
    "GB": r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}",
}
PAYMENTS = {"WEB": {"shopify_payments", "paypal", "gift_card"}, "API": {"card", "invoice", "paypal"}}
PAYMENTS["MANUAL"] = {"card", "cash", "invoice"}
# docs/channels.md's manual-entry columns, in its order
MANUAL_COLUMNS = [
    "order_id",
    "operator_id",
    "business_date",
    "order_ts",
    "customer_id",
    "currency",
    "line_number",
    "sku",
    "quantity",
    "unit_price",
    "discount_amount",
    "line_total",
    "order_total",
    "requested_delivery_date",
    "ship_to_name",
    "ship_to_address1",
    "ship_to_city",
    "ship_to_postal_code",
    "ship_to_country",
    "payment_method",
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def active_skus(drop: Path) -> set[str]:
    return {row["sku"] for row in read_csv(drop / "reference" / "products.csv") if row["is_active"] == "true"}


def check_ship_to(country: str, postal_code: str, currency: str) -> None:
    assert country in POSTAL_CODES, country
    assert re.fullmatch(POSTAL_CODES[country], postal_code), (country, postal_code)
    assert currency in CURRENCIES


def web_orders(path: Path) -> list[dict]:
    text = path.read_text()
    if path.suffix == ".json":
        return json.loads(text)["orders"]
    return [json.loads(line) for line in text.splitlines()]


def interchanges(text: str) -> list[dict]:
    """Split an X12 file into interchanges with the delimiters each ISA declares (docs/channels.md)."""
    found, position = [], 0
    while text[position:].strip():
        while text[position] in "\r\n":
            position += 1
        assert text.startswith("ISA", position), text[position : position + 20]
        element, component, terminator = text[position + 3], text[position + 104], text[position + 105]
        segments = []
        while not segments or segments[-1][0] != "IEA":
            end = text.index(terminator, position)
            segments.append(text[position:end].strip("\r\n").split(element))
            position = end + 1
        assert len(segments[0]) == 17 and len("*".join(segments[0])) == 105, segments[0]
        found.append({"element": element, "component": component, "segments": segments})
    return found


def edi_orders(text: str) -> list[dict]:
    """Each transaction set of a file as an order, its envelope checked; raises on an inconsistency."""
    orders = []
    for interchange in interchanges(text):
        segments = interchange["segments"]
        isa, iea = segments[0], segments[-1]
        assert iea == ["IEA", "1", isa[13]]
        gs, ge = segments[1], segments[-2]
        assert gs[0] == "GS" and ge[0] == "GE" and ge[2] == gs[6]
        assert gs[8] == {"00401": "004010", "00501": "005010"}[isa[12]]
        sets: list[list[list[str]]] = []
        for segment in segments[2:-2]:
            if segment[0] == "ST":
                sets.append([])
            sets[-1].append(segment)
        assert int(ge[1]) == len(sets)
        for transaction in sets:
            st, se = transaction[0], transaction[-1]
            assert st[:2] == ["ST", "850"] and se[0] == "SE" and se[2] == st[2]
            lines = [s for s in transaction if s[0] == "PO1"]
            (ctt,) = [s for s in transaction if s[0] == "CTT"]
            (amt,) = [s for s in transaction if s[0] == "AMT" and s[1] == "TT"]
            orders.append(
                {
                    "isa": isa,
                    "gs": gs,
                    "se_ok": int(se[1]) == len(transaction),
                    "ctt_ok": int(ctt[1]) == len(lines),
                    "total_ok": Decimal(amt[2]) == sum(Decimal(p[2]) * Decimal(p[4]) for p in lines),
                    "segments": transaction,
                    "lines": lines,
                    "element": interchange["element"],
                }
            )
    return orders


def api_orders(path: Path) -> list[dict]:
    if path.suffix == ".json":
        return json.loads(path.read_text())["orders"]
    root = ElementTree.fromstring(path.read_bytes())
    assert root.tag == "orders" and root.get("source")
    orders = []
    for order in root.findall("order"):
        fields = {child.tag: child.text for child in order if child.tag not in ("lines", "ship_to")}
        fields["lines"] = [{c.tag: c.text for c in line} for line in order.find("lines")]
        fields["ship_to"] = {c.tag: c.text for c in order.find("ship_to")}
        orders.append(fields)
    return orders


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("channels") / "drop"
    generate(out, days=len(DATES), orders_per_day=200, seed=5, extras=False, **VOLUMES)
    return out


def channel_files(drop: Path) -> list[Path]:
    return sorted(p for sub in ("web", "edi", "api", "manual") for p in (drop / sub).glob("*") if p.is_file())


def test_each_channel_file_is_named_as_the_contract_classifies_it(drop):
    kinds = Counter()
    for path in channel_files(drop):
        classified = classify(path.relative_to(drop).as_posix())
        assert classified.kind is not None, classified.skip_reason
        assert classified.business_date.strftime("%Y%m%d") in path.name
        kinds[classified.kind.name] += 1
    # per date: one web document, three hourly EDI batches, two JSON and one XML payload, one manual file
    assert kinds == {
        WEB_ORDERS.name: 2,
        EDI_850.name: 6,
        API_ORDERS.name: 6,
        MANUAL_ORDERS.name: 2,
    }
    assert classify("reference/partners.csv").kind is PARTNERS
    partners = read_csv(drop / "reference" / "partners.csv")
    assert 3 <= len(partners) <= 5
    assert set(partners[0]) == {"partner_id", *PARTNERS.optional_columns}


def test_web_orders_add_up_with_known_skus_currencies_and_addresses(drop):
    skus = active_skus(drop)
    for stamp in DATES:
        orders = web_orders(drop / "web" / f"web_orders_{stamp}.json")
        assert len(orders) == VOLUMES["web_orders"]
        for order in orders:
            lines = sum(Decimal(i["price"]) * i["quantity"] - Decimal(i["total_discount"]) for i in order["line_items"])
            shipping = order["total_shipping_price_set"]["shop_money"]
            assert Decimal(order["total_price"]) == lines + Decimal(order["total_tax"]) + Decimal(shipping["amount"])
            assert {i["sku"] for i in order["line_items"]} <= skus
            assert shipping["currency_code"] == order["currency"]
            address = order["shipping_address"]
            check_ship_to(address["country_code"], address["zip"], order["currency"])
            assert order["payment_gateway_names"][0] in PAYMENTS["WEB"]
            assert re.fullmatch(r"C[0-9]{5}", order["customer"]["id"])
            assert order["created_at"].startswith(f"{stamp[:4]}-{stamp[4:6]}-")
        assert len({o["id"] for o in orders}) == len(orders)


def test_edi_envelopes_counts_and_totals_are_consistent(drop):
    partners = {row["isa_id"]: row for row in read_csv(drop / "reference" / "partners.csv")}
    control_numbers, versions, separators = [], set(), set()
    for stamp in DATES:
        files = sorted((drop / "edi").glob(f"edi_850_{stamp}_*.x12"))
        assert [p.name[-6:-4] for p in files] == ["08", "13", "18"]
        control_numbers += [i["segments"][0][13] for path in files for i in interchanges(path.read_text())]
        orders = [order for path in files for order in edi_orders(path.read_text())]
        assert len(orders) == VOLUMES["edi_orders"]
        for order in orders:
            assert order["se_ok"] and order["ctt_ok"] and order["total_ok"]
            partner = partners[order["isa"][6].strip()]
            assert partner["is_active"] == "true" and order["gs"][2] == partner["gs_id"]
            assert order["isa"][5] == partner["isa_qualifier"]
            by_id = {segment[0]: segment for segment in order["segments"]}
            assert by_id["N1"][1] == "ST" and by_id["DTM"][1] == "002" and by_id["BEG"][5] == stamp
            check_ship_to(by_id["N4"][4], by_id["N4"][3], by_id["CUR"][2])
            assert all(line[6] == "VP" and line[7] in active_skus(drop) for line in order["lines"])
            versions.add(order["gs"][8])
            separators.add(order["element"])
    assert versions == {"004010", "005010"} and separators == {"*", "|"}
    # a control number per interchange, never reused over the dates
    assert len(control_numbers) == len(set(control_numbers)) > len(DATES) * 3
    assert all(re.fullmatch(r"[0-9]{9}", c) and int(c) > 0 for c in control_numbers)


def test_api_payloads_and_manual_entries_add_up(drop):
    skus = active_skus(drop)
    for stamp in DATES:
        files = sorted((drop / "api").glob(f"api_orders_{stamp}_*"))
        assert sorted(p.suffix for p in files) == [".json", ".json", ".xml"]
        orders = [order for path in files for order in api_orders(path)]
        assert len(orders) == VOLUMES["api_orders"]
        for order in orders:
            for line in order["lines"]:
                computed = Decimal(line["unit_price"]) * int(line["quantity"]) - Decimal(line["discount"])
                assert Decimal(line["line_total"]) == computed
                assert line["sku"] in skus
            assert Decimal(order["order_total"]) == sum(Decimal(line["line_total"]) for line in order["lines"])
            check_ship_to(order["ship_to"]["country"], order["ship_to"]["postal_code"], order["currency"])
            assert order["payment_method"] in PAYMENTS["API"]
        rows = read_csv(drop / "manual" / f"manual_orders_{stamp}.csv")
        assert list(rows[0]) == MANUAL_COLUMNS
        assert len({row["order_id"] for row in rows}) == VOLUMES["manual_orders"]
        for row in rows:
            assert row["operator_id"] and row["sku"] in skus and row["payment_method"] in PAYMENTS["MANUAL"]
            computed = Decimal(row["unit_price"]) * int(row["quantity"]) - Decimal(row["discount_amount"])
            assert Decimal(row["line_total"]) == computed
            check_ship_to(row["ship_to_country"], row["ship_to_postal_code"], row["currency"])
        for order_id in {row["order_id"] for row in rows}:
            lines = [row for row in rows if row["order_id"] == order_id]
            assert {Decimal(row["order_total"]) for row in lines} == {sum(Decimal(r["line_total"]) for r in lines)}


def channel_totals(drop: Path, stamp: str) -> dict[tuple[str, str], Decimal]:
    """{(channel, order id): total} of one date's channel files, as the OMS should list them."""
    totals = {
        ("WEB", str(o["id"])): Decimal(o["total_price"]) for o in web_orders(drop / "web" / f"web_orders_{stamp}.json")
    }
    partners = {row["isa_id"]: row["partner_id"] for row in read_csv(drop / "reference" / "partners.csv")}
    for path in (drop / "edi").glob(f"edi_850_{stamp}_*.x12"):
        for order in edi_orders(path.read_text()):
            po = next(s for s in order["segments"] if s[0] == "BEG")[3]
            amount = next(s for s in order["segments"] if s[0] == "AMT")[2]
            totals[("EDI", f"{partners[order['isa'][6].strip()]}-{po}")] = Decimal(amount)
    for path in (drop / "api").glob(f"api_orders_{stamp}_*"):
        totals.update({("API", o["order_reference"]): Decimal(o["order_total"]) for o in api_orders(path)})
    for row in read_csv(drop / "manual" / f"manual_orders_{stamp}.csv"):
        totals[("MANUAL", row["order_id"])] = Decimal(row["order_total"])
    return totals


def test_the_oms_file_lists_each_channel_order_but_a_missing_share(drop):
    missing = different = listed = 0
    for stamp in DATES:
        expected = channel_totals(drop, stamp)
        oms = [r for r in read_csv(drop / "oms" / f"oms_orders_{stamp}.csv") if r["source_system"] != "POS"]
        keys = [(r["source_system"], r["source_order_id"]) for r in oms]
        assert len(keys) == len(set(keys)) and set(keys) <= set(expected)  # no invented channel order
        assert all(r["store_id"] == "" for r in oms)
        for row in oms:
            assert row["currency"] in CURRENCIES
            different += Decimal(row["order_total"]) != expected[(row["source_system"], row["source_order_id"])]
        listed += len(oms)
        missing += len(expected) - len(oms)
    total = listed + missing
    # about 3 % missing and 1 % with another amount, as the POS's
    assert 0.01 * total < missing < 0.06 * total
    assert 0 < different < 0.03 * total


def test_the_command_line_writes_the_demo_mix_and_the_next_day_extends_it(tmp_path):
    out = tmp_path / "drop"
    assert main(["--out", str(out), "--days", "2", "--no-extras"]) == 0
    assert main(["--out", str(out), "--next-day"]) == 0
    ids: list[str] = []
    for stamp in (*DATES, "20261118"):
        web = web_orders(out / "web" / f"web_orders_{stamp}.json")
        edi = [o for p in (out / "edi").glob(f"edi_850_{stamp}_*.x12") for o in edi_orders(p.read_text())]
        api = [o for p in (out / "api").glob(f"api_orders_{stamp}_*") for o in api_orders(p)]
        manual = {row["order_id"] for row in read_csv(out / "manual" / f"manual_orders_{stamp}.csv")}
        assert (len(web), len(edi), len(api), len(manual)) == (30, 15, 5, 2), stamp
        ids += [str(o["id"]) for o in web] + [o["order_reference"] for o in api] + sorted(manual)
        ids += [next(s for s in o["segments"] if s[0] == "BEG")[3] for o in edi]
    assert len(ids) == len(set(ids))  # the next day continues every channel's numbering


def test_no_channels_writes_the_pos_and_oms_files_only(tmp_path):
    out = tmp_path / "drop"
    assert main(["--out", str(out), "--days", "2", "--no-channels", "--no-extras"]) == 0
    assert (
        sorted(p.relative_to(out).parts[0] for p in out.rglob("*") if p.is_file())
        == ["oms"] * 2 + ["pos"] * 2 + ["reference"] * 2
    )
    assert not (out / "reference" / "partners.csv").exists()
    # the OMS file as before: placeholder rows for the other channels, no channel's real order
    oms = read_csv(out / "oms" / f"oms_orders_{DATES[0]}.csv")
    others = [row["source_order_id"] for row in oms if row["source_system"] != "POS"]
    assert others and all(order_id.startswith("X-") for order_id in others)


def test_the_incident_adds_one_bad_record_per_channel_which_the_oms_never_got(tmp_path):
    out = tmp_path / "drop"
    assert main(["--out", str(out), "--days", "2", "--incident", "--no-extras"]) == 0
    last, earlier = DATES[-1], DATES[0]
    oms = {(r["source_system"], r["source_order_id"]) for r in read_csv(out / "oms" / f"oms_orders_{last}.csv")}

    def bad_web(stamp: str) -> list[dict]:
        orders = web_orders(out / "web" / f"web_orders_{stamp}.json")
        return [
            o
            for o in orders
            if Decimal(o["total_price"])
            != sum(Decimal(i["price"]) * i["quantity"] - Decimal(i["total_discount"]) for i in o["line_items"])
            + Decimal(o["total_tax"])
            + Decimal(o["total_shipping_price_set"]["shop_money"]["amount"])
        ]

    def bad_edi(stamp: str) -> list[dict]:
        return [o for p in (out / "edi").glob(f"edi_850_{stamp}_*.x12") for o in edi_orders(p.read_text())]

    (web,) = bad_web(last)
    assert bad_web(earlier) == [] and ("WEB", str(web["id"])) not in oms
    sets = bad_edi(last)
    (miscounted,) = [o for o in sets if not o["se_ok"]]
    assert all(o["se_ok"] for o in bad_edi(earlier))
    # the rejected functional group's orders never reached the OMS
    partner = {r["isa_id"]: r["partner_id"] for r in read_csv(out / "reference" / "partners.csv")}
    group = [o for o in sets if o["gs"][6] == miscounted["gs"][6]]
    for order in group:
        po = next(s for s in order["segments"] if s[0] == "BEG")[3]
        assert ("EDI", f"{partner[order['isa'][6].strip()]}-{po}") not in oms
    rows = read_csv(out / "manual" / f"manual_orders_{last}.csv")
    (unsigned,) = {row["order_id"] for row in rows if not row["operator_id"]}
    assert ("MANUAL", unsigned) not in oms
    assert all(row["operator_id"] for row in read_csv(out / "manual" / f"manual_orders_{earlier}.csv"))


def test_the_same_seed_writes_the_same_drop_and_json_lines_hold_the_same_orders(tmp_path, drop):
    again = tmp_path / "again"
    generate(again, days=len(DATES), orders_per_day=200, seed=5, extras=False, **VOLUMES)
    for path in channel_files(drop) + sorted((drop / "oms").glob("*.csv")):
        assert (again / path.relative_to(drop)).read_bytes() == path.read_bytes(), path.name
    lines = tmp_path / "lines"
    generate(lines, days=len(DATES), orders_per_day=200, seed=5, extras=False, web_format="jsonl", **VOLUMES)
    for stamp in DATES:
        as_lines = web_orders(lines / "web" / f"web_orders_{stamp}.jsonl")
        assert as_lines == web_orders(drop / "web" / f"web_orders_{stamp}.json")
    other = tmp_path / "other"
    generate(other, days=1, orders_per_day=200, seed=6, extras=False, **VOLUMES)
    first = f"web/web_orders_{DATES[0]}.json"
    assert (other / first).read_bytes() != (drop / first).read_bytes()
