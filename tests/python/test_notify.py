"""The notification sender: what reaches each recipient, once, amended when it changed, and
nothing recorded for an outbox that cannot be reached.

One drop is built once for the module (a POS file with two format problems, an OMS file with
one and two POS orders it lacks); each test sends from its own copy of that database.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import oms_file, pos_file, query, write_files
from sftp_server import SSHD, free_port, generate_key
from sftp_server import sshd_fixture as sshd_fixture  # the "sshd" fixture

from recon_tools import notify

pytestmark = pytest.mark.dbt

DAY = "20261120"
POS_LINES = [
    "S001-0000101,S001,R1,2026-11-20,2026-11-20T09:14:03,C1001,USD,1,SKU-100,2,4.50,0.00,9.00,9.00",
    'S001-0000102,S001,R1,2026-11-20,2026-11-20T10:00:00,,USD,1,SKU-100,1,"4,50",,4.50,4.50',
    "S001-0000103,S001,R2,2026-11-20,2026-11-20T11:00:00,,,1,SKU-100,1,4.50,,4.50,4.50",
    "S002-0000104,S002,R1,2026-11-20,2026-11-20T12:00:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
]
# The correction fixes the price of line 3, keeps the missing currency of line 4, and adds a
# line with a quantity that is not a number to an order the OMS has.
POS_CORRECTED = [
    POS_LINES[0],
    "S001-0000102,S001,R1,2026-11-20,2026-11-20T10:00:00,,USD,1,SKU-100,1,4.50,,4.50,4.50",
    POS_LINES[2],
    POS_LINES[3],
    "S001-0000101,S001,R1,2026-11-20,2026-11-20T09:14:03,C1001,USD,2,SKU-100,two,4.50,0.00,9.00,9.00",
]
DROP = {
    f"pos/pos_orders_{DAY}.csv": pos_file(*POS_LINES),
    f"oms/oms_orders_{DAY}.csv": oms_file(
        "OMS-1,POS,S001-0000101,S001,C1001,CREATED,9.00,USD,2026-11-20T09:15:00",
        'OMS-2,POS,S001-0000102,S001,,CREATED,"4,50",USD,2026-11-20T10:01:00',
    ),
    # The OMS has reported the next day too: the missing orders of the 20th are past their
    # grace window (an order within it is not chased, nor sent to the OMS team).
    "oms/oms_orders_20261121.csv": oms_file("OMS-3,WEB,W-1,,,CREATED,9.00,USD,2026-11-21T08:00:00"),
    "reference/stores.csv": "store_id,store_name,is_active\nS001,Main Street,true\nS002,Harbour,true\n",
    "reference/products.csv": "sku,product_name,is_active\nSKU-100,Coffee beans 250g,true\n",
}
POS_CSV = f"pos/pos_format_findings_{DAY}.csv"
OMS_CSV = f"oms/oms_format_findings_{DAY}.csv"
TEAM_CSV = f"oms_team/oms_team_missing_orders_{DAY}.csv"
FINDING_COLUMNS = [
    "item_number",
    "business_date",
    "source_file",
    "source_line",
    "rule_id",
    "severity",
    "field_name",
    "failed_value",
    "message",
    "what_to_fix",
]
LOG = "select notification_id, version, recipient, csv_file, content_hash from raw.notification_log order by all"


@pytest.fixture(scope="module")
def built() -> dict[str, Path]:
    return {}


@pytest.fixture
def db(built, tmp_path_factory, tmp_path, ingest, dbt, db_path) -> Path:
    """A copy, for this test, of the module's database: the drop ingested and built once."""
    if "db" not in built:
        drop = write_files(tmp_path_factory.mktemp("notify_drop"), DROP)
        code, output = ingest(drop)
        assert code == 0, output
        result = dbt(db_path, "build")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        built["db"] = tmp_path_factory.mktemp("notify_built") / "recon.duckdb"
        shutil.copy(db_path, built["db"])
    shutil.copy(built["db"], db_path)
    return db_path


def send(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = notify.main(["--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_first_send_writes_each_recipients_files_records_them_and_never_sends_twice(db, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    code, out, _ = send(db, capsys, "--outbox", str(outbox), "--dry-run")
    assert code == 0
    assert out.count("would send ") == 3 and "total: 3 would be sent, 0 already sent" in out
    assert not outbox.exists() and query(db, LOG) == []

    code, out, err = send(db, capsys, "--outbox", str(outbox))
    assert code == 0, err
    assert files_under(outbox) == sorted(
        [POS_CSV, POS_CSV[:-3] + "txt", OMS_CSV, OMS_CSV[:-3] + "txt", TEAM_CSV, TEAM_CSV[:-3] + "txt"]
    )
    assert f"sent       {POS_CSV} + .txt  2 findings, version 1, to {outbox}" in out
    assert "total: 3 sent, 0 already sent" in out

    pos_rows = read_csv(outbox / POS_CSV)
    assert list(pos_rows[0]) == FINDING_COLUMNS
    assert [(r["item_number"], r["source_line"], r["rule_id"], r["failed_value"]) for r in pos_rows] == [
        ("1", "3", "pos_unit_price_format", "4,50"),
        ("2", "4", "pos_currency_required", ""),
    ]
    assert {r["source_file"] for r in pos_rows} == {f"pos/pos_orders_{DAY}.csv"}
    assert pos_rows[0]["what_to_fix"].startswith("The unit price is a decimal with a dot")
    (oms_row,) = read_csv(outbox / OMS_CSV)
    assert (oms_row["source_line"], oms_row["rule_id"], oms_row["failed_value"]) == (
        "3",
        "oms_order_total_format",
        "4,50",
    )

    summary = (outbox / POS_CSV).with_suffix(".txt").read_text()
    assert summary.startswith("To: POS\nAbout: 2 findings in 1 file of business date 2026-11-20\n")
    assert "- pos_unit_price_format (error): 1 record\n  Required: The unit price is a decimal" in summary
    assert f'  e.g. pos/pos_orders_{DAY}.csv, line 3: "4,50"' in summary
    assert f"  e.g. pos/pos_orders_{DAY}.csv, line 4: (missing)" in summary

    marts = query(db, "select notification_id, content_hash from marts.rpt_outbound_notifications order by all")
    logged = query(db, LOG)
    assert [(n, v, h) for n, v, _, _, h in logged] == [(n, 1, h) for n, h in marts]
    assert query(db, "select distinct target from raw.notification_log") == [(str(outbox),)]

    before = {name: (outbox / name).read_bytes() for name in files_under(outbox)}
    code, out, _ = send(db, capsys, "--outbox", str(outbox))
    assert code == 0
    assert out.count("unchanged  ") == 3 and "total: 0 sent, 3 already sent" in out
    assert query(db, LOG) == logged
    assert {name: (outbox / name).read_bytes() for name in files_under(outbox)} == before
    assert query(db, "select distinct send_status from marts.rpt_notifications_sent") == [("current",)]


def test_the_oms_team_gets_the_missing_orders(db, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    code, _, err = send(db, capsys, "--outbox", str(outbox), "--json")
    assert code == 0, err
    rows = read_csv(outbox / TEAM_CSV)
    assert list(rows[0])[:6] == [
        "item_number",
        "business_date",
        "store_id",
        "order_id",
        "delivered_order_id",
        "ordered_at_utc",
    ]
    expected = query(
        db,
        "select store_id, order_id, cast(pos_order_total as varchar) from marts.fct_order_reconciliation "
        "where recon_status = 'missing_in_oms' and not is_within_grace order by store_id, ordered_at",
    )
    assert [(r["store_id"], r["order_id"], r["pos_order_total"]) for r in rows] == expected
    assert expected == [("S001", "S001-0000103", "4.50"), ("S002", "S002-0000104", "4.50")]
    summary = (outbox / TEAM_CSV).with_suffix(".txt").read_text()
    assert "About: 2 POS orders of business date 2026-11-20 not found in the OMS" in summary
    assert "By store:\n  S001: 1 order\n  S002: 1 order\n" in summary
    assert "  S001-0000103, store S001, rung up 2026-11-20 11:00:00 UTC, 4.50" in summary


def test_changed_content_is_sent_as_an_amendment_and_the_record_survives_a_full_refresh(
    db, tmp_path, capsys, ingest, dbt
):
    outbox = tmp_path / "outbox"
    assert send(db, capsys, "--outbox", str(outbox))[0] == 0
    first = (outbox / POS_CSV).read_bytes()

    correction = write_files(tmp_path / "drop", {f"pos/pos_orders_{DAY}.csv": pos_file(*POS_CORRECTED)})
    code, output = ingest(correction)
    assert code == 0 and "correction" in output, output
    assert dbt(db, "build").returncode == 0
    assert query(
        db, "select notification_id from marts.rpt_notifications_sent where send_status = 'amendment_due'"
    ) == [(f"pos_format_findings_{DAY}",)]

    code, out, err = send(db, capsys, "--outbox", str(outbox))
    assert code == 0, err
    amended = POS_CSV.replace(".csv", "_v2.csv")
    assert f"amended    {amended} + .txt  2 findings, version 2" in out
    assert out.count("unchanged  ") == 2 and "total: 1 sent (1 amended), 2 already sent" in out
    assert (outbox / POS_CSV).read_bytes() == first  # the recipient keeps the first
    assert [(r["source_line"], r["rule_id"], r["failed_value"]) for r in read_csv(outbox / amended)] == [
        ("4", "pos_currency_required", ""),
        ("6", "pos_quantity_format", "two"),
    ]
    statuses = "select version, send_status from marts.rpt_notifications_sent where recipient = 'POS' order by 1"
    assert query(db, statuses) == [(1, "superseded"), (2, "current")]

    assert dbt(db, "build", "--full-refresh").returncode == 0
    code, out, _ = send(db, capsys, "--outbox", str(outbox))
    assert code == 0 and "total: 0 sent, 3 already sent" in out
    assert len(query(db, LOG)) == 4


def test_an_outbox_that_cannot_be_written_records_nothing_and_the_others_still_go(db, tmp_path, capsys):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the outbox should be")
    team = tmp_path / "team"
    code, out, err = send(db, capsys, "--outbox", str(blocked), "--outbox-for", f"oms_team={team}")
    assert code == 3
    assert f"error: cannot write {OMS_CSV} to the outbox {blocked}" in err
    assert f"error: cannot write {POS_CSV} to the outbox {blocked}" in err
    assert out.count("NOT SENT   ") == 2 and "total: 1 sent, 0 already sent, 2 not sent" in out
    # the OMS team's own target has no subfolder
    assert files_under(team) == [TEAM_CSV.split("/")[1], TEAM_CSV.split("/")[1][:-3] + "txt"]
    assert [row[0] for row in query(db, LOG)] == [f"oms_team_missing_orders_{DAY}"]
    assert blocked.read_text() == "a file where the outbox should be"

    code, _, err = send(db, capsys, "--outbox", str(team), "--outbox-for", "OMS-TEAM=/elsewhere")
    assert code == 2 and "unknown recipient 'OMS-TEAM'; one of POS, OMS, REFERENCE, FILE, OMS_TEAM" in err


@pytest.fixture
def sftp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short timeouts and backoff, and nothing inherited from the caller's environment."""
    for name in ("RECON_SFTP_PASSWORD", "RECON_SFTP_KEY_FILE", "RECON_SFTP_KEY_PASSPHRASE", "RECON_SFTP_KNOWN_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECON_SFTP_TIMEOUT", "5")
    monkeypatch.setenv("RECON_SFTP_ATTEMPTS", "3")
    monkeypatch.setenv("RECON_SFTP_RETRY_BASE", "0.05")


needs_sshd = pytest.mark.skipif(not SSHD.exists(), reason=f"{SSHD} not installed (apt-get install openssh-server)")


@needs_sshd
@pytest.mark.sftp
def test_an_sftp_outbox_receives_the_files(db, tmp_path, capsys, sshd, sftp_env):
    root = tmp_path / "server-outbox"  # created by the sender
    url = sshd.url(root)
    options = ["--known-hosts", str(sshd.known_hosts), "--key-file", str(sshd.client_key)]
    code, out, err = send(db, capsys, "--outbox", url, *options)
    assert code == 0, err
    assert "total: 3 sent, 0 already sent" in out
    assert files_under(root) == sorted(
        [POS_CSV, POS_CSV[:-3] + "txt", OMS_CSV, OMS_CSV[:-3] + "txt", TEAM_CSV, TEAM_CSV[:-3] + "txt"]
    )
    assert [r["rule_id"] for r in read_csv(root / POS_CSV)] == ["pos_unit_price_format", "pos_currency_required"]
    assert query(db, "select distinct target from raw.notification_log") == [(url,)]
    assert send(db, capsys, "--outbox", url, *options)[1].count("unchanged  ") == 3


@needs_sshd
@pytest.mark.sftp
def test_an_sftp_outbox_with_an_unknown_host_key_or_nothing_listening_records_nothing(
    db, tmp_path, capsys, sshd, sftp_env
):
    unknown = tmp_path / "known_hosts_empty"
    unknown.write_text("")
    code, out, err = send(
        db,
        capsys,
        "--outbox",
        sshd.url(tmp_path / "o"),
        "--known-hosts",
        str(unknown),
        "--key-file",
        str(sshd.client_key),
    )
    assert code == 3
    assert (
        f"error: outbox {sshd.url(tmp_path / 'o')}: the host key of [127.0.0.1]:{sshd.port} is not in {unknown}" in err
    )
    assert "nothing was written" in err
    assert out.count("NOT SENT   ") == 3 and query(db, LOG) == []
    assert sshd.logins() == 0

    key = tmp_path / "key"
    generate_key(key)
    closed = f"sftp://recon@127.0.0.1:{free_port()}/outbox"
    code, out, err = send(db, capsys, "--outbox", closed, "--known-hosts", str(unknown), "--key-file", str(key))
    assert code == 3
    assert f"error: uploading {OMS_CSV} to {closed} failed after 3 attempts: connection refused" in err
    assert err.count("error: ") == 1  # the outbox is given up after its retries, not retried per file
    assert query(db, LOG) == []
