"""Land one CSV file into its raw table with DuckDB's own reader.

The dialect is pinned (comma, double quote, RFC 4180 escaping, header line)
and DuckDB's sniffer is never used: a sniffer guesses, and on a ragged file a
guess silently shifts values into the wrong columns. Every value lands as
text; typing and checking are the dbt validation layer's job.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.contract import FileKind
from loaders.errors import EngineFailure, FileRejected, first_line

CHUNK = 1 << 20
MAX_HEADER_BYTES = 1 << 20

# Pinned dialect, shared by every read of a delivered file. The reader is given one
# column more than the header and pads short lines with NULL, while an empty field
# stays '' (no string reads as NULL): a line with fewer fields than the header then
# has a NULL in the header's last column, and a line with more (even a single stray
# trailing comma, which DuckDB would otherwise drop silently, shifting nothing but
# hiding a ragged line) has a value in the spare column. Both reject the file.
READ_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
    "strict_mode = true, null_padding = true, nullstr = chr(0)"
)
RAGGED_MARK = "ragged record"
LANDING_TABLE = "temp.main._landing"


@dataclass(frozen=True)
class FileDigest:
    """What one pass over the bytes tells: identity, and whether records map 1:1 to lines."""

    sha256: str
    size: int
    line_count: int  # physical lines, a last line without a newline included
    trailing_blank_lines: int
    nul_line: int | None = None  # the physical line of the first NUL byte, if the file has one


@dataclass(frozen=True)
class Header:
    """The delivered header, normalized, and where each column sits."""

    delivered: list[str]
    positions: dict[str, int]  # normalized name -> 1-based position
    extras: list[str]  # normalized names of columns the contract does not know


@dataclass(frozen=True)
class LoadResult:
    rows: int


def digest(path: Path, on_bytes: Callable[[int, int], None] | None = None) -> FileDigest:
    """SHA-256, size and line count in one streaming pass (hashlib and bytes.count run in C).
    on_bytes(done, total) hears of each chunk read, for a progress line."""
    sha = hashlib.sha256()
    size = 0
    newlines = 0
    nul_line = None
    tail = b""
    total = path.stat().st_size
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            if nul_line is None and (nul_at := chunk.find(b"\0")) >= 0:
                nul_line = newlines + chunk.count(b"\n", 0, nul_at) + 1
            newlines += chunk.count(b"\n")
            tail = (tail + chunk)[-4096:]
            if on_bytes:
                on_bytes(size, total)
    line_count = newlines + (1 if tail and not tail.endswith(b"\n") else 0)
    stripped = tail.rstrip(b"\r\n")
    trailing = tail[len(stripped) :].count(b"\n") - 1 if tail.endswith(b"\n") else 0
    return FileDigest(sha.hexdigest(), size, line_count, max(trailing, 0), nul_line)


def check_text(file_digest: FileDigest) -> None:
    """Refuse bytes no CSV text field may hold. The reader takes a field that is a NUL byte for
    a missing value (its NULL marker), so such a value would vanish or shift a field count."""
    if file_digest.nul_line is not None:
        raise FileRejected(
            f"line {file_digest.nul_line} holds a NUL byte (0x00), which no text field may hold "
            "(a file with one is rejected whole: remove it and deliver the file again)"
        )


def read_header(path: Path, kind: FileKind) -> Header:
    """Parse and check the header line: names trimmed, case-folded, BOM removed; required columns present.

    No message quotes the file's content (the file may not be what its name says): a missing
    column names the delivered columns that resemble it, and nothing else.
    """
    with path.open("rb") as handle:
        first = handle.readline(MAX_HEADER_BYTES)
    if not first.strip(b"\xef\xbb\xbf\r\n \t"):
        raise FileRejected("the file is empty: a header line is required (a header-only file is valid)")
    if len(first) == MAX_HEADER_BYTES and not first.endswith(b"\n"):
        raise FileRejected(f"the header line is longer than {MAX_HEADER_BYTES} bytes: this is not a header")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"the header line is not valid UTF-8 (byte {exc.start})") from exc
    line = text.rstrip("\r\n")
    try:
        cells = next(csv.reader(io.StringIO(line), delimiter=",", quotechar='"', strict=True), [])
    except csv.Error as exc:
        if "\r" in line and '"' not in line:
            raise FileRejected(
                "lines end with a bare carriage return (CR): deliver lines ending in LF or CR LF"
            ) from None
        raise FileRejected(f"the header line cannot be parsed as CSV ({exc})") from None
    delivered = list(cells)
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for index, cell in enumerate(cells, start=1):
        name = cell.strip().lower() or f"column_{index}"
        if name in positions:
            duplicates.append(name)
        positions[name] = index
    if duplicates:
        known = sorted({name for name in duplicates if name in kind.known_columns})
        named = ", ".join(known) if known else f"{len(set(duplicates))} name(s) the interface does not know"
        raise FileRejected(f"the header repeats column(s) {named}: each column once")
    missing = [name for name in kind.required_columns if name not in positions]
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}{_lookalikes(missing, positions)}")
    extras = [name for name in positions if name not in kind.known_columns]
    return Header(delivered, positions, extras)


def _lookalikes(missing: list[str], delivered: dict[str, int]) -> str:
    """' (column 3, 'oder_id', looks like order_id)': only delivered names close to a missing one."""
    hints = []
    for name in missing:
        for close in difflib.get_close_matches(name, list(delivered), n=1, cutoff=0.75):
            hints.append(f"column {delivered[close]}, {close!r}, looks like {name}")
    count = f"the header has {len(delivered)} column(s)"
    return f" ({count}; {'; '.join(hints)})" if hints else f" ({count}, none named like them)"


def _columns_struct(width: int) -> str:
    """The read_csv ``columns`` argument: positional names c1..cN, all text."""
    return "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, width + 1)) + "}"


def land_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FileKind,
    header: Header,
    file_digest: FileDigest,
    *,
    source_file: str,
    load_id: int,
    loaded_at: object,
    on_step: Callable[[str], None] | None = None,
) -> LoadResult:
    """Insert every record of the file into its raw table, inside the caller's transaction.

    Each row carries its source file, its line number (the header is line 1),
    the file's SHA-256, the load id and the load time. Unknown columns are kept
    as a JSON object in ``_extra_columns``. on_step hears the name of each step
    (reading, landing), for a progress line.
    """
    step = on_step or (lambda _name: None)
    width = len(header.positions)
    select_list = []
    for name in kind.known_columns:
        position = header.positions.get(name)
        select_list.append(f"nullif(c{position}, '') as \"{name}\"" if position else f'null::varchar as "{name}"')
    if header.extras:
        pairs = ", ".join(f"?, nullif(c{header.positions[name]}, '')" for name in header.extras)
        extras_sql = f"json_object({pairs})::varchar"
    else:
        extras_sql = "null::varchar"
    fields = " + ".join(f"(c{i} is not null)::int" for i in range(1, width + 2))
    # The file is read in parallel into a temporary table, which keeps the file's order
    # (DuckDB preserves insertion order) and numbers its rows consecutively from a base
    # (a large one inside a transaction): rowid - base + 1 is the record number. Numbering
    # the records in the read itself (WITH ORDINALITY) costs a third more time.
    line = f"(rowid - (select min(rowid) from {LANDING_TABLE}) + 2)"  # noqa: S608 - a constant name
    line_sql = (
        f"case when c{width} is null or c{width + 1} is not null "
        f"then error('{RAGGED_MARK} ' || {line} || ' has ' || ({fields}) || ' fields') "
        f"else {line} end"
    )
    insert_columns = ", ".join(f'"{name}"' for name in kind.known_columns)
    for parallel in (True, False):
        try:
            step("reading")
            con.execute(
                f"create or replace temp table {LANDING_TABLE} as select * from read_csv("  # noqa: S608 - constants
                f"?, {READ_OPTIONS}, parallel = {str(parallel).lower()}, columns = {_columns_struct(width + 1)})",
                [literal_path(path)],
            )
            step("landing")
            con.execute(
                f"insert into raw.{kind.raw_table} ({insert_columns}, _extra_columns, _source_file, _source_line, "  # noqa: S608 - identifiers are the contract's own constants
                "_file_sha256, _load_id, _loaded_at) "
                f"select {', '.join(select_list)}, {extras_sql}, ?, {line_sql}, ?, ?, ? "
                f"from {LANDING_TABLE}",
                [*header.extras, source_file, file_digest.sha256, load_id, loaded_at],
            )
            con.execute(f"drop table {LANDING_TABLE}")
            break
        except duckdb.Error as exc:
            # DuckDB's parallel reader cannot pad lines when a quoted value spans lines: read it serially.
            if parallel and "does not support null_padding" in str(exc):
                # Nothing else happened in this file's transaction yet: start it again.
                con.rollback()
                con.begin()
                continue
            # The caller rolls the file's transaction back, the temporary table with it.
            if is_content_error(exc):
                raise FileRejected(_describe_csv_error(exc, width)) from exc
            raise EngineFailure(describe_engine_error(exc)) from exc
    rows = con.execute(f"select count(*) from raw.{kind.raw_table} where _load_id = ?", [load_id]).fetchone()[0]  # noqa: S608 - table name is a contract constant
    records_end_line = rows + 1 + file_digest.trailing_blank_lines
    if records_end_line != file_digest.line_count:
        _map_physical_lines(con, path, kind, load_id)
    return LoadResult(rows)


def check_rows(con: duckdb.DuckDBPyConnection, kind: FileKind, load_id: int) -> None:
    """Refuse the file whole when a landed row breaks one of its kind's row checks (review
    decisions): the first such line, and what is wrong with it, without quoting its values.
    Runs inside the file's transaction, which the caller rolls back on FileRejected."""
    if not kind.row_checks:
        return
    reasons = " ".join(f"when {condition} then {_sql_text(message)}" for condition, message in kind.row_checks)
    try:
        found = con.execute(
            f"select _source_line, case {reasons} end as reason from raw.{kind.raw_table} "  # noqa: S608 - the contract's own constants
            f"where _load_id = ? and ({' or '.join(f'coalesce({c}, false)' for c, _ in kind.row_checks)}) "
            "order by _source_line limit 1",
            [load_id],
        ).fetchone()
    except duckdb.Error as exc:
        raise EngineFailure(describe_engine_error(exc)) from exc
    if found:
        raise FileRejected(
            f"line {found[0]}: {found[1]} (a file with a malformed line is rejected whole, nothing of it "
            "is applied: fix the line and deliver the file again)"
        )


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map_physical_lines(con: duckdb.DuckDBPyConnection, path: Path, kind: FileKind, load_id: int) -> None:
    """Replace record numbers by physical line numbers when they differ.

    They differ when a quoted value spans lines or blank lines sit between
    records. A physical line starts a record when the quotes before it are
    balanced and it is not blank; the n-th such line (header first) is record n.
    Runs in DuckDB, and only for the files that need it.
    """
    try:
        _update_lines(con, path, kind, load_id)
    except duckdb.Error as exc:
        raise EngineFailure(describe_engine_error(exc)) from exc


def _update_lines(con: duckdb.DuckDBPyConnection, path: Path, kind: FileKind, load_id: int) -> None:
    con.execute(
        f"""
        update raw.{kind.raw_table} as target
        set _source_line = starts.line_number
        from (
            with lines as (
                select
                    unnest(string_split(content, chr(10))) as line_text,
                    generate_subscripts(string_split(content, chr(10)), 1) as line_number
                from read_text(?)
            ),
            quoted as (
                select
                    line_number,
                    line_text,
                    coalesce(sum(length(line_text) - length(replace(line_text, '"', ''))) over (
                        order by line_number rows between unbounded preceding and 1 preceding
                    ), 0) as quotes_before
                from lines
            ),
            record_starts as (
                select line_number, row_number() over (order by line_number) as record_number
                from quoted
                where quotes_before % 2 = 0 and rtrim(line_text, chr(13)) <> ''
            )
            select line_number, record_number from record_starts
        ) as starts
        where target._load_id = ? and target._source_line = starts.record_number
        """,  # noqa: S608 - table name is a contract constant
        [literal_path(path), load_id],
    )


def literal_path(path: Path) -> str:
    """The path as a pattern that matches only itself: DuckDB's readers take a glob, so a drop
    under '/x/drop[1]' would read '/x/drop1' and one named '*.csv' every file beside it."""
    return "".join(f"[{char}]" if char in "[*?" else char for char in str(path))


def is_content_error(exc: duckdb.Error) -> bool:
    """Whether the file's bytes caused the error (then the file is rejected), rather than the
    engine or the machine (memory, disk, an internal error: then the load is tried again)."""
    text = str(exc)
    return isinstance(exc, duckdb.InvalidInputException) and ("CSV Error" in text or RAGGED_MARK in text)


def describe_engine_error(exc: duckdb.Error) -> str:
    """DuckDB's first line, and what to do: the failure is not the file's."""
    first = first_line(exc)
    checks = "check RECON_DUCKDB_MEMORY_LIMIT, RECON_DUCKDB_TEMP_DIR and the free disk space"
    if isinstance(exc, duckdb.FatalException):
        # DuckDB stops taking writes in this process; the file's transaction committed whole or not at all.
        return (
            f"DuckDB stopped with a fatal error, not caused by the file's content: {first} ({checks}; "
            "the file's load committed whole or not at all: the next run loads it, or reports it a repeat)"
        )
    return (
        f"DuckDB failed while landing it, for a reason that is not the file's content: {first} "
        f"({checks}; nothing of the file was recorded, and the next run tries it again)"
    )


def _describe_csv_error(exc: duckdb.Error, width: int) -> str:
    """Turn DuckDB's multi-line CSV error into one line that names the line and the problem."""
    text = str(exc)
    ragged = re.search(RAGGED_MARK + r" (\d+) has (\d+) fields", text)
    if ragged:
        found = int(ragged.group(2))
        stray = " (a stray delimiter at its end counts as a field)" if found > width else ""
        return (
            f"cannot be parsed: line {ragged.group(1)} has {found} fields where the header has {width}{stray} "
            "(a ragged file is rejected whole: fix the line and deliver the file again)"
        )
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f"line {line.group(1)}" if line else "a line"
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if columns:
        return (
            f"cannot be parsed: {where} has {columns.group(2)} fields where the header has {width} "
            "(a ragged file is rejected whole: fix the line and deliver the file again)"
        )
    too_long = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size: ?(\d+)", text)
    if too_long:
        return (
            f"cannot be parsed: {where} is {too_long.group(2)} bytes long, over the reader's limit of "
            f"{too_long.group(1)} bytes a line"
        )
    if "unterminated quote" in text:
        return f"cannot be parsed: {where} opens a quoted value that is never closed"
    if "Invalid unicode" in text or "not utf-8" in text:
        return f"cannot be parsed: {where} is not valid UTF-8 (deliver the file in UTF-8)"
    first = first_line(exc)
    return f"cannot be parsed at {where}: {first}"


def header_json(header: Header) -> tuple[str, str | None]:
    """The delivered header and the extra columns, as JSON text for the manifest."""
    return json.dumps(header.delivered), (json.dumps(header.extras) if header.extras else None)
