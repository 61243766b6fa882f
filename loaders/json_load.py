"""Land a web shop's order export (web/web_orders_YYYYMMDD[_NAME].json) into raw.web_orders.

One raw row per order object, its JSON text in ``document``; mapping the fields is dbt's work
(models/staging/channels/stg_web__order_lines.sql). A file is either one document
``{"orders": [...]}`` or JSON lines (one order object per line). Everything runs in DuckDB:
the file is read once as bytes, split and checked by the engine, and inserted in one
statement, so a 100 MB export lands in about a second (no Python loop over orders).

Which form a file is: when its first non-blank character is ``{`` and the whole file parses
as one JSON object, it is a document if it has the key ``orders`` (which must be an array),
JSON lines of one order if it is one line, and a document without its ``orders`` array
(rejected) if it spans several. When the whole does not parse, the file is JSON lines if its
first non-blank line is a JSON value on its own, else a document that is not valid JSON.
Either way a bad file is rejected whole, naming where: the line, or the document's line and
column, or the array element.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from loaders.contract import FileKind
from loaders.csv_load import LoadResult, literal_path
from loaders.errors import FileRejected

FILE_TABLE = "temp.main._json_file"
LINES_TABLE = "temp.main._json_lines"
BLANKS = " " + chr(9) + chr(10) + chr(13)
BOM = "\ufeff"
# DuckDB's json_type names in JSON's words, for messages.
JSON_KINDS = {"OBJECT": "an object", "ARRAY": "an array", "VARCHAR": "a string", "BOOLEAN": "a boolean", "NULL": "null"}


def json_kind(duckdb_type: str) -> str:
    """'an array', 'a number', ...: what a value of DuckDB's json_type is, in JSON's words."""
    return JSON_KINDS.get(duckdb_type, "a number")


def land_json(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FileKind,
    *,
    source_file: str,
    load_id: int,
    loaded_at: object,
    on_step: Callable[[str], None] | None = None,
) -> LoadResult:
    """Land every order object of a web export into raw.<kind.raw_table>, inside the caller's
    transaction; raise FileRejected (nothing lands) naming the position of what is wrong."""
    step = on_step or (lambda _name: None)
    step("reading")
    text_form = read_text_file(con, path)
    lineage = [source_file, load_id, loaded_at]
    if text_form == "document":
        step("landing")
        rows = land_document_orders(con, kind, "$.orders", lineage)
    else:
        step("checking")
        rows = land_lines(con, kind, lineage)
    con.execute(f"drop table {FILE_TABLE}")
    return LoadResult(rows)


def read_text_file(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Read the file once into FILE_TABLE (text, SHA-256) and tell its form: 'document' or 'lines'.

    Raises FileRejected for a file that is empty, not UTF-8, or not JSON in either form."""
    first_char = read_into_table(con, path)
    if first_char != "{":
        return "lines"
    # One parse of the text for both types (try: null when it is not valid JSON). The text
    # starts with '{': when it parses, it is one JSON object.
    (types,) = con.execute(
        f"select try(json_type(text, ['$', '$.orders'])) from {FILE_TABLE}"  # noqa: S608 - a constant name
    ).fetchone()
    if types is not None:
        orders_type = types[1]
        if orders_type == "ARRAY":
            return "document"
        if orders_type is not None:
            raise FileRejected(f'$.orders is {json_kind(orders_type)}, not an array: a document is {{"orders": [...]}}')
        (multiline,) = con.execute(
            f"select contains(trim(text, ?), chr(10)) from {FILE_TABLE}",  # noqa: S608 - a constant name
            [BLANKS],
        ).fetchone()
        if multiline:
            raise FileRejected('the document has no "orders" array: a document is {"orders": [...]}')
        return "lines"  # one order object on one line
    (first_line_valid,) = con.execute(
        f"select json_valid(split_part(ltrim(text, ?), chr(10), 1)) from {FILE_TABLE}",  # noqa: S608
        [BLANKS],
    ).fetchone()
    if first_line_valid:
        return "lines"
    raise FileRejected(document_error(con, path, "the file is one JSON document (its first line is not one object)"))


def read_into_table(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Read the file's bytes once into FILE_TABLE (its text without a BOM, SHA-256 and size) and
    return its first non-blank character; reject a file that is not UTF-8 or holds nothing."""
    con.execute(
        f"create or replace temp table {FILE_TABLE} as "  # noqa: S608 - a constant name
        "select ltrim(try(decode(content)), ?) as text, sha256(content) as sha256, octet_length(content) as size "
        "from read_blob(?)",
        [BOM, literal_path(path)],
    )
    # The first character after any blanks; '' for a blank file (no copy of the text is made).
    not_utf8, first_char = con.execute(
        f"select text is null, regexp_extract(text, '^\\s*(\\S)', 1) from {FILE_TABLE}"  # noqa: S608
    ).fetchone()
    if not_utf8:
        raise FileRejected(f"{_utf8_position(path)} is not valid UTF-8 (deliver the file in UTF-8)")
    if not first_char:
        raise FileRejected("the file is empty (or blank): it holds no JSON")
    return first_char


def document_error(con: duckdb.DuckDBPyConnection, path: Path, what: str) -> str:
    """Where DuckDB's JSON parser stopped in the document, as line and column (a rejection only)."""
    try:
        con.execute(f"select json(text) from {FILE_TABLE}").fetchall()  # noqa: S608 - a constant name
    except duckdb.InvalidInputException as exc:
        found = re.search(r"at byte (\d+)", str(exc))
        if found:
            data = path.read_bytes()
            offset = int(found.group(1)) + (len(BOM.encode()) if data.startswith(BOM.encode()) else 0)
            line = data.count(b"\n", 0, offset) + 1
            column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
            return f"{what}, and it is not valid JSON at line {line}, column {column} (byte {offset})"
    return f"{what}, and it is not valid JSON"


def land_document_orders(
    con: duckdb.DuckDBPyConnection,
    kind: FileKind,
    array_path: str,
    lineage: list,
    constants: dict[str, object] | None = None,
) -> int:
    """Insert each element of the document's array (array_path, e.g. $.orders) as one order,
    with the constants given (column: value) on every row; an element that is not a JSON
    object rejects the file."""
    constants = constants or {}
    names = "".join(f", {name}" for name in constants)
    values = "".join(", ?" for _ in constants)
    con.execute(
        f"create or replace temp table {LINES_TABLE} as "  # noqa: S608 - constant names
        "select item, index - 1 as position, json_type(item) as type "
        f"from unnest((select json_extract(text, ?) from {FILE_TABLE})) with ordinality as t(item, index)",
        [array_path + "[*]"],
    )
    bad = con.execute(
        f"select position, type from {LINES_TABLE} where type <> 'OBJECT' order by position limit 1"  # noqa: S608
    ).fetchone()
    if bad:
        raise FileRejected(f"{array_path}[{bad[0]}] is {json_kind(bad[1])}, not an order object")
    con.execute(
        f"insert into raw.{kind.raw_table} (document{names}, _source_file, _source_line, _source_position, "  # noqa: S608
        "_file_sha256, _load_id, _loaded_at) "
        f"select item::varchar{values}, ?, null, ? || '[' || position || ']', (select sha256 from {FILE_TABLE}), ?, ? "
        f"from {LINES_TABLE} order by position",
        [*constants.values(), lineage[0], array_path, *lineage[1:]],
    )
    return _drop_lines(con)


def land_lines(con: duckdb.DuckDBPyConnection, kind: FileKind, lineage: list) -> int:
    """Insert each non-blank line as one order; a line that is not valid JSON or not an object
    rejects the file, naming the first such line (blank lines are skipped, numbers kept)."""
    # The list is unnested from a scalar subquery: unnested beside the table's row (a lateral
    # join), DuckDB copied the whole text for each line (18 GB for a 130 MB file).
    con.execute(
        f"create or replace temp table {LINES_TABLE} as "  # noqa: S608 - constant names
        "select line, number, try(json_type(line)) as type "
        "from (select rtrim(raw_line, chr(13)) as line, number "
        f"from unnest((select string_split(text, chr(10)) from {FILE_TABLE})) with ordinality as t(raw_line, number)) "
        "where trim(line, ?) <> ''",
        [BLANKS],
    )
    bad = con.execute(
        f"select number, type from {LINES_TABLE} where type is distinct from 'OBJECT' order by number limit 1"  # noqa: S608
    ).fetchone()
    if bad:
        what = "is not valid JSON" if bad[1] is None else f"is {json_kind(bad[1])}, not an order object"
        raise FileRejected(
            f"line {bad[0]} {what} (JSON lines: one order object a line; a file with a bad line is rejected "
            "whole: fix the line and deliver the file again)"
        )
    con.execute(
        f"insert into raw.{kind.raw_table} (document, _source_file, _source_line, _source_position, "  # noqa: S608
        "_file_sha256, _load_id, _loaded_at) "
        f"select line, ?, number, 'line ' || number, (select sha256 from {FILE_TABLE}), ?, ? "
        f"from {LINES_TABLE} order by number",
        lineage,
    )
    return _drop_lines(con)


def _drop_lines(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute(f"select count(*) from {LINES_TABLE}").fetchone()[0]  # noqa: S608 - a constant name
    con.execute(f"drop table {LINES_TABLE}")
    return rows


def _utf8_position(path: Path) -> str:
    """'line 3 (byte 120)': where the first byte that is not UTF-8 sits (a rejection only)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"line {line} (byte {exc.start})"
    return "the file"
