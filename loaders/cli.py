"""Command line: ``python -m loaders ingest --from DIR|sftp://user@host[:port]/path``.

Exit codes:
  0  every file was loaded, was a repeat, or was skipped/ignored by name
  1  at least one file was rejected or could not be read (the others were loaded)
  2  bad invocation or configuration
  3  the drop location could not be reached or listed (nothing was loaded)
  4  the database is held by another process (a writer, or a reader: DuckDB lets no writer in then)
  5  DuckDB failed for a reason that is not a file's content (memory, disk, an internal error):
     the file it was landing is not recorded, and the next run tries it again
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from loaders import __version__
from loaders.cli_support import fail
from loaders.database import db_path_from_env
from loaders.errors import EngineFailure, ReconError, first_line
from loaders.ingest import FileOutcome, IngestReport, ingest
from loaders.parquet_landing import parquet_dir_from_env
from loaders.retention import cutoff_for, purge, retention_days
from loaders.sources import open_source

LABELS = {
    "loaded": "loaded",
    "correction": "correction",
    "repeat": "repeat",
    "rejected": "REJECTED",
    "unreadable": "UNREADABLE",
    "skipped": "skipped",
    "ignored": "ignored",
}


def build_parser() -> argparse.ArgumentParser:
    # Installed as the recon-loader command; also run as python -m loaders.
    prog = "recon-loader" if Path(sys.argv[0]).name == "recon-loader" else "python -m loaders"
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Land POS, OMS and reference CSV files from a drop location into the DuckDB raw layer.",
        epilog=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "ingest",
        help="land every new file of a drop location",
        description=(
            "Land every new file found under the drop location into the raw layer of the database "
            "(RECON_DB_PATH, default data/recon.duckdb), one transaction per file, then exit."
        ),
        epilog=__doc__.split("\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--from",
        dest="location",
        required=True,
        metavar="DIR|sftp://user@host[:port]/path",
        help="the drop location: a local directory, or an SFTP URL",
    )
    run.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    sftp = run.add_argument_group("SFTP options")
    sftp.add_argument(
        "--known-hosts",
        metavar="PATH",
        help="known_hosts file to verify the server's host key ($RECON_SFTP_KNOWN_HOSTS, else ~/.ssh/known_hosts)",
    )
    sftp.add_argument(
        "--key-file",
        metavar="PATH",
        help="private key for authentication ($RECON_SFTP_KEY_FILE; passphrase from $RECON_SFTP_KEY_PASSPHRASE); "
        "password authentication reads $RECON_SFTP_PASSWORD",
    )
    sftp.add_argument("--archive", metavar="DIR", help="server directory to move each file to once its load committed")
    sftp.add_argument("--cache-dir", metavar="DIR", help="local landing cache for downloads (default data/landing)")
    _add_parquet_option(run)
    _add_output_options(run)

    purge_cmd = commands.add_parser(
        "purge",
        help="remove raw rows older than the retention period (results are kept)",
        description=(
            "Delete the raw rows of POS and OMS files whose business date is older than the retention "
            "period, and of reference snapshots superseded before it. The file manifest (each purged "
            "delivery is marked), the processing log and every result dbt built (reconciliation, error "
            "history, audit trail) are kept; the next dbt build treats purged dates as final."
        ),
    )
    purge_cmd.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    when = purge_cmd.add_mutually_exclusive_group()
    when.add_argument(
        "--older-than-days",
        type=int,
        metavar="N",
        help="retention period in days (default: $RECON_RETENTION_DAYS, else 90)",
    )
    when.add_argument(
        "--before", type=date.fromisoformat, metavar="YYYY-MM-DD", help="purge business dates before this"
    )
    purge_cmd.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    _add_parquet_option(purge_cmd)
    _add_output_options(purge_cmd)
    return parser


def _add_parquet_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--parquet-dir",
        metavar="DIR",
        help="also keep the raw layer as Parquet files in DIR, one per delivery, for the Spark target "
        "($RECON_PARQUET_DIR; docs/scaling.md)",
    )


def _add_output_options(command: argparse.ArgumentParser) -> None:
    output = command.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON document (for schedulers) instead of lines")
    output.add_argument("-q", "--quiet", action="store_true", help="print only problems and the total")
    output.add_argument("-v", "--verbose", action="store_true", help="also print load ids and timings")


def printable(name: str) -> str:
    """A file name on one line: control characters (a newline in a name) written as escapes."""
    return "".join(repr(char)[1:-1] if unicodedata.category(char) == "Cc" else char for char in name)


def _format_line(item: FileOutcome, verbose: bool) -> str:
    label = LABELS.get(item.outcome, item.outcome)
    parts = [f"{label:<10} {printable(item.file)}"]
    facts = []
    if item.rows is not None:
        facts.append(f"{item.rows} rows")
    if item.version is not None and item.outcome in {"loaded", "correction"}:
        facts.append(f"version {item.version}")
    if verbose and item.load_id is not None:
        facts.append(f"load id {item.load_id}")
    if verbose and item.seconds is not None:
        facts.append(f"{item.seconds:.2f} s")
    if facts:
        parts.append(", ".join(facts))
    line = "  ".join(parts)
    if item.detail:
        line += f": {item.detail}" if not facts else f" ({item.detail})"
    return line


def _total_line(report: IngestReport) -> str:
    counts = report.counts
    order = ["loaded", "correction", "repeat", "rejected", "unreadable", "skipped", "ignored"]
    pieces = [f"{counts[name]} {name}" for name in order if counts.get(name)]
    summary = ", ".join(pieces) if pieces else "no files found"
    line = f"total: {summary}; {report.rows_loaded} rows landed in {report.seconds:.2f} s into {report.database}"
    if report.parquet is not None:
        line += f"; Parquet: {len(report.parquet.written)} file(s) written, {len(report.parquet.removed)} removed"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings from the sources (e.g. an SFTP retry) read like the loader's other messages.
    logging.basicConfig(format="warning: %(message)s", level=logging.INFO if args.verbose else logging.WARNING)
    db_path = db_path_from_env(args.db)
    if args.command == "purge":
        return _run_purge(args, db_path)
    options = {
        "known_hosts": args.known_hosts,
        "key_file": args.key_file,
        "archive": args.archive,
        "cache_dir": args.cache_dir,
        "progress": sys.stderr.isatty() and not args.json and not args.quiet,
    }
    verbose, quiet = args.verbose, args.quiet

    def on_file(item: FileOutcome) -> None:
        if args.json:
            return
        if quiet and item.outcome not in {"rejected", "unreadable"}:
            return
        print(_format_line(item, verbose), flush=True)

    try:
        source = open_source(args.location, **{k: v for k, v in options.items() if v is not None})
        report = ingest(
            source,
            db_path,
            on_file=on_file,
            progress=bool(options["progress"]),
            parquet_dir=parquet_dir_from_env(args.parquet_dir),
        )
    except ReconError as exc:
        return fail(exc, args.json)
    except duckdb.Error as exc:
        return fail(EngineFailure(f"DuckDB failed: {first_line(exc)}"), args.json)
    if args.json:
        print(json.dumps(report.to_dict(), default=str))
    else:
        print(_total_line(report))
    return 0 if report.ok else 1


def _run_purge(args: argparse.Namespace, db_path: Path) -> int:
    try:
        cutoff = args.before or cutoff_for(retention_days(args.older_than_days))
        report = purge(db_path, cutoff, dry_run=args.dry_run, parquet_dir=parquet_dir_from_env(args.parquet_dir))
    except ReconError as exc:
        return fail(exc, args.json)
    except duckdb.Error as exc:
        return fail(EngineFailure(f"DuckDB failed: {first_line(exc)}"), args.json)
    if args.json:
        print(json.dumps({"ok": True, **report.to_dict()}, default=str))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    if not args.quiet:
        for item in report.files:
            print(f"{'purge' if args.dry_run else 'purged':<10} {item['file']} (version {item['version']})")
    if not report.files:
        print(f"nothing to purge: no delivery older than {cutoff.isoformat()}")
        return 0
    tables = ", ".join(f"{table} {rows}" for table, rows in sorted(report.rows_by_table.items()))
    print(
        f"total: {verb} {report.rows} raw rows of {len(report.files)} deliveries before {cutoff.isoformat()} "
        f"({tables}); kept: the file manifest, the processing log, reconciliation results, error history"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(os.sys.argv[1:]))
