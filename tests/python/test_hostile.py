"""Hostile and unlucky input: each case is a drop, and nothing is lost, crashes or leaks.

Every content case is a drop of its own: a clean POS, OMS and reference delivery for a
business date of the case's own, beside one hostile thing (a malformed header, a name with
non-ASCII digits, glob characters in the drop path, symbolic links, NUL bytes, an oversized
field). For each, the loader's exit code and its line for the file (the file's name and the
reason) are checked, and then conservation in the raw layer: every loaded file's rows are
exactly its data lines, a rejected or unreadable file left none, and bytes the drop did not
deliver (a sibling folder, a link's target outside the drop) are nowhere in the database.
All cases then land in one database and one dbt build must pass its invariants (every raw
row validated or in the error layer, every POS order reconciled once) with each case's
orders reconciled.

The fault cases (a tiny memory limit, a full spill directory, a kill while landing, a kill
during a build) are each followed by a run without the fault, which must reach the same
marts as a clean run.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, dbt_command, dbt_runner, query, write_files

from loaders.cli import main as loader_main
from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt

FIRST_DATE = date(2026, 10, 1)
STORES = "store_id,store_name,is_active\nS001,Main Street,true\n"
PRODUCTS = "sku,product_name,is_active\nSKU-100,Coffee beans 250g,true\nSKU-200,Mug,true\n"
POS_HEADER = (
    "order_id,store_id,register_id,business_date,order_ts,customer_id,currency,line_number,sku,"
    "quantity,unit_price,discount_amount,line_total,order_total"
)
OMS_HEADER = (
    "oms_order_id,source_system,source_order_id,store_id,customer_id,order_status,order_total,currency,created_at"
)
# Text that only files the loader must not read hold: found anywhere in the database, it leaked.
FOREIGN = "foreign-bytes-7f3a"
# Digits that Python's \d matches and a YYYYMMDD name must not hold.
ARABIC_INDIC = "".join(chr(0x0660 + digit) for digit in range(10))
FULLWIDTH = "".join(chr(0xFF10 + digit) for digit in range(10))


def pos_text(day: date, prefix: str | None = None) -> str:
    d, prefix = day.isoformat(), prefix or f"S001-{day:%m%d}"
    return (
        f"{POS_HEADER}\n"
        f"{prefix}-1,S001,R1,{d},{d}T09:14:03,C1,USD,1,SKU-100,2,4.50,0.00,9.00,21.99\n"
        f"{prefix}-1,S001,R1,{d},{d}T09:14:03,C1,USD,2,SKU-200,1,12.99,0.00,12.99,21.99\n"
        f"{prefix}-2,S001,R2,{d},{d}T10:02:44,,USD,1,SKU-100,1,4.50,,4.50,4.50\n"
    )


def oms_text(day: date, prefix: str | None = None) -> str:
    d, prefix = day.isoformat(), prefix or f"S001-{day:%m%d}"
    return f"{OMS_HEADER}\nOMS-{prefix}-{d},POS,{prefix}-1,S001,C1,CREATED,21.99,USD,{d}T09:14:05\n"


@dataclass
class Case:
    """One hostile drop: what to write beside the clean files, and what the loader must say."""

    name: str
    exit_code: int
    outcome: str  # the hostile file's outcome: rejected, unreadable, ignored
    reason: str  # words of the message that name the reason
    hostile: Callable[[Path, Path, date], str]  # writes the hostile thing; returns its name in the output
    drop_name: str = "drop"  # the drop folder's name (glob characters in the path)
    expected_rows: dict[str, int] = field(default_factory=dict)  # filled by the clean files


def _hostile_pos(content: bytes) -> Callable[[Path, Path, date], str]:
    """A second POS file for the case's next date, with the given bytes."""

    def write(drop: Path, _outside: Path, day: date) -> str:
        name = f"pos/pos_orders_{(day + timedelta(days=1)):%Y%m%d}.csv"
        write_files(drop, {name: content})
        return name

    return write


def _odd_name(name_for: Callable[[date], str]) -> Callable[[Path, Path, date], str]:
    """The case's own POS file again, under a name that only looks like a POS file's."""

    def write(drop: Path, _outside: Path, day: date) -> str:
        name = name_for(day)
        write_files(drop, {name: pos_text(day) + f"{FOREIGN},S001,R1,{day},{day}T11:00:00,,USD,1,SKU-100,1,1,,1,1\n"})
        return name

    return write


def _sibling_folder(drop: Path, _outside: Path, day: date) -> str:
    """A folder beside the drop that a glob in the drop's path would also match."""
    sibling = drop.parent / drop.name.replace("[x]", "x").replace("*", "-more")
    write_files(sibling, {f"pos/pos_orders_{day:%Y%m%d}.csv": pos_text(day, prefix=FOREIGN)})
    return f"pos/pos_orders_{day:%Y%m%d}.csv"


def _link_out(drop: Path, outside: Path, day: date) -> str:
    write_files(outside, {"stolen.csv": pos_text(day + timedelta(days=1), prefix=FOREIGN)})
    name = f"pos/pos_orders_{(day + timedelta(days=1)):%Y%m%d}.csv"
    (drop / name).symlink_to(outside / "stolen.csv")
    return name


def _link_to_secret(drop: Path, _outside: Path, day: date) -> str:
    write_files(drop, {"notes/secret.txt": f"secret-token-{FOREIGN}\nsecond line\n"})
    name = f"pos/pos_orders_{(day + timedelta(days=1)):%Y%m%d}.csv"
    (drop / name).symlink_to(drop / "notes" / "secret.txt")
    return name


def _dangling_link(drop: Path, _outside: Path, day: date) -> str:
    name = f"oms/oms_orders_{(day + timedelta(days=1)):%Y%m%d}.csv"
    (drop / name).symlink_to(drop / "oms" / "gone.csv")
    return name


def _line(day: date, order: str, last: str) -> str:
    return f"{order},S001,R1,{day},{day}T09:00:00,,USD,1,SKU-100,1,4.50,,4.50,{last}"


CASES = [
    Case(
        "cr-only line ends",
        1,
        "rejected",
        "bare carriage return",
        _hostile_pos(b"order_id,store_id\rX,Y\r"),
    ),
    Case(
        "header with an unclosed quote",
        1,
        "rejected",
        "header line cannot be parsed",
        _hostile_pos(('order_id,"store_id' + POS_HEADER[8:] + "\nA,B\n").encode()),
    ),
    Case(
        "header with text after a closing quote",
        1,
        "rejected",
        "header line cannot be parsed",
        _hostile_pos(('"order_id"x,' + POS_HEADER[9:] + "\n").encode()),
    ),
    Case(
        "header field over 128 KB",
        1,
        "rejected",
        "header line cannot be parsed",
        _hostile_pos(("order_id," + "y" * 200_000 + "\n").encode()),
    ),
    Case(
        "a 5 MB field",
        1,
        "rejected",
        "over the reader's limit",
        _hostile_pos(f"{POS_HEADER}\n{_line(FIRST_DATE, 'Z-1', 'x' * 5_000_000)}\n".encode()),
    ),
    Case(
        "a NUL byte as the last field",
        1,
        "rejected",
        "line 3 holds a NUL byte",
        _hostile_pos(
            f"{POS_HEADER}\n{_line(FIRST_DATE, 'Z-1', '4.50')}\n{_line(FIRST_DATE, 'Z-2', chr(0))}\n".encode()
        ),
    ),
    Case(
        "a NUL byte in a middle field",
        1,
        "rejected",
        "line 2 holds a NUL byte",
        _hostile_pos(
            f"{POS_HEADER}\n{_line(FIRST_DATE, 'Z-1', '4.50').replace(',R1,', ',' + chr(0) + ',')}\n".encode()
        ),
    ),
    Case(
        "Arabic-Indic digits in the name",
        0,
        "ignored",
        "matches no known pattern",
        _odd_name(
            lambda day: (
                "pos/pos_orders_" + f"{day:%Y%m%d}".translate(str.maketrans("0123456789", ARABIC_INDIC)) + ".csv"
            )
        ),
    ),
    Case(
        "fullwidth digits in the name",
        0,
        "ignored",
        "matches no known pattern",
        _odd_name(
            lambda day: "pos/pos_orders_" + f"{day:%Y%m%d}".translate(str.maketrans("0123456789", FULLWIDTH)) + ".csv"
        ),
    ),
    Case(
        "a newline at the end of the name",
        0,
        "ignored",
        "matches no known pattern",
        _odd_name(lambda day: f"pos/pos_orders_{day:%Y%m%d}.csv\n"),
    ),
    Case("brackets in the drop path", 0, "loaded", "", _sibling_folder, drop_name="drop[x]"),
    Case("a star in the drop path", 0, "loaded", "", _sibling_folder, drop_name="drop*"),
    Case("a link out of the drop", 1, "unreadable", "leads out of the drop", _link_out),
    Case("a link to a file that is not CSV", 1, "rejected", "missing required column", _link_to_secret),
    Case("a link to nothing", 1, "unreadable", "target is missing", _dangling_link),
]


def make_drop(base: Path, case: Case, day: date) -> tuple[Path, str]:
    """The clean files for ``day`` and the case's hostile thing; returns the drop and the hostile name."""
    drop = base / case.name.replace(" ", "-") / case.drop_name
    pos, oms = f"pos/pos_orders_{day:%Y%m%d}.csv", f"oms/oms_orders_{day:%Y%m%d}.csv"
    write_files(
        drop,
        {"reference/stores.csv": STORES, "reference/products.csv": PRODUCTS, pos: pos_text(day), oms: oms_text(day)},
    )
    case.expected_rows = {"reference/stores.csv": 1, "reference/products.csv": 2, pos: 3, oms: 1}
    hostile = case.hostile(drop, base / case.name.replace(" ", "-") / "outside", day)
    return drop, hostile


def run_loader(drop: Path, db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = loader_main(["ingest", "--from", str(drop), "--db", str(db), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def text_anywhere(db: Path, needle: str) -> list[str]:
    """Every table and column of the database whose text holds needle."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()"
        ).fetchall()
        found = []
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)',  # noqa: S608 - catalog names
                [needle],
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}")
        return found
    finally:
        con.close()


def assert_raw_conservation(db: Path, drop: Path, expected_rows: dict[str, int]) -> None:
    """Loaded files are exactly the expected ones, each with its bytes' hash and its rows; nothing else landed."""
    loaded = query(db, "select file_name, sha256, row_count, load_id from raw.file_manifest where status = 'loaded'")
    assert {name: rows for name, _, rows, _ in loaded} == expected_rows
    for name, sha, rows, load_id in loaded:
        assert sha == hashlib.sha256((drop / name).read_bytes()).hexdigest(), name
        table = {"pos": "pos_order_lines", "oms": "oms_orders"}.get(name.split("/")[0], Path(name).stem)
        landed = query(
            db,
            f"select count(*), count(*) filter (where _source_file <> ?) from raw.{table} where _load_id = ?",  # noqa: S608
            [name, load_id],
        )[0]
        assert landed == (rows, 0), name
    raw_total = (
        query(db, "select count(*) from raw.pos_order_lines")[0][0]
        + query(db, "select count(*) from raw.oms_orders")[0][0]
    )
    assert raw_total == sum(rows for name, rows in expected_rows.items() if not name.startswith("reference/"))


@pytest.fixture(scope="module")
def content_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database that every content case's drop lands in (built once, by the last test)."""
    return tmp_path_factory.mktemp("hostile") / "all_cases.duckdb"


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.name for case in CASES])
def test_a_hostile_drop_is_reported_and_loses_nothing(tmp_path, capsys, content_db, index):
    case = CASES[index]
    day = FIRST_DATE + timedelta(days=2 * index)
    drop, hostile = make_drop(tmp_path, case, day)
    db = tmp_path / "case.duckdb"

    code, out = run_loader(drop, db, capsys)
    assert code == case.exit_code, out
    assert "Traceback" not in out
    line = next((line for line in out.splitlines() if hostile.rstrip("\n") in line), "")
    if case.outcome == "loaded":
        assert all(f"{name}" in out for name in case.expected_rows), out
    else:
        assert line, out
        assert case.reason in line, line
    # A rerun for a scheduler: one JSON document; a rejected file is now a repeat, an unreadable one still fails.
    code, out = run_loader(drop, db, capsys, "--json")
    assert json.loads(out)["ok"] == (case.outcome != "unreadable")
    assert code == (1 if case.outcome == "unreadable" else 0)
    assert_raw_conservation(db, drop, case.expected_rows)
    assert text_anywhere(db, FOREIGN) == []
    # The same drop into the database every case shares, for one build over all of them.
    run_loader(drop, content_db, capsys)


def test_after_every_hostile_drop_a_build_keeps_its_invariants(dbt, content_db):
    """Runs after the cases (same module, declared after them): one build over all their deliveries."""
    assert content_db.exists()
    result = dbt(content_db, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    reconciled = dict(
        query(content_db, "select business_date, count(*) from marts.fct_order_reconciliation group by all")
    )
    assert reconciled == {FIRST_DATE + timedelta(days=2 * index): 2 for index in range(len(CASES))}
    assert text_anywhere(content_db, FOREIGN) == []
    assert query(content_db, "select count(*) from marts.fct_order_reconciliation where recon_status = 'matched'")[0][
        0
    ] == len(CASES)


# Fault cases -----------------------------------------------------------------------------

FAULT_DAYS = 2
FAULT_ORDERS = 20_000  # a POS file of about 5 MB: large enough to fail under a tiny memory limit
# Public marts compared with a clean run; columns that hold load ids (a failed attempt uses
# some up) or build times are left out.
MARTS = {
    "marts.fct_order_reconciliation": "",
    "marts.fct_oms_unmatched_orders": "record_id, load_id",
    "marts.rpt_reconciliation_summary": "",
    "marts.fct_validation_errors": "error_id, load_id",
    "marts.rpt_validation_rules": "",
    "marts.rpt_review_queue": "error_key, first_seen_at, resolved_at, age_days, review_due_at, hours_open",
}


@pytest.fixture(scope="module")
def fault_drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    drop = tmp_path_factory.mktemp("fault") / "drop"
    generate(drop, days=FAULT_DAYS, orders_per_day=FAULT_ORDERS, seed=5, start=date(2026, 11, 16))
    return drop


@pytest.fixture(scope="module")
def clean_db(fault_drop: Path, dbt_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    assert loader_main(["ingest", "--from", str(fault_drop), "--db", str(db), "--quiet"]) == 0
    result = dbt_runner(dbt_dirs)(db, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return db


def assert_same_marts(db: Path, clean: Path) -> None:
    con = duckdb.connect()
    con.execute("attach ? as run (read_only)", [str(db)])
    con.execute("attach ? as clean (read_only)", [str(clean)])
    found = {}
    for name, left_out in MARTS.items():
        columns = f"* exclude ({left_out})" if left_out else "*"
        one = f"(select {columns} from run.{name})"  # noqa: S608 - our own table names
        other = f"(select {columns} from clean.{name})"  # noqa: S608 - our own table names
        found[name] = (
            con.execute(f"select count(*) from (from {one} except all from {other})").fetchone()[0],  # noqa: S608
            con.execute(f"select count(*) from (from {other} except all from {one})").fetchone()[0],  # noqa: S608
        )
    con.close()
    assert found == dict.fromkeys(MARTS, (0, 0)), found


def rerun_and_compare(dbt, db: Path, drop: Path, clean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_loader(drop, db, capsys)
    assert code == 0, out
    assert "REJECTED" not in out
    result = dbt(db, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    assert_same_marts(db, clean)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECON_LOAD_RETRY_BASE", "0.01")


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of the given size (root only): a disk that fills up."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_tiny_memory_limit_fails_the_run_and_records_nothing(
    dbt, tmp_path, capsys, monkeypatch, fault_drop, clean_db, quick_retries
):
    db = tmp_path / "recon.duckdb"
    monkeypatch.setenv("RECON_DUCKDB_MEMORY_LIMIT", "4MB")
    code, out = run_loader(fault_drop, db, capsys)
    assert code == 5, out
    assert "pos/pos_orders_20261116.csv" in out and "not the file's content" in out and "Out of Memory" in out
    assert query(db, "select count(*) from raw.file_manifest where file_kind = 'pos_orders'")[0][0] == 0
    retries = query(db, "select count(*) from raw.processing_log where event = 'file_retry'")[0][0]
    assert retries == 2  # three attempts
    monkeypatch.delenv("RECON_DUCKDB_MEMORY_LIMIT")
    rerun_and_compare(dbt, db, fault_drop, clean_db, capsys)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_full_spill_directory_fails_the_run_and_records_nothing(
    dbt, tmp_path, capsys, monkeypatch, fault_drop, clean_db, quick_retries
):
    db = tmp_path / "recon.duckdb"
    with small_filesystem(tmp_path / "spill", "256k") as spill:
        monkeypatch.setenv("RECON_DUCKDB_TEMP_DIR", str(spill))
        monkeypatch.setenv("RECON_DUCKDB_MEMORY_LIMIT", "32MB")
        code, out = run_loader(fault_drop, db, capsys)
    assert code == 5, out
    assert "pos/pos_orders_20261116.csv" in out and "not the file's content" in out
    assert query(db, "select count(*) from raw.file_manifest where file_kind = 'pos_orders'")[0][0] == 0
    monkeypatch.delenv("RECON_DUCKDB_TEMP_DIR")
    monkeypatch.delenv("RECON_DUCKDB_MEMORY_LIMIT")
    rerun_and_compare(dbt, db, fault_drop, clean_db, capsys)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small file system needs root")
def test_a_full_disk_at_commit_is_exit_5_without_a_traceback(tmp_path, capsys, fault_drop, quick_retries):
    with small_filesystem(tmp_path / "disk", "6m") as disk:
        code, out = run_loader(fault_drop, disk / "recon.duckdb", capsys)
    assert code == 5, out
    assert "Traceback" not in out and "No space left on device" in out


def test_a_kill_while_landing_loses_and_doubles_nothing(dbt, tmp_path, capsys, fault_drop, clean_db):
    db = tmp_path / "recon.duckdb"
    loader = subprocess.Popen(
        [sys.executable, "-m", "loaders", "ingest", "--from", str(fault_drop), "--db", str(db)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    # Reference snapshots land first, then the POS files: kill as the first POS file lands.
    for line in loader.stdout:
        if line.startswith("loaded") and "reference/stores.csv" in line:
            loader.send_signal(signal.SIGKILL)
            break
    loader.wait()
    assert loader.returncode == -signal.SIGKILL
    rerun_and_compare(dbt, db, fault_drop, clean_db, capsys)


def test_a_kill_during_a_build_and_a_rerun_reach_the_clean_marts(dbt, dbt_dirs, tmp_path, capsys, fault_drop, clean_db):
    db = tmp_path / "recon.duckdb"
    assert run_loader(fault_drop, db, capsys)[0] == 0
    command, env = dbt_command(db, ("build",), PROJECT_ROOT, dbt_dirs)
    build = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    started = 0
    for line in build.stdout:
        started += " START " in line
        if started >= 12:  # several models in: some done, some under way
            build.send_signal(signal.SIGKILL)
            break
    build.wait()
    assert build.returncode == -signal.SIGKILL, f"the build ended before it was killed ({started} started)"
    result = dbt(db, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    assert_same_marts(db, clean_db)
