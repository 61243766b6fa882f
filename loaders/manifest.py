"""The file manifest and the processing log: what was delivered, and what the loader did with it.

A file name's *versions* are its distinct deliveries. The newest *loaded*
version is the current one; downstream models read only that one, and older
versions stay in the raw tables for audit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import duckdb


@dataclass(frozen=True)
class PriorDelivery:
    """The last attempt recorded for a file name, and its current loaded version."""

    last_sha256: str
    last_status: str
    last_size: int
    last_mtime: datetime | None
    last_reason: str | None
    last_version: int
    current_sha256: str | None
    current_version: int | None


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def prior_delivery(con: duckdb.DuckDBPyConnection, file_name: str) -> PriorDelivery | None:
    row = con.execute(
        """
        select sha256, status, size_bytes, source_mtime, reject_reason, version
        from raw.file_manifest
        where file_name = ?
        order by version desc
        limit 1
        """,
        [file_name],
    ).fetchone()
    if row is None:
        return None
    current = con.execute(
        """
        select sha256, version
        from raw.file_manifest
        where file_name = ? and status = 'loaded'
        order by version desc
        limit 1
        """,
        [file_name],
    ).fetchone()
    return PriorDelivery(
        last_sha256=row[0],
        last_status=row[1],
        last_size=row[2],
        last_mtime=row[3],
        last_reason=row[4],
        last_version=row[5],
        current_sha256=current[0] if current else None,
        current_version=current[1] if current else None,
    )


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select nextval('raw.load_id_seq')").fetchone()[0]


def record_file(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    run_id: str,
    file_name: str,
    file_kind: str,
    business_date: date | None,
    version: int,
    status: str,
    sha256: str,
    size_bytes: int,
    source_mtime: datetime | None,
    source_uri: str,
    row_count: int | None,
    header_columns: str | None,
    extra_columns: str | None,
    reject_reason: str | None,
    discovered_at: datetime,
    loaded_at: datetime,
    load_seconds: float,
) -> None:
    con.execute(
        """
        insert into raw.file_manifest (
            load_id, run_id, file_name, file_kind, business_date, version, status, sha256,
            size_bytes, source_mtime, source_uri, row_count, header_columns, extra_columns,
            reject_reason, discovered_at, loaded_at, load_seconds
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            load_id,
            run_id,
            file_name,
            file_kind,
            business_date,
            version,
            status,
            sha256,
            size_bytes,
            source_mtime,
            source_uri,
            row_count,
            header_columns,
            extra_columns,
            reject_reason,
            discovered_at,
            loaded_at,
            load_seconds,
        ],
    )


def log_event(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    event: str,
    *,
    file_name: str | None = None,
    load_id: int | None = None,
    row_count: int | None = None,
    seconds: float | None = None,
    detail: str | None = None,
) -> None:
    con.execute(
        """
        insert into raw.processing_log (run_id, event, file_name, load_id, row_count, seconds, detail)
        values (?, ?, ?, ?, ?, ?, ?)
        """,
        [run_id, event, file_name, load_id, row_count, seconds, detail],
    )
