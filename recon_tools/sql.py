"""Query a database read-only from the command line: ``recon-sql [--db PATH] [SQL ...]``.

A DuckDB command-line shell of the DuckDB version the project writes with is not on PyPI
(the ``duckdb-cli`` package is an older DuckDB, which cannot open these files), so the
project ships this small one. It opens the database read-only, runs each statement given
(or reads statements from standard input, one per line ending in ``;``) and prints each
result as a table. It never writes; but while it holds a file open DuckDB lets no writer in,
so a query on the pipeline's database makes the loader or a build wait: point it at
``data/bi.duckdb`` whenever one may run.

Exit codes: 0 done; 1 a statement failed; 2 bad invocation, or no such database; 4 the
database is being written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import duckdb

from loaders.cli_support import fail
from loaders.database import db_path_from_env, open_database
from loaders.errors import ReconError, first_line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recon-sql",
        description="Run SQL on a database, read-only, and print the results as tables.",
        epilog=__doc__.split("\n\n")[-1] if __doc__ else None,
    )
    parser.add_argument("sql", nargs="*", help="statements to run (default: read them from standard input)")
    parser.add_argument("--db", metavar="PATH", help="database (default: $RECON_DB_PATH, else data/recon.duckdb)")
    parser.add_argument("--max-rows", type=int, default=40, metavar="N", help="rows to print per result (default 40)")
    return parser


def statements_from(stream: Sequence[str]) -> list[str]:
    """Statements from lines: each ends at a line ending in ';'."""
    found, current = [], []
    for line in stream:
        current.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            found.append("\n".join(current))
            current = []
    if "".join(current).strip():
        found.append("\n".join(current))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        con = open_database(
            db_path_from_env(args.db),
            read_only=True,
            missing_hint="pass --db, or run `make demo` first",
            busy_hint="run again when it has finished, or query the BI export meanwhile (--db data/bi.duckdb)",
        )
    except ReconError as exc:
        return fail(exc)
    statements = args.sql or statements_from(sys.stdin.readlines())
    try:
        for statement in statements:
            try:
                relation = con.sql(statement)
            except duckdb.Error as exc:
                print(f"error: {first_line(exc)}", file=sys.stderr)
                return 1
            if relation is not None:
                relation.show(max_rows=args.max_rows, max_width=160)
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
