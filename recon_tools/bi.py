"""BI access that never blocks the build: a small DuckDB file of views over the marts' Parquet export.

Every ``dbt build`` ends by writing each mart to ``<bi dir>/<mart>.parquet`` (the on-run-end
hook ``export_marts_for_bi``, macros/export_for_bi.sql), replacing each file in one step.
``init`` creates the directory and ``data/bi.duckdb``, which holds only views
``marts.<mart>`` over those files: BI tools open it read-only and always see the latest
export, while the build writes the pipeline's own database undisturbed. The build never
opens ``bi.duckdb``.

Exit codes: 0 done; 2 bad invocation or configuration (no export and no built database);
4 the pipeline's database is being written (only when init has to do the first export).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.database import PROJECT_ROOT, db_path_from_env, open_database
from loaders.errors import DatabaseBusyError, ReconError

DEFAULT_BI_DIR = PROJECT_ROOT / "data" / "bi"
DEFAULT_BI_DB = PROJECT_ROOT / "data" / "bi.duckdb"
# DuckDB's COPY (USE_TMP_FILE) writes tmp_<name> beside the target before renaming it.
IN_PROGRESS_PREFIX = "tmp_"
# The marts' descriptions from the project's docs (relation, column_name, description), written
# by the build's export hook and by init's first export; init puts them on the views.
DESCRIPTIONS = "_descriptions.parquet"
VIEW_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class BiError(ReconError):
    """An expected failure of ``init`` with a message that names the fix (exit 2)."""

    exit_code = 2


# The pipeline's database is being written (exit 4): the project's one error for a held database.
DatabaseBusy = DatabaseBusyError


@dataclass(frozen=True)
class View:
    name: str
    path: Path
    rows: int


def bi_dir_from_env(explicit: str | None = None) -> Path:
    """The export directory: an explicit argument, else RECON_BI_DIR, else data/bi in the project."""
    value = explicit or os.environ.get("RECON_BI_DIR")
    return Path(value) if value else DEFAULT_BI_DIR


def exported_marts(bi_dir: Path) -> list[Path]:
    """The export's Parquet files (not DuckDB's in-progress tmp_ files), by name."""
    if not bi_dir.is_dir():
        return []
    return sorted(
        path
        for path in bi_dir.glob("*.parquet")
        if not path.name.startswith((IN_PROGRESS_PREFIX, "_")) and VIEW_NAME.match(path.stem)
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def export_marts(db_path: Path, bi_dir: Path) -> list[str]:
    """Write every table of the database's schema marts to <bi_dir>/<name>.parquet, as the build does.

    Used once by ``init`` when the directory holds no export yet; afterwards each build does it.
    """
    con = open_database(
        db_path,
        read_only=True,
        missing_hint=f"{bi_dir} holds no export yet; land a drop and run `dbt build` (it exports into the "
        "directory), or pass --db",
        busy_hint="the build exports the marts when it finishes; run init again after it",
    )
    try:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        if not names:
            raise BiError(f"{db_path} has no marts yet: run `dbt build` first (it exports them into {bi_dir})")
        for name in names:
            if not VIEW_NAME.match(name):
                continue
            target = _literal(str(bi_dir / f"{name}.parquet"))
            # COPY takes the file name as a literal, not a parameter: quoted by _literal.
            options = "(format parquet, compression zstd, use_tmp_file true)"
            con.execute(f'copy (select * from marts."{name}") to {target} {options}')  # noqa: S608 - checked name
        # The build's comments (persist_docs) are the docs' descriptions.
        con.execute(
            "copy (select table_name as relation, null::varchar as column_name, comment as description "  # noqa: S608
            "from duckdb_tables() where schema_name = 'marts' and database_name = current_database() "
            "union all select view_name, null, comment from duckdb_views() "
            "where schema_name = 'marts' and database_name = current_database() "
            "union all select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' and database_name = current_database()) "
            f"to {_literal(str(bi_dir / DESCRIPTIONS))} (format parquet, use_tmp_file true)"
        )
    finally:
        con.close()
    return names


def write_bi_database(bi_dir: Path, out: Path) -> list[View]:
    """(Re)create ``out`` with one view marts.<name> per exported file; replaces the file in one step."""
    files = exported_marts(bi_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    views = []
    descriptions = read_descriptions(bi_dir)
    con = duckdb.connect(str(staging))
    try:
        con.execute("create schema marts")
        for path in files:
            # Names match VIEW_NAME (checked identifiers); absolute paths work from any client's directory.
            source = _literal(str(path))
            con.execute(f'create view marts."{path.stem}" as select * from read_parquet({source})')  # noqa: S608
            described = descriptions.get((path.stem, None))
            note = f"marts.{path.stem} as of the last dbt build, read from {path}"
            con.execute(
                f'comment on view marts."{path.stem}" is ' + _literal(f"{described}\n\n({note})" if described else note)
            )
            columns = [row[0] for row in con.execute(f'describe marts."{path.stem}"').fetchall()]
            for column in columns:
                if text := descriptions.get((path.stem, column)):
                    con.execute(f'comment on column marts."{path.stem}"."{column}" is {_literal(text)}')
            rows = con.execute(f'select count(*) from marts."{path.stem}"').fetchone()[0]  # noqa: S608
            views.append(View(path.stem, path, rows))
        con.execute("checkpoint")
    except BaseException as exc:
        con.close()
        staging.unlink(missing_ok=True)
        if isinstance(exc, duckdb.Error):
            raise BiError(f"cannot create the views over {bi_dir}: {exc}") from exc
        raise
    con.close()
    # Readers that have the old file open keep reading it; new connections get the new one.
    staging.replace(out)
    return views


def read_descriptions(bi_dir: Path) -> dict[tuple[str, str | None], str]:
    """{(relation, column or None): description} from the export, empty when there is none."""
    path = bi_dir / DESCRIPTIONS
    if not path.exists():
        return {}
    with duckdb.connect() as con:
        rows = con.execute(
            "select relation, column_name, description from read_parquet(?) where coalesce(description, '') <> ''",
            [str(path)],
        ).fetchall()
    return {(relation, column): description for relation, column, description in rows}


def init(bi_dir: Path, out: Path, db_path: Path) -> tuple[list[View], list[str]]:
    """Create the export directory, export once if it is empty, and write the BI database."""
    bi_dir = bi_dir.resolve()
    out = out.resolve()
    if bi_dir.exists() and not bi_dir.is_dir():
        raise BiError(f"{bi_dir} exists and is not a directory: pass --bi-dir or set RECON_BI_DIR")
    bi_dir.mkdir(parents=True, exist_ok=True)
    exported = [] if exported_marts(bi_dir) else export_marts(db_path, bi_dir)
    return write_bi_database(bi_dir, out), exported


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.bi",
        description="BI access to the marts without touching the pipeline's database (docs/bi_access.md).",
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "init",
        help="create the export directory and the BI database of views over it",
        description=(
            "Create the export directory (so that every dbt build writes the marts into it) and the "
            "BI database: views marts.<mart> over <dir>/<mart>.parquet. When the directory holds no "
            "export yet, export the marts once from the pipeline's database. Run it again after a "
            "mart is added or the directory moves."
        ),
        epilog=__doc__.split("\n\n")[-1] if __doc__ else None,
    )
    run.add_argument(
        "--bi-dir", metavar="DIR", help="export directory (default: $RECON_BI_DIR, else data/bi in the project)"
    )
    run.add_argument(
        "--out", metavar="PATH", type=Path, default=None, help="BI database to write (default data/bi.duckdb)"
    )
    run.add_argument("--db", metavar="PATH", help="pipeline database (default: $RECON_DB_PATH, else data/recon.duckdb)")
    run.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    bi_dir = bi_dir_from_env(args.bi_dir)
    out = args.out or DEFAULT_BI_DB
    try:
        views, exported = init(bi_dir, out, db_path_from_env(args.db))
    except ReconError as exc:
        return fail(exc)
    if not args.quiet:
        if exported:
            print(f"exported {len(exported)} marts from the pipeline's database into {bi_dir.resolve()}")
        print(f"wrote {out.resolve()}: {len(views)} views over {bi_dir.resolve()}")
        for view in views:
            print(f"  marts.{view.name:<28} {view.rows:>10} rows")
        print(
            f"Connect read-only, e.g.  recon-sql --db {out.resolve()} 'select * from marts.<view>'"  # noqa: S608 - a message
            "   (every dbt build refreshes the files; see docs/bi_access.md)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
