"""Command line: ``python -m loaders ingest --from DIR|sftp://user@host[:port]/path``.

Exit codes:
  0  every file was loaded, was a repeat, or was skipped/ignored by name
  1  at least one file was rejected or could not be read (the others were loaded)
  2  bad invocation or configuration
  3  the drop location could not be reached or listed (nothing was loaded)
  4  the database is locked by another writer
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from loaders import __version__
from loaders.database import db_path_from_env
from loaders.errors import LoaderError
from loaders.ingest import FileOutcome, IngestReport, ingest
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
    parser = argparse.ArgumentParser(
        prog="python -m loaders",
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
    output = run.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON document (for schedulers) instead of lines")
    output.add_argument("-q", "--quiet", action="store_true", help="print only problems and the total")
    output.add_argument("-v", "--verbose", action="store_true", help="also print load ids and timings")
    return parser


def _format_line(item: FileOutcome, verbose: bool) -> str:
    label = LABELS.get(item.outcome, item.outcome)
    parts = [f"{label:<10} {item.file}"]
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
    return f"total: {summary}; {report.rows_loaded} rows landed in {report.seconds:.2f} s into {report.database}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings from the sources (e.g. an SFTP retry) read like the loader's other messages.
    logging.basicConfig(format="warning: %(message)s", level=logging.INFO if args.verbose else logging.WARNING)
    db_path = db_path_from_env(args.db)
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
        report = ingest(source, db_path, on_file=on_file)
    except LoaderError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc), "exit_code": exc.exit_code}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(report.to_dict(), default=str))
    else:
        print(_total_line(report))
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(os.sys.argv[1:]))
