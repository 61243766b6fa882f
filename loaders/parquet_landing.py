"""The raw layer as Parquet files, for engines that read files rather than the DuckDB database
(the Spark target, docs/scaling.md).

With a Parquet landing directory set (``--parquet-dir`` or ``$RECON_PARQUET_DIR``), every
ingest and purge run ends by making the directory match the database's raw layer:

    DIR/<raw table>/load_<load id>.parquet   one file per current delivery (every column of
                                             the raw table, lineage columns included)
    DIR/<raw table>/empty.parquet            no rows: the table's columns, for a reader that
                                             takes them from the files (Spark)
    DIR/<other raw table>/<table>.parquet    the manifest, the processing log and the logs the
                                             operations commands write, whole (they change)

A delivery's file is written once, after its rows committed; a purged delivery's file is
removed. Files are written under a temporary name and renamed, so a reader never sees half a
file. Because each run compares the directory with the manifest, a run that stopped between
the database commit and the file, or a directory set up after deliveries landed, is completed
by the next run. DuckDB writes the files: text stays text, NULL stays NULL and a blank value
stays itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from loaders.contract import FILE_KINDS
from loaders.errors import EngineFailure, first_line

PARQUET_DIR_ENV = "RECON_PARQUET_DIR"
DELIVERY_FILE = re.compile(r"load_(\d+)\.parquet")


@dataclass
class LandingSync:
    """What one synchronisation wrote and removed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def parquet_dir_from_env(explicit: str | None) -> Path | None:
    """The landing directory: the option, else $RECON_PARQUET_DIR, else none (no Parquet)."""
    value = explicit if explicit is not None else os.environ.get(PARQUET_DIR_ENV, "")
    return Path(value) if value.strip() else None


def delivery_file(root: Path, raw_table: str, load_id: int) -> Path:
    return root / raw_table / f"load_{load_id}.parquet"


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """Write query's rows to target through a temporary file in the same folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    quoted = str(partial).replace("'", "''")
    con.execute(f"copy ({query}) to '{quoted}' (format parquet, compression zstd)")
    partial.replace(target)


def sync(con: duckdb.DuckDBPyConnection, root: Path) -> LandingSync:
    """Make root hold exactly the current deliveries of the raw layer, and the other raw
    tables whole, as Parquet. A failure names the directory: the database keeps what
    committed, and the next run writes what is missing."""
    try:
        return _sync(con, root)
    except (OSError, duckdb.Error) as exc:
        raise EngineFailure(
            f"Parquet landing {root}: {first_line(exc)} (the database has every delivery; "
            "the next run writes the missing files)"
        ) from exc


def _sync(con: duckdb.DuckDBPyConnection, root: Path) -> LandingSync:
    done = LandingSync()
    tables = {kind.name: kind.raw_table for kind in FILE_KINDS}
    wanted: dict[str, set[int]] = {table: set() for table in tables.values()}
    rows = con.execute(
        "select file_kind, load_id from raw.file_manifest where status = 'loaded' and purged_at is null"
    ).fetchall()
    for file_kind, load_id in rows:
        if file_kind in tables:
            wanted[tables[file_kind]].add(int(load_id))
    for table, load_ids in sorted(wanted.items()):
        folder = root / table
        present = {}
        if folder.is_dir():
            for path in folder.iterdir():
                if match := DELIVERY_FILE.fullmatch(path.name):
                    present[int(match.group(1))] = path
        for load_id in sorted(load_ids - present.keys()):
            target = delivery_file(root, table, load_id)
            _copy(con, f"select * from raw.{table} where _load_id = {load_id}", target)  # noqa: S608 - contract table, integer id
            done.written.append(str(target.relative_to(root)))
        for load_id in sorted(present.keys() - load_ids):
            present[load_id].unlink()
            done.removed.append(str(present[load_id].relative_to(root)))
    for table in sorted(wanted):
        if not (root / table / "empty.parquet").exists():
            _copy(con, f"select * from raw.{table} limit 0", root / table / "empty.parquet")  # noqa: S608 - contract names
    others = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw' and database_name = current_database()"
    ).fetchall()
    for (table,) in sorted(others):
        if table not in wanted:
            _copy(con, f"select * from raw.{table}", root / table / f"{table}.parquet")  # noqa: S608 - catalog names
    return done
