"""The DuckDB file: where it is, how to open it, and the raw layer's tables.

The raw layer is append-only: rows are never updated or deleted by the loader,
so every version of every file stays available for audit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from loaders.contract import FILE_KINDS
from loaders.errors import ConfigError, DatabaseBusyError, DatabaseMissingError, EngineFailure, first_line

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "recon.duckdb"

# DuckDB names a database after its file (raw.duckdb is "raw"). A file named like one of the
# project's schemas makes every "raw.table" reference ambiguous to DuckDB and to dbt.
SCHEMA_NAMES = ("raw", "staging", "bookkeeping", "intermediate", "marts", "config", "audit")

LINEAGE_COLUMNS = """
    _extra_columns varchar,
    _source_file varchar not null,
    _source_line bigint not null,
    _file_sha256 varchar not null,
    _load_id bigint not null,
    _loaded_at timestamp not null
"""

# A table whose rows are also entered by hand (FileKind.entered_by_hand: review decisions from
# python -m recon_tools.review): such a row has no file, line, hash or load, so those may be
# null; each row says its channel (file or cli), and a hand-entered row carries its id.
HAND_ENTERED_LINEAGE_COLUMNS = """
    _extra_columns varchar,
    _source_file varchar,
    _source_line bigint,
    _file_sha256 varchar,
    _load_id bigint,
    _loaded_at timestamp not null,
    _channel varchar not null default 'file',
    _decision_id varchar
"""

# A table a channel reader fills (FileKind.reader other than csv): one row per order document
# or X12 segment. _source_position says where it sits in the file: a JSON path
# ($.orders[3]), an XML path (/orders/order[2]) or a segment number (segment 14);
# _source_line is the line (JSON lines) or the segment number, null inside one document.
DOCUMENT_LINEAGE_COLUMNS = """
    _extra_columns varchar,
    _source_file varchar not null,
    _source_line bigint,
    _source_position varchar not null,
    _file_sha256 varchar not null,
    _load_id bigint not null,
    _loaded_at timestamp not null
"""

MANIFEST_DDL = """
create table if not exists raw.file_manifest (
    load_id bigint primary key,
    run_id varchar not null,
    file_name varchar not null,
    file_kind varchar not null,
    business_date date,
    version integer not null,
    status varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    source_mtime timestamp,
    source_uri varchar not null,
    row_count bigint,
    header_columns varchar,
    extra_columns varchar,
    reject_reason varchar,
    discovered_at timestamp not null,
    loaded_at timestamp not null,
    load_seconds double
)
"""

PROCESSING_LOG_DDL = """
create table if not exists raw.processing_log (
    event_id bigint primary key default nextval('raw.event_id_seq'),
    run_id varchar not null,
    event_at timestamp not null default (now() at time zone 'UTC'),
    event varchar not null,
    file_name varchar,
    load_id bigint,
    row_count bigint,
    seconds double,
    detail varchar
)
"""


# Written by the notification sender (python -m recon_tools.notify), one row per notification
# delivered to an outbox; never by dbt, so it survives a full refresh. It lives in the raw
# layer, created with it, so the dbt source that reads it exists before the first send.
NOTIFICATION_LOG_DDL = """
create table if not exists raw.notification_log (
    notification_id varchar not null,
    version integer not null,
    recipient varchar not null,
    kind varchar not null,
    business_date date,
    content_hash varchar not null,
    item_count bigint not null,
    target varchar not null,
    csv_file varchar not null,
    summary_file varchar not null,
    run_id varchar not null,
    sent_at timestamp not null,
    primary key (notification_id, version)
)
"""


# Written by the 997 sender (python -m recon_tools.acknowledge), one row per acknowledgement
# file written to a partner's outbox; like the notification log, never by dbt.
EDI_ACK_LOG_DDL = """
create table if not exists raw.edi_ack_log (
    ack_id varchar not null,
    version integer not null,
    recipient varchar not null,
    load_id bigint,
    interchange_control_number varchar,
    group_control_number varchar,
    group_status varchar not null,
    content_hash varchar not null,
    target varchar not null,
    ack_file varchar not null,
    run_id varchar not null,
    sent_at timestamp not null,
    primary key (ack_id, version)
)
"""


# Written by the order hand-off (python -m recon_tools.handoff), one row per validated channel
# order exported to the OMS outbox, per version: never by dbt, so it survives a full refresh.
# In the raw layer, created with it, so the dbt source that reads it exists before the first export.
HANDOFF_LOG_DDL = """
create table if not exists raw.handoff_log (
    handoff_id varchar not null,
    version integer not null,
    record_type varchar not null,
    channel varchar not null,
    order_id varchar not null,
    business_date date,
    content_hash varchar not null,
    line_count bigint not null,
    order_total decimal(18, 2),
    batch_file varchar not null,
    target varchar not null,
    run_id varchar not null,
    exported_at timestamp not null,
    primary key (handoff_id, version)
)
"""


def db_path_from_env(explicit: str | None = None) -> Path:
    """The database path: an explicit argument, else RECON_DB_PATH, else data/recon.duckdb in the project."""
    value = explicit or os.environ.get("RECON_DB_PATH")
    return Path(value) if value else DEFAULT_DB_PATH


def memory_limit_problem(value: str) -> str | None:
    """Why DuckDB refuses value as its memory limit, or None when it takes it. Tried on a
    throwaway in-memory database, so a bad value creates no file."""
    try:
        duckdb.connect(":memory:").execute("set memory_limit = ?", [value]).close()
    except duckdb.Error as exc:
        return str(exc)
    return None


# What to do about a database held by another process, when the caller names nothing more fitting.
WRITER_HINT = "wait for it to finish and run again"
READER_HINT = (
    "close that reader and run again. Dashboards and BI tools read data/bi.duckdb "
    "(make bi), which never holds the pipeline's database"
)


def open_database(
    path: Path,
    *,
    read_only: bool = False,
    must_exist: bool | None = None,
    busy_hint: str | None = None,
    missing_hint: str = "pass --db or set RECON_DB_PATH (land a drop with `python -m loaders ingest` first)",
) -> duckdb.DuckDBPyConnection:
    """Open the database: the one way every tool of the project does it.

    Writing (the loader) creates the file and its directory; reading never creates anything.
    ``must_exist`` (default: when reading) refuses a missing file with ``DatabaseMissingError``
    and ``missing_hint``. A file held by another process raises ``DatabaseBusyError``, whose
    message names the holder (``lock_message``) and then ``busy_hint``, what the caller's user
    can do (default: wait for a writer, close a reader). The session runs in UTC with the dbt
    profile's memory cap and spill directory (profiles.yml).
    """
    path = Path(path)
    if must_exist is None:
        must_exist = read_only
    if must_exist and not path.is_file():
        raise DatabaseMissingError(f"no database at {path} (the file does not exist): {missing_hint}")
    if not read_only and path.stem.lower() in SCHEMA_NAMES:
        raise ConfigError(
            f"{path}: DuckDB names a database after its file, and '{path.stem}' is one of the "
            f"project's schemas ({', '.join(SCHEMA_NAMES)}); name the file otherwise, e.g. recon.duckdb"
        )
    memory_limit = os.environ.get("RECON_DUCKDB_MEMORY_LIMIT", "80%")
    if problem := memory_limit_problem(memory_limit):
        raise ConfigError(
            f"RECON_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a size DuckDB takes ({problem}); "
            "use e.g. 4GB, 500MB or 80%"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if message := lock_message(path, exc, busy_hint):
            raise DatabaseBusyError(message) from exc
        if read_only:
            raise ConfigError(f"cannot open {path}: {first_line(exc)}") from exc
        raise EngineFailure(f"{path} cannot be opened: {first_line(exc)}") from exc
    con.execute("set TimeZone = 'UTC'")
    con.execute("set memory_limit = ?", [memory_limit])
    temp_dir = os.environ.get("RECON_DUCKDB_TEMP_DIR") or str(PROJECT_ROOT / "data" / "tmp")
    con.execute("set temp_directory = ?", [temp_dir])
    return con


def lock_message(path: Path, exc: duckdb.Error, hint: str | None = None) -> str | None:
    """Who holds the database and what to do, from DuckDB's lock error; None for another error.

    DuckDB names the holding program and its PID, and says when the holder only reads (a
    reader's shared lock still keeps every writer out). ``hint`` says what to do; by default,
    wait for a writer or close a reader."""
    text = str(exc)
    if "lock" not in text.lower():
        return None
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", text)
    who = f"{Path(holder.group(1)).name} (PID {holder.group(2)})" if holder else "another process"
    if "read-only mode" in text:
        return (
            f"{path} is open read-only by {who}, and DuckDB lets no writer in while anyone reads; {hint or READER_HINT}"
        )
    return (
        f"{path} is being written by another process: it is open for writing by {who} "
        f"(a dbt build or the loader); {hint or WRITER_HINT}"
    )


def raw_table_ddl(
    table: str, columns: tuple[str, ...], *, entered_by_hand: bool = False, documents: bool = False
) -> str:
    """DDL of one raw data table: every delivered column as text, then the lineage columns."""
    cols = ",\n".join(f'    "{name}" varchar' for name in columns)
    lineage = (
        HAND_ENTERED_LINEAGE_COLUMNS if entered_by_hand else DOCUMENT_LINEAGE_COLUMNS if documents else LINEAGE_COLUMNS
    )
    return f"create table if not exists raw.{table} (\n{cols},\n{lineage})"


def ensure_raw_layer(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, its tables and sequences when they do not exist yet (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute("create sequence if not exists raw.load_id_seq start 1")
    con.execute("create sequence if not exists raw.event_id_seq start 1")
    con.execute("create sequence if not exists raw.review_decision_seq start 1")
    con.execute(MANIFEST_DDL)
    con.execute(PROCESSING_LOG_DDL)
    con.execute(NOTIFICATION_LOG_DDL)
    con.execute(EDI_ACK_LOG_DDL)
    con.execute(HANDOFF_LOG_DDL)
    for kind in FILE_KINDS:
        con.execute(
            raw_table_ddl(
                kind.raw_table,
                kind.known_columns,
                entered_by_hand=kind.entered_by_hand,
                documents=kind.reader != "csv",
            )
        )
        # A database made by an earlier version gains the columns added to the interface since.
        for name in kind.known_columns:
            con.execute(f'alter table raw.{kind.raw_table} add column if not exists "{name}" varchar')
    con.execute("alter table raw.file_manifest add column if not exists purged_at timestamp")
