"""The demo's guard and its reviewer: ``python -m recon_tools.demo prepare|decide``.

``make demo`` builds the demo into the project's one database (RECON_DB_PATH, default
data/recon.duckdb), so that every command the README shows afterwards (dbt show, dbt
build, make report, make bi, make docs) works on the demo's results with nothing to
export. Before it replaces that database, ``prepare`` checks that it holds nothing but
an earlier demo: a database with deliveries from any other drop is never removed.

``decide`` is the demo's reviewer: it approves the oldest open review item of the demo's
incident (a store whose registers kept the day before as their business date; make demo
generates the drop with --incident), as a person would with
``python -m recon_tools.review decide``, so that the demo shows a decision taking effect.

Exit codes: 0 ready (the old demo database, drop and outbox removed) or decided; 2 the
database holds other deliveries, or cannot be read; 4 another process holds the database.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.database import db_path_from_env, open_database
from loaders.errors import ReconError, first_line
from recon_tools import review

# The incident's rule, and what the demo's reviewer says about it.
INCIDENT_RULE = "pos_business_date_matches_file"
REVIEWER = "demo-reviewer"
REASON = "the store's registers kept the previous day's date; the order itself is genuine"


class DemoError(ReconError):
    """The database cannot be replaced by the demo; the message says why and what to do."""

    exit_code = 2


def foreign_sources(db_path: Path, drop: Path) -> list[str]:
    """The drop locations, other than the demo's, that the database holds deliveries from."""
    with open_database(db_path, read_only=True, busy_hint="wait for it to finish, then run `make demo` again") as con:
        has_manifest = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'file_manifest'"
        ).fetchone()[0]
        if not has_manifest:
            return []
        sources = [uri for (uri,) in con.execute("select distinct source_uri from raw.file_manifest").fetchall()]
    demo = {str(drop), str(drop.resolve())}
    return sorted(uri for uri in sources if uri not in demo)


def prepare(db_path: Path, drop: Path, outbox: Path | None = None) -> None:
    if db_path.exists():
        try:
            others = foreign_sources(db_path, drop)
        except duckdb.Error as exc:
            raise DemoError(f"cannot read {db_path}: {first_line(exc)}") from None
        if others:
            raise DemoError(
                f"{db_path} holds deliveries from {', '.join(others)}, not only the demo's: "
                "`make demo` would replace it. Run the demo into another file: "
                "make demo RECON_DB_PATH=data/demo.duckdb"
            )
    for path in (db_path, Path(f"{db_path}.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(drop, ignore_errors=True)
    if outbox is not None:
        shutil.rmtree(outbox, ignore_errors=True)


def decide(db_path: Path) -> str:
    """Approve the oldest open item of the incident's rule; the line to print."""
    items = [item for item in review.list_items(db_path, "open") if item["rule_id"] == INCIDENT_RULE]
    waiting = [item for item in items if item["pending_decision_id"] is None]
    if not waiting:
        return f"Decision: no open {INCIDENT_RULE} item left to decide"
    item = waiting[0]
    decision = review.decide(db_path, item["error_key"], "approve", REVIEWER, REASON, None)
    return (
        f"Decision {decision['decision_id']}: {REVIEWER} approved order {item['order_id']} "
        f"({INCIDENT_RULE}, {item['source_file']} line {item['source_line']}), as\n"
        f"  python -m recon_tools.review decide {item['error_key']} --action approve --by {REVIEWER} "
        f'--reason "{REASON}"'
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recon_tools.demo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("prepare", help="remove the previous demo; refuse a database with other deliveries")
    run.add_argument("--db", metavar="PATH", help="database (default: $RECON_DB_PATH, else data/recon.duckdb)")
    run.add_argument("--drop", metavar="DIR", type=Path, required=True, help="the demo drop")
    run.add_argument("--outbox", metavar="DIR", type=Path, help="the demo's notification outbox, removed too")
    decider = commands.add_parser("decide", help="approve the oldest open review item of the demo's incident")
    decider.add_argument("--db", metavar="PATH", help="database (default: $RECON_DB_PATH, else data/recon.duckdb)")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            prepare(db_path_from_env(args.db), args.drop, args.outbox)
        else:
            print(decide(db_path_from_env(args.db)))
    except ReconError as exc:
        return fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
