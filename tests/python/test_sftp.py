"""The SFTP drop source against a real OpenSSH server on loopback.

Each test starts its own sshd (tests/python/sftp_server.py) and its own DuckDB
file, builds the drop from literal CSV text, and ingests through
``open_source("sftp://...")`` exactly as the CLI does. Failures are produced
for real: a wrong host key or client key, the server killed or frozen in the
middle of a download, a file growing while it downloads, a server that
accepts connections and never answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from conftest import query, write_files
from sftp_server import SSHD, FileWatcher, SilentServer, SshServer, generate_key
from sftp_server import sshd_fixture as sshd_fixture  # the "sshd" fixture
from sftp_server import sshd_password_fixture as sshd_password_fixture  # the "sshd_password" fixture

from loaders.cli import main as loader_main
from loaders.errors import ConfigError, SourceError
from loaders.ingest import IngestReport, ingest
from loaders.sources import DropSource, open_source

pytestmark = [
    pytest.mark.sftp,
    pytest.mark.skipif(not SSHD.exists(), reason=f"{SSHD} not installed (apt-get install openssh-server)"),
]

POS_NAME = "pos/pos_orders_20261120.csv"
POS_TEXT = """\
order_id,store_id,register_id,business_date,order_ts,customer_id,currency,line_number,sku,quantity,unit_price,discount_amount,line_total,order_total
S001-0000101,S001,R1,2026-11-20,2026-11-20T09:14:03,C1001,USD,1,SKU-100,2,4.50,0.00,9.00,21.49
S001-0000101,S001,R1,2026-11-20,2026-11-20T09:14:03,C1001,USD,2,SKU-200,1,12.99,0.50,12.49,21.49
S001-0000102,S001,R2,2026-11-20,2026-11-20T10:02:44,,USD,1,SKU-300,1,3.25,,3.25,3.25
"""
POS_CORRECTED = POS_TEXT.rsplit("S001-0000102,", 1)[0]  # the corrected delivery drops the last order
OMS_NAME = "oms/oms_orders_20261120.csv"
OMS_TEXT = """\
oms_order_id,source_system,source_order_id,store_id,customer_id,order_status,order_total,currency,created_at
OMS-500001,POS,S001-0000101,S001,C1001,CREATED,21.49,USD,2026-11-20T09:14:05
OMS-500003,WEB,W-88812,,C3001,CREATED,54.00,USD,2026-11-20T12:00:00
"""
STORES_TEXT = "store_id,store_name,is_active\nS001,Main Street,true\nS002,Harbour,false\n"
PRODUCTS_TEXT = "sku,product_name,is_active\nSKU-100,Coffee beans 250g,true\nSKU-200,Mug,true\nSKU-300,Croissant,true\n"
CONTRACT_DROP = {
    POS_NAME: POS_TEXT,
    OMS_NAME: OMS_TEXT,
    "reference/stores.csv": STORES_TEXT,
    "reference/products.csv": PRODUCTS_TEXT,
}
POS_ROW = "S001-{:07d},S001,R1,2026-11-20,2026-11-20T09:14:03,C1001,USD,1,SKU-100,2,4.50,0.00,9.00,9.00\n"


@pytest.fixture(autouse=True)
def sftp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short timeouts and backoff for the tests, and nothing inherited from the caller's environment."""
    for name in (
        "RECON_SFTP_PASSWORD",
        "RECON_SFTP_KEY_FILE",
        "RECON_SFTP_KEY_PASSPHRASE",
        "RECON_SFTP_KNOWN_HOSTS",
        "RECON_SFTP_ATTEMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RECON_SFTP_TIMEOUT", "5")
    monkeypatch.setenv("RECON_SFTP_RETRY_BASE", "0.05")


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    root = tmp_path / "drop"
    root.mkdir()
    return root


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def shared_drop() -> Iterator[Path]:
    """A drop outside pytest's private tmp directory, so that the password test account can reach it."""
    root = Path(tempfile.mkdtemp(prefix="recon-sftp-shared-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def share(root: Path, files: dict[str, str]) -> None:
    write_files(root, files)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Remote paths downloaded so far, recorded at paramiko's transfer call."""
    seen: list[str] = []
    original = paramiko.SFTPClient.getfo

    def recording_getfo(self: paramiko.SFTPClient, remotepath: str, *args: object, **kwargs: object) -> int:
        seen.append(remotepath)
        return original(self, remotepath, *args, **kwargs)

    monkeypatch.setattr(paramiko.SFTPClient, "getfo", recording_getfo)
    return seen


def open_drop(server: SshServer, root: Path, cache: Path, **options: object) -> DropSource:
    options = {"known_hosts": str(server.known_hosts), "key_file": str(server.client_key), **options}
    return open_source(server.url(root), cache_dir=str(cache), **options)


def run(server: SshServer, root: Path, db: Path, cache: Path, **options: object) -> IngestReport:
    return ingest(open_drop(server, root, cache, **options), db)


def outcomes(report: IngestReport) -> dict[str, str]:
    return {item.file: item.outcome for item in report.files}


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def fingerprint(public_key_line: str) -> str:
    result = subprocess.run(
        ["ssh-keygen", "-lf", "-"], input=public_key_line, text=True, capture_output=True, check=True
    )
    return result.stdout.split()[1]


def write_big_pos_file(path: Path, size: int, rows_per_block: int = 1000) -> int:
    """A valid POS file of about ``size`` bytes, written fast by repeating a block; returns its row count."""
    block = "".join(POS_ROW.format(i) for i in range(rows_per_block)).encode()
    repeats = max(1, size // len(block))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(POS_TEXT.splitlines(keepends=True)[0].encode())
        for _ in range(repeats):
            handle.write(block)
    return repeats * rows_per_block


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- configuration and trust ---------------------------------------------------------------------------------


def test_password_in_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        open_source("sftp://loader:hunter2@example.com/srv/drop")
    assert "RECON_SFTP_PASSWORD" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_unknown_host_key_stops_the_run_before_anything_is_read(sshd, drop, tmp_path, cache, capsys) -> None:
    write_files(drop, {POS_NAME: POS_TEXT})
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    db = tmp_path / "recon.duckdb"

    with pytest.raises(SourceError) as caught:
        open_drop(sshd, drop, cache, known_hosts=str(empty))
    message = str(caught.value)
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> {empty}" in message
    assert fingerprint(sshd.host_public_key) in message
    assert "out of band" in message

    # Through the CLI: exit code 3, one line on stderr, and no database written.
    code = loader_main(
        [
            *("ingest", "--from", sshd.url(drop), "--db", str(db), "--known-hosts", str(empty)),
            *("--key-file", str(sshd.client_key), "--cache-dir", str(cache)),
        ]
    )
    captured = capsys.readouterr()
    assert code == 3
    assert captured.err.startswith("error: the host key of [127.0.0.1]:")
    assert "Traceback" not in captured.err
    assert not db.exists()
    assert files_under(cache) == []
    assert empty.read_text() == ""  # never added on its own


def test_changed_host_key_is_refused_and_named(sshd, drop, tmp_path, cache) -> None:
    other = generate_key(tmp_path / "other_host_key")
    forged = tmp_path / "known_hosts"
    forged.write_text(f"[127.0.0.1]:{sshd.port} {' '.join(other.split()[:2])}\n")

    with pytest.raises(SourceError) as caught:
        open_drop(sshd, drop, cache, known_hosts=str(forged))
    message = str(caught.value)
    assert "CHANGED" in message
    assert fingerprint(sshd.host_public_key) in message  # the key the server offered
    assert fingerprint(other) in message  # the key on record
    assert f'ssh-keygen -R "[127.0.0.1]:{sshd.port}" -f {forged}' in message


def test_missing_known_hosts_file_is_a_configuration_error(sshd, drop, tmp_path, cache) -> None:
    with pytest.raises(ConfigError) as caught:
        open_drop(sshd, drop, cache, known_hosts=str(tmp_path / "nope"))
    assert "not found" in str(caught.value)
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1" in str(caught.value)


def test_wrong_client_key_fails_fast_without_retries(sshd, drop, tmp_path, cache, monkeypatch) -> None:
    stranger = tmp_path / "stranger_key"
    generate_key(stranger)
    monkeypatch.setenv("RECON_SFTP_RETRY_BASE", "5")  # a retry would show in the elapsed time
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        open_drop(sshd, drop, cache, key_file=str(stranger))
    assert time.monotonic() - started < 2.0
    assert "authentication failed" in str(caught.value)
    assert str(stranger) in str(caught.value)
    assert sshd.log_text().count("Connection from") == 1


def test_password_authentication(sshd_password, shared_drop, cache, monkeypatch, capsys, caplog) -> None:
    server, account = sshd_password
    share(shared_drop, {POS_NAME: POS_TEXT})
    db = cache.parent / "recon.duckdb"

    monkeypatch.setenv("RECON_SFTP_PASSWORD", account.password + "-wrong")
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        open_source(server.url(shared_drop), known_hosts=str(server.known_hosts), cache_dir=str(cache))
    assert time.monotonic() - started < 4.0  # sshd delays a failed password a little; no retries on top
    assert "RECON_SFTP_PASSWORD" in str(caught.value)
    assert account.password not in str(caught.value)
    assert server.log_text().count("Connection from") == 1

    monkeypatch.setenv("RECON_SFTP_PASSWORD", account.password)
    with caplog.at_level(logging.DEBUG):
        source = open_source(server.url(shared_drop), known_hosts=str(server.known_hosts), cache_dir=str(cache))
        assert account.password not in repr(source) + source.uri
        report = ingest(source, db)
    assert outcomes(report) == {POS_NAME: "loaded"}
    assert query(db, "select count(*) from raw.pos_order_lines") == [(3,)]
    printed = capsys.readouterr()
    for text in (printed.out, printed.err, caplog.text, str(report.to_dict())):
        assert account.password not in text
    assert f"Accepted password for {account.name}" in server.log_text()


# -- what lands ----------------------------------------------------------------------------------------------


def test_empty_drop_and_missing_drop(sshd, drop, tmp_path, cache) -> None:
    report = run(sshd, drop, tmp_path / "recon.duckdb", cache)
    assert report.ok
    assert report.files == []

    with pytest.raises(SourceError, match="not found"):
        open_drop(sshd, tmp_path / "no-such-drop", cache)


def test_contract_drop_lands_the_same_rows_as_a_local_copy(sshd, drop, tmp_path, cache) -> None:
    write_files(drop, CONTRACT_DROP)
    local_db, sftp_db = tmp_path / "local.duckdb", tmp_path / "sftp.duckdb"
    local_report = ingest(open_source(str(drop)), local_db)
    sftp_report = run(sshd, drop, sftp_db, cache)

    assert outcomes(sftp_report) == dict.fromkeys(CONTRACT_DROP, "loaded")
    assert [(f.file, f.outcome, f.rows) for f in sftp_report.files] == [
        (f.file, f.outcome, f.rows) for f in local_report.files
    ]
    for table in ("pos_order_lines", "oms_orders", "stores", "products"):
        sql = f"select * exclude (_load_id, _loaded_at) from raw.{table} order by _source_file, _source_line"  # noqa: S608
        local_rows, sftp_rows = query(local_db, sql), query(sftp_db, sql)
        assert sftp_rows == local_rows
        assert sftp_rows
    manifest = "select file_name, version, status, sha256, size_bytes, row_count from raw.file_manifest order by 1"
    assert query(sftp_db, manifest) == query(local_db, manifest)
    uris = query(sftp_db, "select distinct source_uri from raw.file_manifest")
    assert uris == [(f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{drop}",)]
    assert files_under(cache) == []  # each cached copy goes once its load committed


def test_unchanged_file_is_a_repeat_without_a_download(sshd, drop, tmp_path, cache, downloads) -> None:
    write_files(drop, {POS_NAME: POS_TEXT})
    db = tmp_path / "recon.duckdb"
    assert outcomes(run(sshd, drop, db, cache)) == {POS_NAME: "loaded"}
    assert len(downloads) == 1

    second = run(sshd, drop, db, cache)
    assert outcomes(second) == {POS_NAME: "repeat"}
    assert second.files[0].detail == "unchanged since the last run"
    assert len(downloads) == 1  # name, size and mtime matched: not fetched at all

    # Delivered again with the same bytes (new mtime): downloaded, hashed, still a repeat.
    later = time.time() + 5
    os.utime(drop / POS_NAME, (later, later))
    third = run(sshd, drop, db, cache)
    assert outcomes(third) == {POS_NAME: "repeat"}
    assert third.files[0].detail == "same bytes as the current version"
    assert len(downloads) == 2
    assert query(db, "select count(*), count(distinct _load_id) from raw.pos_order_lines") == [(3, 1)]


def test_corrected_file_lands_as_version_2(sshd, drop, tmp_path, cache) -> None:
    write_files(drop, {POS_NAME: POS_TEXT})
    db = tmp_path / "recon.duckdb"
    run(sshd, drop, db, cache)
    write_files(drop, {POS_NAME: POS_CORRECTED})
    report = run(sshd, drop, db, cache)
    assert [(f.outcome, f.version, f.rows) for f in report.files] == [("correction", 2, 2)]
    assert query(db, "select version, sha256 from raw.file_manifest order by version") == [
        (1, hashlib.sha256(POS_TEXT.encode()).hexdigest()),
        (2, hashlib.sha256(POS_CORRECTED.encode()).hexdigest()),
    ]


def test_names_with_spaces_and_quotes(sshd, tmp_path, cache) -> None:
    root = tmp_path / "drop with 'spaces' and \"quotes\""
    odd = 'pos/it\'s a "test".csv'
    write_files(root, {POS_NAME: POS_TEXT, odd: "x\n", "notes/read me.txt": "hello\n"})
    report = run(sshd, root, tmp_path / "recon.duckdb", cache)
    assert outcomes(report) == {POS_NAME: "loaded", odd: "ignored", "notes/read me.txt": "ignored"}
    assert report.ok


def test_links_to_files_are_listed_and_links_to_directories_not_followed(sshd, drop, tmp_path, cache) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_files(elsewhere, {"stores.csv": STORES_TEXT})
    write_files(drop, {POS_NAME: POS_TEXT})
    (drop / "reference").mkdir()
    (drop / "reference" / "stores.csv").symlink_to(elsewhere / "stores.csv")
    (drop / "pos" / "loop").symlink_to(drop)  # would list the drop forever if followed
    (drop / "pos" / "dangling.csv").symlink_to(tmp_path / "nothing-here")
    report = run(sshd, drop, tmp_path / "recon.duckdb", cache)
    assert outcomes(report) == {POS_NAME: "loaded", "reference/stores.csv": "loaded"}


def test_unwritable_landing_cache_stops_the_run(sshd, drop, tmp_path) -> None:
    write_files(drop, {POS_NAME: POS_TEXT, OMS_NAME: OMS_TEXT})
    not_a_directory = tmp_path / "landing"
    not_a_directory.write_text("")
    with pytest.raises(ConfigError, match="cannot write to the landing cache"):
        run(sshd, drop, tmp_path / "recon.duckdb", not_a_directory)


def test_partial_upload_names_are_listed_and_skipped(sshd, drop, tmp_path, cache, downloads) -> None:
    write_files(drop, {"pos/pos_orders_20261121.csv.part": "half", "oms/.oms_orders_20261121.csv": "half"})
    report = run(sshd, drop, tmp_path / "recon.duckdb", cache)
    assert set(outcomes(report).values()) == {"skipped"}
    assert downloads == []


def test_archive_moves_each_loaded_file_on_the_server(sshd, drop, tmp_path, cache) -> None:
    write_files(drop, CONTRACT_DROP)
    db = tmp_path / "recon.duckdb"
    report = run(sshd, drop, db, cache, archive="archive")
    assert set(outcomes(report).values()) == {"loaded"}
    for item in report.files:
        assert item.detail == f"archived to {drop / 'archive' / item.file}"
        assert (drop / "archive" / item.file).read_text() == CONTRACT_DROP[item.file]
        assert not (drop / item.file).exists()

    # The archive under the drop is not listed again; a corrected delivery keeps the earlier archived version.
    write_files(drop, {POS_NAME: POS_CORRECTED})
    again = run(sshd, drop, db, cache, archive="archive")
    assert outcomes(again) == {POS_NAME: "correction"}
    archived = sorted(p.name for p in (drop / "archive" / "pos").iterdir())
    assert archived[0] == "pos_orders_20261120.csv"
    assert len(archived) == 2
    assert archived[1].startswith("pos_orders_20261120.csv.")


def test_archive_failure_is_a_note_not_an_error(sshd, drop, tmp_path, cache) -> None:
    write_files(drop, {POS_NAME: POS_TEXT})
    blocked = tmp_path / "archive-is-a-file"
    blocked.write_text("not a directory")
    db = tmp_path / "recon.duckdb"
    report = run(sshd, drop, db, cache, archive=str(blocked))
    assert outcomes(report) == {POS_NAME: "loaded"}
    assert report.files[0].detail.startswith("not archived:")
    assert report.ok
    assert (drop / POS_NAME).exists()
    assert query(db, "select count(*) from raw.pos_order_lines") == [(3,)]


def test_progress_bar_goes_to_stderr_only_when_asked(sshd, drop, tmp_path, cache, capsys) -> None:
    write_files(drop, {POS_NAME: POS_TEXT})
    run(sshd, drop, tmp_path / "quiet.duckdb", cache)
    assert capsys.readouterr().err == ""
    run(sshd, drop, tmp_path / "progress.duckdb", cache, progress=True)
    captured = capsys.readouterr()
    assert "100%" in captured.err
    assert captured.err.endswith("\r\x1b[K")
    assert captured.out == ""


# -- failures in the middle of a transfer ----------------------------------------------------------------------


def test_connection_lost_mid_download_is_retried(sshd, drop, tmp_path, cache, caplog) -> None:
    rows = write_big_pos_file(drop / POS_NAME, 16_000_000)
    db = tmp_path / "recon.duckdb"
    killed: list[int] = []
    # Kill the connection's sshd processes (the listener stays up) once 2 MB have arrived.
    with (
        FileWatcher(cache, "*.part", 2_000_000, lambda: killed.extend(sshd.signal_sessions())) as watcher,
        caplog.at_level(logging.WARNING, logger="loaders.sources.sftp"),
    ):
        report = run(sshd, drop, db, cache)
    assert watcher.fired.is_set() and watcher.error is None and killed
    assert [(f.outcome, f.rows) for f in report.files] == [("loaded", rows)]
    assert "retrying" in caplog.text
    assert sshd.logins() == 2  # the first connection and the one after the retry
    assert query(db, "select count(*), count(distinct _load_id) from raw.pos_order_lines") == [(rows, 1)]
    assert query(db, "select sha256 from raw.file_manifest") == [(sha256(drop / POS_NAME),)]
    assert files_under(cache) == []


def test_server_killed_mid_download_fails_cleanly(sshd, drop, tmp_path, cache) -> None:
    write_files(drop, {"reference/stores.csv": STORES_TEXT})
    write_big_pos_file(drop / POS_NAME, 200_000_000)
    db = tmp_path / "recon.duckdb"
    with FileWatcher(cache, "*.part", 20_000_000, sshd.stop) as watcher, pytest.raises(SourceError) as caught:
        run(sshd, drop, db, cache)
    assert watcher.fired.is_set() and watcher.error is None
    message = str(caught.value)
    assert f"downloading {POS_NAME}" in message
    assert "failed after 3 attempts" in message
    assert "connection refused" in message
    # The reference file committed before the failure stays; nothing of the POS file landed.
    assert query(db, "select file_name, status from raw.file_manifest") == [("reference/stores.csv", "loaded")]
    assert query(db, "select count(*) from raw.pos_order_lines") == [(0,)]
    assert files_under(cache) == []  # no temporary file left behind


def test_frozen_server_mid_download_times_out_and_is_retried(sshd, drop, cache, monkeypatch, caplog) -> None:
    monkeypatch.setenv("RECON_SFTP_TIMEOUT", "1")
    # Larger than what loopback socket buffers and the SSH window hold, so the freeze is felt.
    write_big_pos_file(drop / "big.csv", 48_000_000)
    frozen: list[int] = []
    source = open_drop(sshd, drop, cache)
    (entry,) = source.list_entries()
    started = time.monotonic()
    try:
        # SIGSTOP the connection's processes: the TCP connection stays open but no byte comes.
        freeze = lambda: frozen.extend(sshd.signal_sessions(signal.SIGSTOP))  # noqa: E731
        with (
            FileWatcher(cache, "*.part", 1_000_000, freeze),
            caplog.at_level(logging.WARNING, logger="loaders.sources.sftp"),
            source.fetch(entry) as local,
        ):
            assert sha256(local) == sha256(drop / "big.csv")
    finally:
        source.close()
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert frozen
    assert "no answer within 1 s (timed out); retrying" in caplog.text
    assert sshd.logins() == 2
    assert time.monotonic() - started < 10
    assert files_under(cache) == []


def test_file_growing_during_download_is_skipped_then_loaded(sshd, drop, tmp_path, cache) -> None:
    rows = write_big_pos_file(drop / POS_NAME, 8_000_000)
    db = tmp_path / "recon.duckdb"

    def append_rows() -> None:
        with (drop / POS_NAME).open("a") as handle:
            handle.write(POS_ROW.format(9_999_999))

    with FileWatcher(cache, "*.part", 500_000, append_rows) as watcher:
        first = run(sshd, drop, db, cache)
    assert watcher.fired.is_set() and watcher.error is None
    assert outcomes(first) == {POS_NAME: "skipped"}
    assert "still being written" in first.files[0].detail
    assert first.ok
    assert query(db, "select count(*) from raw.file_manifest") == [(0,)]
    assert files_under(cache) == []

    second = run(sshd, drop, db, cache)
    assert [(f.outcome, f.rows) for f in second.files] == [("loaded", rows + 1)]


@pytest.mark.parametrize(
    "banner", [None, b"SSH-2.0-OpenSSH_9.2\r\n"], ids=["accepts-then-silent", "greets-then-silent"]
)
def test_silent_server_times_out_with_a_source_error(sshd, drop, cache, monkeypatch, banner) -> None:
    monkeypatch.setenv("RECON_SFTP_TIMEOUT", "1")
    with SilentServer(banner) as silent:
        url = f"sftp://{sshd.user}@127.0.0.1:{silent.port}{drop}"
        known_hosts = cache.parent / "silent_known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{silent.port} {sshd.host_public_key}\n")
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            open_source(url, known_hosts=str(known_hosts), key_file=str(sshd.client_key), cache_dir=str(cache))
        elapsed = time.monotonic() - started
    assert elapsed < 3 * 1 + 2  # three attempts of at most the timeout each, plus short backoffs
    assert silent.accepted == 3
    assert "failed after 3 attempts" in str(caught.value)
    assert "no SSH handshake within 1 s" in str(caught.value)


def test_unreadable_file_is_reported_and_the_others_land(sshd_password, shared_drop, cache, monkeypatch) -> None:
    server, account = sshd_password
    share(shared_drop, {"reference/stores.csv": STORES_TEXT, POS_NAME: POS_TEXT})
    (shared_drop / POS_NAME).chmod(stat.S_IRUSR | stat.S_IWUSR)  # root only
    monkeypatch.setenv("RECON_SFTP_PASSWORD", account.password)
    db = cache.parent / "recon.duckdb"
    source = open_source(server.url(shared_drop), known_hosts=str(server.known_hosts), cache_dir=str(cache))
    report = ingest(source, db)
    assert outcomes(report) == {"reference/stores.csv": "loaded", POS_NAME: "unreadable"}
    assert "Permission denied" in report.files[-1].detail
    assert not report.ok
    assert query(db, "select file_name from raw.file_manifest") == [("reference/stores.csv",)]
    assert files_under(cache) == []


def test_listing_without_permission_is_a_source_error(sshd_password, shared_drop, cache, monkeypatch) -> None:
    server, account = sshd_password
    private = shared_drop / "pos"
    private.mkdir()
    private.chmod(stat.S_IRWXU)  # root only: the test account cannot list it
    monkeypatch.setenv("RECON_SFTP_PASSWORD", account.password)
    source = open_source(server.url(shared_drop), known_hosts=str(server.known_hosts), cache_dir=str(cache))
    try:
        with pytest.raises(SourceError, match=f"could not list {private} on 127.0.0.1: Permission denied"):
            source.list_entries()
    finally:
        source.close()


def test_encrypted_key_needs_its_passphrase(sshd, drop, tmp_path, cache, monkeypatch) -> None:
    key = tmp_path / "encrypted_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "open sesame", "-f", str(key)], check=True)
    with pytest.raises(ConfigError, match="RECON_SFTP_KEY_PASSPHRASE"):
        open_drop(sshd, drop, cache, key_file=str(key))
    monkeypatch.setenv("RECON_SFTP_KEY_PASSPHRASE", "wrong")
    with pytest.raises(ConfigError, match="wrong passphrase") as caught:
        open_drop(sshd, drop, cache, key_file=str(key))
    assert "open sesame" not in str(caught.value)
    # The right passphrase unlocks the key; the server does not know it, so authentication is what fails.
    monkeypatch.setenv("RECON_SFTP_KEY_PASSPHRASE", "open sesame")
    with pytest.raises(SourceError, match="authentication failed"):
        open_drop(sshd, drop, cache, key_file=str(key))
