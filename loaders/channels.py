"""The readers of the order channels whose files are not CSV (FileKind.reader).

Each reader lands one delivered file into its raw table inside the caller's transaction
and returns how many rows it wrote, or raises FileRejected naming the position of what it
cannot read (then nothing of the file lands). Like the CSV reader it keeps values as
delivered: mapping fields to the order layer is dbt's work (models/staging/channels).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from loaders.contract import FileKind
from loaders.csv_load import LoadResult


def land_document(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: FileKind,
    *,
    source_file: str,
    load_id: int,
    loaded_at: object,
    on_step: Callable[[str], None] | None = None,
) -> LoadResult:
    """Land a channel file with its kind's reader."""
    # Imported here: each reader module is only needed for its own kind of file.
    if kind.reader == "json":
        from loaders.json_load import land_json as reader
    elif kind.reader == "x12":
        from loaders.x12_load import land_x12 as reader
    elif kind.reader == "api":
        from loaders.api_load import land_api as reader
    else:  # pragma: no cover - the contract names only these readers
        raise ValueError(f"{kind.name}: no reader named {kind.reader!r}")
    return reader(con, path, kind, source_file=source_file, load_id=load_id, loaded_at=loaded_at, on_step=on_step)
