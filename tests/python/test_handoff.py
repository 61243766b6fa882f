"""The order hand-off: the validated channel orders reach the OMS outbox once each, in the
documented import format (docs/handoff.md); a corrected order goes again as an amendment;
nothing is recorded for an outbox that cannot be reached.

One drop is built once for the module (a POS and an OMS file, and a manual-entry file with
two valid orders and one that fails validation); the amendment tests use a second build,
after the first export, of a corrected version of the manual file. Each test exports from
its own copy of a built database.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, query, write_files
from sftp_server import SSHD
from sftp_server import sshd_fixture as sshd_fixture  # the "sshd" fixture

from recon_tools import handoff

pytestmark = pytest.mark.dbt

DAY = "20261201"
MANUAL = f"manual/manual_orders_{DAY}.csv"
MANUAL_HEADER = (
    "order_id,operator_id,business_date,order_ts,customer_id,currency,line_number,sku,quantity,unit_price,"
    "discount_amount,line_total,order_total,requested_delivery_date,ship_to_name,ship_to_address1,ship_to_city,"
    "ship_to_postal_code,ship_to_country,payment_method"
)
SHIP_TO = "Ada Lovelace,1 Main St,Springfield,12345,US"
M1001 = [
    f"M-1001,OP7,2026-12-01,2026-12-01T10:15:00Z,,USD,1,SKU-100,2,4.50,0.00,9.00,29.00,2026-12-03,{SHIP_TO},card",
    f"M-1001,OP7,2026-12-01,2026-12-01T10:15:00Z,,USD,2,SKU-200,1,20.00,0.00,20.00,29.00,2026-12-03,{SHIP_TO},card",
]
# an inactive SKU and a payment method the manual channel does not take: never handed off
M1002 = (
    "M-1002,OP7,2026-12-01,2026-12-01T11:00:00Z,,USD,1,SKU-900,1,5.00,0.00,5.00,5.00,,"
    "Bob,2 Side St,Springfield,12345,US,bitcoin"
)
M1003 = (
    "m-1003 ,OP8,2026-12-01,2026-12-01T12:30:00Z,,USD,1,SKU-300,4,3.25,1.00,12.00,12.00,,"
    "Grace Hopper,9 Navy Rd,Arlington,22201,US,cash"
)
# The correction: a third unit on M-1001's first line; M-1003 unchanged.
M1001_CORRECTED = [
    M1001[0].replace(",2,4.50,0.00,9.00,29.00,", ",3,4.50,0.00,13.50,33.50,"),
    M1001[1].replace(",29.00,", ",33.50,"),
]
CONTRACT = FIXTURES / "drops" / "contract_example"
DROP = {
    "reference/stores.csv": (CONTRACT / "reference" / "stores.csv").read_bytes(),
    "reference/products.csv": (CONTRACT / "reference" / "products.csv").read_bytes(),
    "pos/pos_orders_20261120.csv": (CONTRACT / "pos" / "pos_orders_20261120.csv").read_bytes(),
    "oms/oms_orders_20261120.csv": (CONTRACT / "oms" / "oms_orders_20261120.csv").read_bytes(),
    MANUAL: "\n".join([MANUAL_HEADER, *M1001, M1002, M1003]) + "\n",
}
CORRECTION = {MANUAL: "\n".join([MANUAL_HEADER, *M1001_CORRECTED, M1002, M1003]) + "\n"}

# The OMS import format of docs/handoff.md, column for column.
COLUMNS = [
    "record_type",
    "handoff_id",
    "version",
    "channel",
    "source_order_id",
    "business_date",
    "ordered_at",
    "customer_id",
    "partner_id",
    "currency",
    "line_number",
    "sku",
    "quantity",
    "unit_price",
    "discount_amount",
    "line_total",
    "line_count",
    "order_charges",
    "order_total",
    "requested_delivery_date",
    "ship_to_name",
    "ship_to_address1",
    "ship_to_city",
    "ship_to_postal_code",
    "ship_to_country",
    "payment_method",
    "content_hash",
]
# The columns the expected rows below list, "|"-separated.
SHAPE = [
    "record_type",
    "handoff_id",
    "version",
    "source_order_id",
    "line_number",
    "sku",
    "quantity",
    "unit_price",
    "discount_amount",
    "line_total",
    "line_count",
    "order_total",
    "requested_delivery_date",
    "ship_to_name",
    "payment_method",
]
FIRST_EXPORT = [
    tuple(row.split("|"))
    for row in (
        "ORDER|MANUAL:M-1001|1|M-1001|1|SKU-100|2|4.50|0.00|9.00|2|29.00|2026-12-03|Ada Lovelace|card",
        "ORDER|MANUAL:M-1001|1|M-1001|2|SKU-200|1|20.00|0.00|20.00|2|29.00|2026-12-03|Ada Lovelace|card",
        "ORDER|MANUAL:M-1003|1|m-1003|1|SKU-300|4|3.25|1.00|12.00|1|12.00||Grace Hopper|cash",
    )
]
LOG = "select handoff_id, version, record_type, batch_file, content_hash from raw.handoff_log order by all"
STATUS = "select handoff_id, export_status from marts.rpt_order_handoff order by all"


@pytest.fixture(scope="module")
def built() -> dict[str, Path]:
    return {}


def build(ingest, dbt, db_path: Path, drop: Path) -> None:
    code, output = ingest(drop)
    assert code == 0, output
    result = dbt(db_path, "build")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture
def db(built, tmp_path_factory, ingest, dbt, db_path) -> Path:
    """A copy, for this test, of the module's database: the drop ingested and built once."""
    if "db" not in built:
        build(ingest, dbt, db_path, write_files(tmp_path_factory.mktemp("handoff_drop"), DROP))
        built["db"] = tmp_path_factory.mktemp("handoff_built") / "recon.duckdb"
        shutil.copy(db_path, built["db"])
    shutil.copy(built["db"], db_path)
    return db_path


@pytest.fixture
def corrected(db, built, tmp_path_factory, ingest, dbt, capsys) -> tuple[Path, Path]:
    """A copy of the database after a first export into an outbox (returned with it), then the
    corrected manual file ingested and built: the module's second build."""
    if "corrected" not in built:
        outbox = tmp_path_factory.mktemp("handoff_outbox")
        assert export(db, capsys, "--outbox", str(outbox))[0] == 0
        build(ingest, dbt, db, write_files(tmp_path_factory.mktemp("handoff_correction"), CORRECTION))
        built["corrected"] = tmp_path_factory.mktemp("handoff_corrected") / "recon.duckdb"
        built["outbox"] = outbox
        shutil.copy(db, built["corrected"])
    shutil.copy(built["corrected"], db)
    outbox = db.parent / "outbox"
    shutil.copytree(built["outbox"], outbox)
    return db, outbox


def export(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = handoff.main(["--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shape(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    return [tuple(row[name] for name in SHAPE) for row in rows]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def control(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_the_valid_channel_orders_are_exported_once_in_the_documented_format(db, tmp_path, capsys):
    outbox = tmp_path / "oms_import"
    code, out, _ = export(db, capsys, "--outbox", str(outbox), "--dry-run")
    assert code == 0
    assert "total: 2 orders would be exported (0 amended) in 1 batch, 0 orders already exported" in out
    assert not outbox.exists() and query(db, LOG) == []

    code, out, err = export(db, capsys, "--outbox", str(outbox))
    assert code == 0, err
    (csv_name, ok_name) = files_under(outbox)
    assert csv_name.startswith("oms_import_") and csv_name.endswith("Z_001.csv") and ok_name == csv_name[:-3] + "ok"
    assert f"exported     {csv_name} + .ok  2 orders, 3 lines, to {outbox}" in out
    assert "total: 2 orders exported (0 amended) in 1 batch, 0 orders already exported" in out

    rows = read_csv(outbox / csv_name)
    assert list(rows[0]) == COLUMNS
    # the invalid manual order and the POS orders are not there
    assert shape(rows) == FIRST_EXPORT
    assert {(r["channel"], r["business_date"], r["currency"], r["ship_to_country"]) for r in rows} == {
        ("MANUAL", "2026-12-01", "USD", "US")
    }
    assert [r["ordered_at"] for r in rows] == ["2026-12-01T10:15:00Z"] * 2 + ["2026-12-01T12:30:00Z"]
    assert {r["customer_id"] + r["partner_id"] for r in rows} == {""}
    assert control(outbox / ok_name) == {
        "format": "oms_import/1",
        "batch_file": csv_name,
        "record_count": "3",
        "order_count": "2",
        "amendment_count": "0",
        "sha256": hashlib.sha256((outbox / csv_name).read_bytes()).hexdigest(),
    }

    marts = query(db, "select handoff_id, content_hash from marts.rpt_order_handoff order by all")
    assert {(r["handoff_id"], r["content_hash"]) for r in rows} == set(marts)
    assert query(db, LOG) == [(h, 1, "ORDER", csv_name, c) for h, c in marts]
    assert query(db, "select distinct target, line_count from raw.handoff_log order by all") == [
        (str(outbox), 1),
        (str(outbox), 2),
    ]
    assert query(db, STATUS) == [("MANUAL:M-1001", "exported"), ("MANUAL:M-1003", "exported")]

    # a rerun exports nothing twice, writes no file, records nothing
    before = {name: (outbox / name).read_bytes() for name in files_under(outbox)}
    code, out, _ = export(db, capsys, "--outbox", str(outbox))
    assert code == 0
    assert out == "nothing to export: 2 orders already exported, up to date; no file written\n"
    assert {name: (outbox / name).read_bytes() for name in files_under(outbox)} == before
    assert len(query(db, LOG)) == 2


def test_batches_hold_whole_orders(db, tmp_path, capsys):
    outbox = tmp_path / "oms_import"
    code, out, err = export(db, capsys, "--outbox", str(outbox), "--batch-size", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["ok"], report["orders_exported"], report["amendments_exported"]) == (True, 2, 0)
    names = [batch["batch_file"] for batch in report["batches"]]
    assert [name[-8:] for name in names] == ["_001.csv", "_002.csv"]
    assert files_under(outbox) == sorted([*names, *(name[:-3] + "ok" for name in names)])
    assert shape(read_csv(outbox / names[0])) == FIRST_EXPORT[:2]
    assert shape(read_csv(outbox / names[1])) == FIRST_EXPORT[2:]
    assert [control(outbox / (name[:-3] + "ok"))["record_count"] for name in names] == ["2", "1"]
    assert query(db, "select handoff_id, batch_file from raw.handoff_log order by 1") == [
        ("MANUAL:M-1001", names[0]),
        ("MANUAL:M-1003", names[1]),
    ]

    code, _, err = export(db, capsys, "--outbox", str(outbox), "--batch-size", "0")
    assert code == 2 and "--batch-size 0: a batch holds at least 1 order" in err


def test_a_corrected_order_is_exported_again_as_an_amendment(corrected, capsys):
    db, outbox = corrected
    (first_csv, _) = files_under(outbox)
    first = (outbox / first_csv).read_bytes()
    # the corrected file changed M-1001; M-1003, delivered again unchanged, keeps its hash
    assert query(db, STATUS) == [("MANUAL:M-1001", "amended"), ("MANUAL:M-1003", "exported")]
    assert query(db, "select handoff_id, version, version_status from marts.rpt_handoff_exports order by all") == [
        ("MANUAL:M-1001", 1, "amendment_due"),
        ("MANUAL:M-1003", 1, "current"),
    ]

    code, out, err = export(db, capsys, "--outbox", str(outbox))
    assert code == 0, err
    assert "total: 1 order exported (1 amended) in 1 batch, 1 order already exported" in out
    second_csv = next(name for name in files_under(outbox) if name.endswith(".csv") and name != first_csv)
    assert (outbox / first_csv).read_bytes() == first  # the OMS keeps the first batch
    assert shape(read_csv(outbox / second_csv)) == [
        tuple(row.split("|"))
        for row in (
            "AMENDMENT|MANUAL:M-1001|2|M-1001|1|SKU-100|3|4.50|0.00|13.50|2|33.50|2026-12-03|Ada Lovelace|card",
            "AMENDMENT|MANUAL:M-1001|2|M-1001|2|SKU-200|1|20.00|0.00|20.00|2|33.50|2026-12-03|Ada Lovelace|card",
        )
    ]
    assert control(outbox / (second_csv[:-3] + "ok"))["amendment_count"] == "1"

    log = query(
        db, "select handoff_id, version, record_type, batch_file, order_total from raw.handoff_log order by all"
    )
    assert [row[:4] for row in log] == [
        ("MANUAL:M-1001", 1, "ORDER", first_csv),
        ("MANUAL:M-1001", 2, "AMENDMENT", second_csv),
        ("MANUAL:M-1003", 1, "ORDER", first_csv),
    ]
    assert [str(row[4]) for row in log] == ["29.00", "33.50", "12.00"]
    assert query(
        db, "select handoff_id, version, record_type, version_status from marts.rpt_handoff_exports order by all"
    ) == [
        ("MANUAL:M-1001", 1, "ORDER", "superseded"),
        ("MANUAL:M-1001", 2, "AMENDMENT", "current"),
        ("MANUAL:M-1003", 1, "ORDER", "current"),
    ]
    assert export(db, capsys, "--outbox", str(outbox))[1].startswith("nothing to export: 2 orders already exported")


def test_an_outbox_that_cannot_be_written_records_nothing(db, tmp_path, capsys):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the outbox should be")
    code, out, err = export(db, capsys, "--outbox", str(blocked), "--batch-size", "1")
    assert code == 3
    assert "error: cannot write oms_import_" in err and f"to the outbox {blocked}" in err
    assert err.count("error: ") == 1  # the second batch is not tried after the first failed
    assert out.count("NOT EXPORTED ") == 2 and "2 orders not exported" in out
    assert query(db, LOG) == []
    assert query(db, STATUS) == [("MANUAL:M-1001", "new"), ("MANUAL:M-1003", "new")]
    assert blocked.read_text() == "a file where the outbox should be"

    code, _, err = export(db, capsys, "--outbox", "ftp://example.org/in")
    assert code == 2 and "unsupported outbox 'ftp://example.org/in'" in err


@pytest.fixture
def sftp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short timeouts and backoff, and nothing inherited from the caller's environment."""
    for name in ("RECON_SFTP_PASSWORD", "RECON_SFTP_KEY_FILE", "RECON_SFTP_KEY_PASSPHRASE", "RECON_SFTP_KNOWN_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECON_SFTP_TIMEOUT", "5")
    monkeypatch.setenv("RECON_SFTP_ATTEMPTS", "2")
    monkeypatch.setenv("RECON_SFTP_RETRY_BASE", "0.05")


@pytest.mark.skipif(not SSHD.exists(), reason=f"{SSHD} not installed (apt-get install openssh-server)")
@pytest.mark.sftp
def test_an_sftp_outbox_receives_the_batch_and_an_unknown_host_key_records_nothing(
    db, tmp_path, capsys, sshd, sftp_env
):
    root = tmp_path / "server-oms-import"  # created by the exporter
    url = sshd.url(root)
    unknown = tmp_path / "known_hosts_empty"
    unknown.write_text("")
    code, _, err = export(
        db, capsys, "--outbox", url, "--known-hosts", str(unknown), "--key-file", str(sshd.client_key)
    )
    assert code == 3
    assert f"error: outbox {url}: the host key of [127.0.0.1]:{sshd.port} is not in {unknown}" in err
    assert "nothing was written" in err and query(db, LOG) == [] and not root.exists()

    options = ["--known-hosts", str(sshd.known_hosts), "--key-file", str(sshd.client_key)]
    code, _, err = export(db, capsys, "--outbox", url, *options)
    assert code == 0, err
    (csv_name, ok_name) = files_under(root)
    assert ok_name == csv_name[:-3] + "ok"
    assert shape(read_csv(root / csv_name)) == FIRST_EXPORT
    assert query(db, "select distinct target from raw.handoff_log") == [(url,)]
    assert export(db, capsys, "--outbox", url, *options)[1].startswith("nothing to export: 2 orders already exported")
