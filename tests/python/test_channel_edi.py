"""The EDI channel: X12 850 files landed segment by segment, mapped to order lines, their
envelopes checked, and a 997 acknowledgement per functional group written once."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, dbt_runner, query, query_dicts, write_files

from loaders.contract import EDI_850
from loaders.database import ensure_raw_layer
from loaders.errors import FileRejected
from loaders.x12_load import land_x12
from recon_tools.acknowledge import main as acknowledge_main

EDI_FIXTURES = FIXTURES / "channels" / "edi"
PARTNERS = (
    "partner_id,partner_name,isa_qualifier,isa_id,gs_id,is_active,customer_id\n"
    "ACME,Acme Corp,ZZ,ACMEBUYER,ACMEGS,true,C0001\n"
    "GLOBEX,Globex,,GLOBEX,GLOBEXGS,true,C0002\n"
)


# --- building X12 ----------------------------------------------------------------------------


def isa(sender: str, control: str, *, version: str = "00401", e: str = "*", c: str = ">", r: str = "U") -> str:
    elements = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", "OURCOMPANY".ljust(15)]
    elements += ["261201", "1200", r, version, control, "0", "P", c]
    return e.join(elements)


def purchase_order(control: str, po_number: str, lines: int = 1, *, se_count: int | None = None,
                   se_control: str | None = None, ctt: int | None = None) -> list[str]:  # fmt: skip
    segments = ["ST*850*" + control, f"BEG*00*SA*{po_number}**20261201", "CUR*BY*USD", "N1*ST*Ada"]
    segments += [f"PO1*{n}*1*EA*2.50**VP*SKU-000{n}" for n in range(1, lines + 1)]
    segments += [f"CTT*{lines if ctt is None else ctt}"]
    count = len(segments) + 1 if se_count is None else se_count
    return [*segments, f"SE*{count}*{se_control or control}"]


def group(control: str, sets: list[list[str]], *, ge_count: int | None = None, ge_control: str | None = None,
          sender: str = "ACMEGS") -> list[str]:  # fmt: skip
    body = [segment for one in sets for segment in one]
    trailer = f"GE*{len(sets) if ge_count is None else ge_count}*{ge_control or control}"
    return [f"GS*PO*{sender}*OURGS*20261201*1200*{control}*X*004010", *body, trailer]


def interchange(sender: str, control: str, groups: list[list[str]], *, iea_control: str | None = None) -> list[str]:
    body = [segment for one in groups for segment in one]
    return [isa(sender, control), *body, f"IEA*{len(groups)}*{iea_control or control}"]


def x12(*segments: str, terminator: str = "~\n") -> str:
    return "".join(segment + terminator for segment in segments)


# --- the loader ------------------------------------------------------------------------------


def land(path: Path) -> tuple[int, list[dict[str, object]]]:
    con = duckdb.connect()
    ensure_raw_layer(con)
    result = land_x12(con, path, EDI_850, source_file=path.name, load_id=7, loaded_at="2026-12-01 06:00:00")
    cursor = con.execute("select * from raw.edi_segments order by _source_line")
    names = [column[0] for column in cursor.description]
    return result.rows, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_a_004010_file_lands_one_row_per_segment_with_its_number():
    rows, segments = land(EDI_FIXTURES / "edi_850_20261201_acme.x12")
    assert rows == len(segments) == 27
    assert [s["_source_line"] for s in segments] == list(range(1, 28))
    assert segments[0]["_source_position"] == "segment 1"
    assert [s["segment_id"] for s in segments[:4]] == ["ISA", "GS", "ST", "BEG"]
    assert sum(s["segment_id"] == "ST" for s in segments) == 2  # two purchase orders in one group
    po1 = segments[9]
    assert json.loads(po1["elements"]) == ["PO1", "1", "2", "EA", "10.00", "", "BP", "BUYER-SKU-0001", "VP", "SKU-0001"]
    assert po1["segment_text"] == "PO1*1*2*EA*10.00**BP*BUYER-SKU-0001*VP*SKU-0001"
    assert (po1["element_separator"], po1["component_separator"], po1["segment_terminator"]) == ("*", ">", "~")
    assert po1["repetition_separator"] is None  # 00401 has none
    assert {s["interchange_number"] for s in segments} == {"1"}


def test_a_005010_file_with_other_delimiters_lands_with_them():
    # elements |, repetition ^, components \, segments ! followed by CR LF
    rows, segments = land(EDI_FIXTURES / "edi_850_20261201_globex.edi")
    assert rows == 15
    isa_row, po1 = segments[0], segments[9]
    assert json.loads(isa_row["elements"])[12:] == ["00501", "000000202", "0", "P", "\\"]
    assert json.loads(po1["elements"])[:5] == ["PO1", "1", "5", "EA", "3.00"]
    assert "\r" not in po1["segment_text"] and "\n" not in po1["segment_text"]
    assert (po1["element_separator"], po1["component_separator"], po1["repetition_separator"]) == ("|", "\\", "^")
    assert po1["segment_terminator"] == "!"


def test_several_interchanges_of_one_file_are_numbered(tmp_path):
    first = interchange(
        "ACMEBUYER", "000000001", [group("1", [purchase_order("0001", "A1"), purchase_order("0002", "A2")])]
    )
    second = interchange("ACMEBUYER", "000000002", [group("2", [purchase_order("0001", "A3")])])
    path = tmp_path / "edi_850_20261201.x12"
    # a BOM and blank lines before the ISA are not part of the interchange
    path.write_bytes(b"\xef\xbb\xbf\r\n" + x12(*first, *second).encode())
    rows, segments = land(path)
    assert rows == len(first) + len(second)
    assert segments[len(first)]["segment_id"] == "ISA"
    assert segments[len(first)]["_source_line"] == len(first) + 1
    assert [s["interchange_number"] for s in segments].count("2") == len(second)


def test_each_interchange_of_a_file_uses_the_separators_its_isa_declares(tmp_path):
    # a batch from two partners: '*' and ':' in the first interchange, '|' and '^' in the second
    first = interchange("ACMEBUYER", "000000001", [group("1", [purchase_order("0001", "A1")])])
    second = [
        segment.replace("*", "|")
        for segment in interchange("GLOBEX", "000000002", [group("2", [purchase_order("0001", "G1")])])
    ]
    second[0] = isa("GLOBEX", "000000002", version="00501", e="|", c="^", r="!")
    path = tmp_path / "edi_850_20261201.x12"
    path.write_bytes(x12(*first, *second).encode())
    rows, segments = land(path)
    assert rows == len(first) + len(second)
    po1 = [s for s in segments if s["segment_id"] == "PO1"]
    assert [json.loads(s["elements"])[:3] for s in po1] == [["PO1", "1", "1"], ["PO1", "1", "1"]]
    assert [(s["element_separator"], s["component_separator"], s["repetition_separator"]) for s in po1] == [
        ("*", ">", None),
        ("|", "^", "!"),
    ]


GOOD = x12(*interchange("ACMEBUYER", "000000001", [group("1", [purchase_order("0001", "A1")])]))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"GS*PO*X~" + GOOD.encode(), "segment 1 does not start with ISA", id="no-isa"),
        pytest.param(b"ISA*00*  *00*~GS*PO~", "segment 1 (ISA) has 20 characters", id="isa-short"),
        pytest.param(
            GOOD.replace("ACMEBUYER      ", "ACMEBUYER", 1).encode(),
            "segment 1 (ISA) is not the fixed-width ISA",
            id="isa-not-fixed-width",
        ),
        pytest.param(
            (GOOD + x12(*interchange("ACMEBUYER", "000000002", [group("2", [])]), terminator="!\n"))
            .replace("*P*>~", "*P*>!")
            .replace("P*>!", "P*>~", 1)
            .encode(),
            "segment 12 is an ISA that is not the fixed-width ISA",
            id="later-isa-other-terminator",
        ),
        pytest.param(GOOD.replace("BEG*", "~BEG*").encode(), "segment 4 is empty", id="empty-segment"),
        pytest.param(GOOD.replace("CUR*", "C%R*").encode(), "segment 5 starts with no segment id", id="garbage-id"),
        pytest.param(GOOD.replace("N1*ST*Ada", "N1*ST*Ad\xe9").encode("latin-1"), "segment 6 (byte", id="not-utf8"),
    ],
)
def test_a_file_that_cannot_be_split_into_segments_is_rejected_naming_the_segment(tmp_path, content, expected):
    path = tmp_path / "edi_850_20261201.x12"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as caught:
        land(path)
    assert expected in str(caught.value)


# --- dbt: mapping, envelope checks, 997 -------------------------------------------------------

# One interchange of ACME with four groups: the first has a set of each set-level error
# and one good set (997: accepted with errors), the second a GE02 mismatch, the third a
# GE01 count mismatch, the fourth no transaction set while its GE01 says one.
ERRORS = interchange(
    "ACMEBUYER",
    "000000301",
    [
        group(
            "31",
            [
                purchase_order("0001", "E1", se_count=99),  # segments 3-9
                purchase_order("0002", "E2", se_control="0999"),  # 10-16
                purchase_order("0003", "E3", lines=2, ctt=5),  # 17-24
                purchase_order("0004", "E4"),  # 25-31
            ],
        ),  # GE 32
        group("32", [purchase_order("0001", "E5")], ge_control="33"),  # GS 33, ST 34, GE 41
        group("34", [purchase_order("0001", "E6")], ge_count=2),  # GS 42, ST 43, GE 50
        group("35", [], ge_count=1),  # GS 51, GE 52
    ],
)
# an IEA02 that is not ISA13, and a sender that is no partner
MISMATCH = interchange("ACMEBUYER", "000000401", [group("41", [purchase_order("0001", "M1")])], iea_control="000000499")
UNKNOWN = interchange("NOBODY", "000000501", [group("51", [purchase_order("0001", "U1")], sender="NOBODYGS")])
# a set that is no purchase order, and a group of an unsupported version
OTHER = interchange("ACMEBUYER", "000000701", [group("71", [["ST*860*0001", "BEG*04*SA*X9**20261201", "SE*3*0001"]])])
VERSION = interchange("ACMEBUYER", "000000801", [group("81", [purchase_order("0001", "V1")])])
VERSION[1] = VERSION[1].replace("*X*004010", "*X*003050")
# a file cut short in its first purchase order
CUT = [isa("GLOBEX", "000000601"), "GS*PO*GLOBEXGS*OURGS*20261201*1200*61*X*004010", *purchase_order("0001", "C1")[:5]]


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_dirs):
    from loaders.cli import main as loader_main

    root = tmp_path_factory.mktemp("edi")
    db = root / "recon.duckdb"
    reference = FIXTURES / "drops" / "contract_example" / "reference"
    drop = write_files(
        root / "drop",
        {
            "reference/stores.csv": (reference / "stores.csv").read_text(),
            "reference/products.csv": (reference / "products.csv").read_text(),
            "reference/partners.csv": PARTNERS,
            "edi/edi_850_20261201_acme.x12": (EDI_FIXTURES / "edi_850_20261201_acme.x12").read_bytes(),
            "edi/edi_850_20261201_globex.edi": (EDI_FIXTURES / "edi_850_20261201_globex.edi").read_bytes(),
            "edi/edi_850_20261202_errors.x12": x12(*ERRORS, *MISMATCH, *UNKNOWN, *OTHER, *VERSION),
            "edi/edi_850_20261202_cut.x12": x12(*CUT),
        },
    )
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db)]) == 0
    result = dbt_runner(dbt_dirs)(db, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return {"db": db, "root": root}


def test_purchase_orders_reach_the_channel_lines_with_their_fields(built):
    lines = query_dicts(
        built["db"],
        "select * from staging.stg_edi__order_lines where source_file = 'edi/edi_850_20261201_acme.x12' "
        "order by source_line",
    )
    assert [(line["order_id"], line["line_number"], line["sku"]) for line in lines] == [
        ("ACME-PO1001", 1, "SKU-0001"),  # the vendor part (VP), not the buyer's
        ("ACME-PO1001", 2, "SKU-0002"),
        ("ACME-PO1002", 1, "SKU-0003"),
    ]
    first = lines[0]
    assert first["record_id"] == f"{first['load_id']}:segment:10"
    assert (first["source_line"], first["source_position"], first["order_position"]) == (10, "segment 10", "segment 3")
    assert (first["channel"], first["partner_id"], first["customer_id"]) == ("EDI", "ACME", "C0001")
    assert (first["quantity"], str(first["unit_price"]), str(first["line_total"])) == (2, "10.00", "20.00")
    assert first["line_total_text"] is None
    assert (first["order_total_text"], str(first["order_total"]), str(first["order_charges"])) == (
        "25.50",
        "25.50",
        "0.00",
    )
    assert (first["ordered_at_text"], str(first["ordered_at"])) == ("20261201", "2026-12-01 00:00:00")
    assert (first["currency"], first["payment_method"], str(first["requested_delivery_date"])) == (
        "USD",
        "invoice",
        "2026-12-05",
    )
    assert (first["ship_to_name"], first["ship_to_address1"], first["ship_to_city"]) == (
        "Ada Lovelace",
        "1 Main St",
        "Springfield",
    )
    assert (first["ship_to_postal_code"], first["ship_to_country"]) == ("12345", "US")
    globex = query(
        built["db"], "select order_id, customer_id from staging.stg_edi__order_lines where partner_id = 'GLOBEX'"
    )
    assert ("GLOBEX-G-77", "C0002") in globex
    # an unknown sender's order is named by its ISA06 id
    assert query(built["db"], "select count(*) from staging.stg_edi__order_lines where order_id = 'NOBODY-U1'") == [
        (1,)
    ]


def test_envelope_errors_are_findings_on_the_orders_they_invalidate(built):
    rows = query(
        built["db"],
        "select rule_id, order_id, source_position, record_id like '%:segment:%' "
        "from intermediate.int_edi_envelope_failures order by source_line, rule_id, order_id",
    )
    findings = {(order, position, rule) for rule, order, position, _ in rows}
    assert all(has_segment for *_, has_segment in rows)
    assert findings == {
        ("ACME-E1", "segment 9", "edi_transaction_segment_count"),
        ("ACME-E2", "segment 16", "edi_transaction_control_match"),
        ("ACME-E3", "segment 23", "edi_line_count"),
        ("ACME-E5", "segment 41", "edi_group_control_match"),
        ("ACME-E6", "segment 50", "edi_group_count"),
        (None, "segment 52", "edi_group_count"),  # a group without sets: no order
        ("ACME-M1", "segment 64", "edi_interchange_control_match"),
        ("NOBODY-U1", "segment 65", "edi_partner_known"),
        (None, "segment 78", "edi_transaction_set_supported"),  # an 860 is no order
        ("ACME-V1", "segment 84", "edi_version_supported"),
        ("GLOBEX-C1", "segment 7", "edi_interchange_incomplete"),
        ("GLOBEX-C1", "segment 7", "edi_group_control_match"),
        ("GLOBEX-C1", "segment 3", "edi_transaction_control_match"),
    }
    # every envelope rule of the catalogue has its case here
    seeded = query(built["db"], "select rule_id from config.order_validation_rules where source_system = 'EDI'")
    assert {rule for *_, rule in findings} == {rule for (rule,) in seeded}
    # a finding on an order carries the record id of the order's first line
    first_lines = query(
        built["db"],
        "select count(*) from intermediate.int_edi_envelope_failures as f "
        "where f.order_id is not null and f.record_id <> (select min_by(l.record_id, l.source_line) "
        "from staging.stg_edi__order_lines as l where l.order_id = f.order_id)",
    )
    assert first_lines == [(0,)]


def test_every_group_gets_its_997(built):
    acks = {
        (row["source_file"].split("_")[-1], row["group_control_number"]): row
        for row in query_dicts(built["db"], "select * from marts.rpt_edi_acknowledgements")
    }
    statuses = {key: (row["group_status"], row["transaction_sets_accepted"]) for key, row in acks.items()}
    assert statuses == {
        ("acme.x12", "101"): ("A", 2),
        ("globex.edi", "202"): ("A", 1),
        ("errors.x12", "31"): ("E", 1),
        ("errors.x12", "32"): ("R", 0),
        ("errors.x12", "34"): ("R", 0),
        ("errors.x12", "35"): ("R", 0),
        ("errors.x12", "41"): ("R", 0),
        ("errors.x12", "51"): ("R", 0),
        ("errors.x12", "71"): ("R", 0),
        ("errors.x12", "81"): ("R", 0),
        ("cut.x12", "61"): ("R", 0),
    }
    mixed = acks[("errors.x12", "31")]["ack_text"].splitlines()
    assert mixed[3:] == [
        "AK1*PO*31~",
        "AK2*850*0001~",
        "AK5*R*4~",
        "AK2*850*0002~",
        "AK5*R*3~",
        "AK2*850*0003~",
        "AK5*R*5~",
        "AK2*850*0004~",
        "AK5*A~",
        "AK9*E*4*4*1~",
        "SE*12*0001~",
        mixed[-2],
        mixed[-1],
    ]
    head = mixed[0].split("*")
    assert head[6:9] == ["OURCOMPANY     ", "ZZ", "ACMEBUYER      "]  # sender and receiver swapped
    assert len(mixed[0]) == 106 and mixed[1].startswith("GS*FA*OURGS*ACMEGS*")
    assert mixed[-1] == f"IEA*1*{head[13]}~" and mixed[-2] == f"GE*1*{int(head[13])}~"
    assert "AK9*R*1*1*0*4~" in acks[("errors.x12", "32")]["ack_text"]
    assert "AK9*R*2*1*0*5~" in acks[("errors.x12", "34")]["ack_text"]
    assert "AK9*R*1*0*0*5~" in acks[("errors.x12", "35")]["ack_text"]
    assert "AK2*860*0001~\nAK5*R*1~\nAK9*R*1*1*0~" in acks[("errors.x12", "71")]["ack_text"]
    assert "AK9*R*1*1*0*2~" in acks[("errors.x12", "81")]["ack_text"]
    unknown = acks[("errors.x12", "51")]
    assert "is no trading partner" in unknown["reasons"] and unknown["recipient"] == "NOBODY"
    assert "has no IEA" in acks[("cut.x12", "61")]["reasons"]
    globex = acks[("globex.edi", "202")]["ack_text"]
    assert globex.startswith("ISA|00|") and "\nAK9|A|1|1|1!\n" in globex  # the partner's delimiters


def test_acknowledge_writes_each_997_once(built, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    assert acknowledge_main(["--db", str(built["db"]), "--outbox", str(outbox), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["counts"] == {"sent": 11}
    written = sorted(str(p.relative_to(outbox)) for p in outbox.rglob("*") if p.is_file())
    assert "ACME/997_ACME_000000101_101.x12" in written and "NOBODY/997_NOBODY_000000501_51.x12" in written
    assert len(written) == 11 and not any(name.endswith(".part") for name in written)
    text = (outbox / "ACME/997_ACME_000000101_101.x12").read_text()
    assert (
        text
        == query(built["db"], "select ack_text from marts.rpt_edi_acknowledgements where group_control_number = '101'")[
            0
        ][0]
    )
    assert acknowledge_main(["--db", str(built["db"]), "--outbox", str(outbox), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["counts"] == {"unchanged": 11}
    assert query(built["db"], "select count(*) from raw.edi_ack_log") == [(11,)]
