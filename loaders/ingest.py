"""One ingest run: list the drop, classify, and land each new file in its own transaction."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loaders import channels, csv_load, manifest, parquet_landing
from loaders.contract import REFERENCE_KINDS, Classified, classify
from loaders.database import ensure_raw_layer, open_database
from loaders.errors import EngineFailure, FileNotReady, FileRejected, LoaderError, first_line
from loaders.progress import FileProgress, track_statements
from loaders.settings import env_number
from loaders.sources.base import DropEntry, DropSource

# Outcomes that make the run exit non-zero.
FAILURES = frozenset({"rejected", "unreadable"})


@dataclass
class FileOutcome:
    """What happened to one file; printed as one line and returned in --json."""

    file: str
    outcome: str  # loaded | correction | repeat | rejected | unreadable | skipped | ignored
    rows: int | None = None
    version: int | None = None
    load_id: int | None = None
    seconds: float | None = None
    detail: str | None = None


@dataclass
class IngestReport:
    run_id: str
    source: str
    database: str
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    parquet: parquet_landing.LandingSync | None = None

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(item.outcome for item in self.files))

    @property
    def rows_loaded(self) -> int:
        return sum(item.rows or 0 for item in self.files if item.outcome in {"loaded", "correction"})

    @property
    def ok(self) -> bool:
        return not any(item.outcome in FAILURES for item in self.files)

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "database": self.database,
            "ok": self.ok,
            "counts": self.counts,
            "rows_loaded": self.rows_loaded,
            "seconds": round(self.seconds, 3),
            "files": [asdict(item) for item in self.files],
            "parquet": asdict(self.parquet) if self.parquet else None,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sort_key(item: tuple[DropEntry, Classified]) -> tuple[int, str]:
    # Reference snapshots first, then POS and OMS files in date order.
    entry, classified = item
    order = {"pos_orders": 1, "oms_orders": 2}
    name = classified.kind.name if classified.kind else ""
    return (0 if name in REFERENCE_KINDS else order.get(name, 3), entry.relpath)


def ingest(
    source: DropSource,
    db_path: Path,
    *,
    on_file: Callable[[FileOutcome], None] | None = None,
    progress: bool = False,
    parquet_dir: Path | None = None,
) -> IngestReport:
    """Land every new file of ``source`` into the raw layer of ``db_path``.

    Each file commits alone (rows, manifest entry and log event together), so
    a bad file never blocks or half-writes the others. progress: show the file
    at work on stderr (a terminal) while it takes longer than a second. parquet_dir: then
    make that directory match the raw layer (loaders/parquet_landing.py).
    """
    started = time.perf_counter()
    run_id = manifest.new_run_id()
    report = IngestReport(run_id=run_id, source=source.uri, database=str(db_path))

    def emit(outcome: FileOutcome) -> None:
        report.files.append(outcome)
        if on_file:
            on_file(outcome)

    con = open_database(db_path)
    try:
        if progress:
            track_statements(con)
        try:
            ensure_raw_layer(con)
        except duckdb.Error as exc:
            raise EngineFailure(f"{db_path}: the raw layer cannot be set up: {first_line(exc)}") from exc
        manifest.log_event(con, run_id, "run_started", detail=source.uri)
        try:
            entries = source.list_entries()
        except LoaderError as exc:
            manifest.log_event(con, run_id, "run_failed", detail=str(exc))
            raise
        data_files: list[tuple[DropEntry, Classified]] = []
        for entry in entries:
            classified = classify(entry.relpath)
            if entry.problem and not classified.is_partial:
                detail = f"could not be read: {entry.problem}"
                manifest.log_event(con, run_id, "file_unreadable", file_name=entry.relpath, detail=detail)
                emit(FileOutcome(entry.relpath, "unreadable", detail=detail))
            elif classified.kind is None:
                outcome = "skipped" if classified.is_partial else "ignored"
                manifest.log_event(
                    con, run_id, f"file_{outcome}", file_name=entry.relpath, detail=classified.skip_reason
                )
                emit(FileOutcome(entry.relpath, outcome, detail=classified.skip_reason))
            else:
                data_files.append((entry, classified))
        for entry, classified in sorted(data_files, key=_sort_key):
            try:
                emit(_ingest_one(con, source, entry, classified, run_id, progress=progress))
            except duckdb.Error as exc:
                # DuckDB failed outside a file's landing (its log, its manifest look-up).
                _log_quietly(con, run_id, "run_failed", file_name=entry.relpath, detail=str(exc))
                raise EngineFailure(f"{entry.relpath}: {csv_load.describe_engine_error(exc)}") from exc
            except EngineFailure as exc:
                _log_quietly(con, run_id, "run_failed", file_name=entry.relpath, detail=str(exc))
                raise EngineFailure(f"{entry.relpath}: {exc}") from exc.__cause__
            except LoaderError as exc:
                # The source failed for good (e.g. the server went away): what committed stays.
                manifest.log_event(con, run_id, "run_failed", file_name=entry.relpath, detail=str(exc))
                raise
        report.seconds = time.perf_counter() - started
        manifest.log_event(
            con,
            run_id,
            "run_finished",
            row_count=report.rows_loaded,
            seconds=report.seconds,
            detail=", ".join(f"{count} {name}" for name, count in sorted(report.counts.items())) or "no files",
        )
        if parquet_dir is not None:
            report.parquet = parquet_landing.sync(con, parquet_dir)
    finally:
        con.close()
        source.close()
    return report


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    source: DropSource,
    entry: DropEntry,
    classified: Classified,
    run_id: str,
    *,
    progress: bool = False,
) -> FileOutcome:
    if classified.kind is None:  # pragma: no cover - the caller passes data files only
        raise ValueError(f"{entry.relpath} is not a data file")
    started = time.perf_counter()
    mtime = datetime.fromtimestamp(entry.mtime, UTC).replace(tzinfo=None)
    prior = manifest.prior_delivery(con, entry.relpath)

    if (
        source.trust_size_and_mtime
        and prior is not None
        and prior.last_size == entry.size
        and prior.last_mtime == mtime
    ):
        return _repeat(source, entry, prior.last_version, "unchanged since the last run")

    manifest.log_event(con, run_id, "file_discovered", file_name=entry.relpath, detail=f"{entry.size} bytes")
    try:
        # The progress line starts once the file is here: a download draws its own bar.
        with source.fetch(entry) as path, FileProgress(entry.relpath, con, enabled=progress) as shown:
            if source.trust_size_and_mtime:  # a remote source: the file was just downloaded
                manifest.log_event(
                    con,
                    run_id,
                    "file_downloaded",
                    file_name=entry.relpath,
                    seconds=time.perf_counter() - started,
                    detail=f"{entry.size} bytes from {source.uri}",
                )
            shown.step("hashing")
            file_digest = csv_load.digest(path, on_bytes=shown.advance)
            if prior is not None and file_digest.sha256 in {prior.last_sha256, prior.current_sha256}:
                detail = "same bytes as the current version"
                if file_digest.sha256 == prior.last_sha256 and prior.last_status == "rejected":
                    detail = f"same bytes as a rejected delivery ({prior.last_reason})"
                manifest.log_event(con, run_id, "file_repeat", file_name=entry.relpath, detail=detail)
                return _repeat(source, entry, prior.last_version, detail)
            attempt = _Attempt(con, source, entry, classified, run_id, prior, file_digest, path, shown, started)
            outcome = _with_retries(attempt)
    except FileNotReady as exc:
        manifest.log_event(con, run_id, "file_skipped", file_name=entry.relpath, detail=str(exc))
        return FileOutcome(entry.relpath, "skipped", detail=str(exc))
    except OSError as exc:
        detail = f"could not be read: {exc.strerror or exc}"
        manifest.log_event(con, run_id, "file_unreadable", file_name=entry.relpath, detail=detail)
        return FileOutcome(entry.relpath, "unreadable", detail=detail)

    if outcome.outcome == "rejected":
        return outcome
    if note := source.after_commit(entry):
        outcome.detail = f"{outcome.detail}; {note}" if outcome.detail else note
    return outcome


def load_attempts() -> int:
    """Attempts at landing one file when the engine fails (RECON_LOAD_ATTEMPTS, default 3)."""
    return int(env_number("RECON_LOAD_ATTEMPTS", 3, minimum=1))


def retry_delay(attempt: int) -> float:
    """Seconds before the next attempt: RECON_LOAD_RETRY_BASE (default 1 s), doubled per attempt."""
    return env_number("RECON_LOAD_RETRY_BASE", 1.0, minimum=0.0) * 2 ** (attempt - 1)


def _with_retries(attempt: _Attempt) -> FileOutcome:
    """Land the file, trying again after an engine failure (memory, disk), with backoff.

    Only the file's content rejects a file. A failure of the engine leaves nothing recorded;
    after the last attempt it ends the run (exit 5), and the next run tries the file again.
    A fatal error invalidates the database in this process, so it is not tried again here.
    """
    attempts = load_attempts()
    for number in range(1, attempts + 1):
        try:
            return attempt.land()
        except EngineFailure as exc:
            _rollback(attempt.con)
            if number == attempts or isinstance(exc.__cause__, duckdb.FatalException):
                raise
            delay = retry_delay(number)
            _log_quietly(
                attempt.con,
                attempt.run_id,
                "file_retry",
                file_name=attempt.entry.relpath,
                detail=f"attempt {number} of {attempts} failed, next in {delay:.1f} s: {exc}",
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


@dataclass
class _Attempt:
    """What one attempt at landing a fetched file needs."""

    con: duckdb.DuckDBPyConnection
    source: DropSource
    entry: DropEntry
    classified: Classified
    run_id: str
    prior: manifest.PriorDelivery | None
    file_digest: csv_load.FileDigest
    path: Path
    shown: FileProgress
    started: float

    def land(self) -> FileOutcome:
        """Rows, manifest row and log event commit together; a rejection (the file's content) is
        recorded instead; an engine failure raises EngineFailure with nothing recorded."""
        con, entry, prior, file_digest = self.con, self.entry, self.prior, self.file_digest
        kind = self.classified.kind
        assert kind is not None  # noqa: S101 - only data files are landed
        version = prior.last_version + 1 if prior else 1
        discovered_at = _now()
        mtime = datetime.fromtimestamp(entry.mtime, UTC).replace(tzinfo=None)
        try:
            load_id = manifest.next_load_id(con)
        except duckdb.Error as exc:
            raise EngineFailure(csv_load.describe_engine_error(exc)) from exc
        loaded_at = _now()
        record = {
            "load_id": load_id,
            "run_id": self.run_id,
            "file_name": entry.relpath,
            "file_kind": kind.name,
            "business_date": self.classified.business_date,
            "version": version,
            "sha256": file_digest.sha256,
            "size_bytes": file_digest.size,
            "source_mtime": mtime,
            "source_uri": self.source.uri,
            "discovered_at": discovered_at,
            "loaded_at": loaded_at,
        }
        try:
            csv_load.check_text(file_digest)
            header = csv_load.read_header(self.path, kind) if kind.reader == "csv" else None
            con.begin()
            if header is not None:
                result = csv_load.land_rows(
                    con,
                    self.path,
                    kind,
                    header,
                    file_digest,
                    source_file=entry.relpath,
                    load_id=load_id,
                    loaded_at=loaded_at,
                    on_step=self.shown.step,
                )
            else:
                result = channels.land_document(
                    con,
                    self.path,
                    kind,
                    source_file=entry.relpath,
                    load_id=load_id,
                    loaded_at=loaded_at,
                    on_step=self.shown.step,
                )
            csv_load.check_rows(con, kind, load_id)
            seconds = time.perf_counter() - self.started
            header_cols, extra_cols = csv_load.header_json(header) if header is not None else (None, None)
            is_correction = prior is not None and prior.current_version is not None
            manifest.record_file(
                con,
                **record,
                status="loaded",
                row_count=result.rows,
                header_columns=header_cols,
                extra_columns=extra_cols,
                reject_reason=None,
                load_seconds=seconds,
            )
            detail = f"supersedes version {prior.current_version}" if is_correction and prior else None
            if header is not None and header.extras:
                extra_note = f"extra column(s) kept: {', '.join(header.extras)}"
                detail = f"{detail}; {extra_note}" if detail else extra_note
            manifest.log_event(
                con,
                self.run_id,
                "file_loaded",
                file_name=entry.relpath,
                load_id=load_id,
                row_count=result.rows,
                seconds=seconds,
                detail=detail,
            )
            self.shown.step("committing")
            con.commit()
        except duckdb.Error as exc:
            # What DuckDB raises here that the content did not cause (land_rows sorts those
            # out): memory, disk, a commit that could not be written.
            _rollback(con)
            raise EngineFailure(csv_load.describe_engine_error(exc)) from exc
        except FileRejected as exc:
            _rollback(con)
            manifest.record_file(
                con,
                **record,
                status="rejected",
                row_count=None,
                header_columns=None,
                extra_columns=None,
                reject_reason=str(exc),
                load_seconds=time.perf_counter() - self.started,
            )
            manifest.log_event(
                con, self.run_id, "file_rejected", file_name=entry.relpath, load_id=load_id, detail=str(exc)
            )
            return FileOutcome(entry.relpath, "rejected", version=version, load_id=load_id, detail=str(exc))
        except BaseException:
            _rollback(con)
            raise
        outcome = "correction" if is_correction else "loaded"
        return FileOutcome(
            entry.relpath, outcome, rows=result.rows, version=version, load_id=load_id, seconds=seconds, detail=detail
        )


def _repeat(source: DropSource, entry: DropEntry, version: int, detail: str) -> FileOutcome:
    """A repeat changes nothing; a source with an archive still moves it out of the drop."""
    note = source.after_commit(entry)
    return FileOutcome(entry.relpath, "repeat", version=version, detail=f"{detail}; {note}" if note else detail)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # No transaction is open when the header check failed before BEGIN.
    with contextlib.suppress(duckdb.Error):
        con.rollback()


def _log_quietly(con: duckdb.DuckDBPyConnection, run_id: str, event: str, **fields: object) -> None:
    """Log an event when the database still takes writes (a full disk may refuse even that)."""
    with contextlib.suppress(duckdb.Error):
        manifest.log_event(con, run_id, event, **fields)  # type: ignore[arg-type]
