"""Reconciliation throughput: DuckDB alone, the project end to end, and what a user would otherwise pick.

    python bench/bench.py [--orders 200000] [--days 1] [--memory-limit 4GB] [--keep DIR]
                          [--skip-peers] [--incremental-days K] [--rounds N]
                          [--web-orders 100000] [--edi-orders 20000] [--api-orders 5] [--manual-orders 2]

Generates a contract-conforming drop (``recon_tools.generate_drop``), then runs on the same
files, one process per phase, each on a new database:

  floor      DuckDB alone: read the POS and OMS files as text, answer the presence question
  project    ``python -m loaders ingest --from DIR`` then ``dbt build --exclude-resource-type
             unit_test`` (every data test included), from the project root, exactly as the
             daily job runs them; the unit tests, which do not read the data, are timed
             on their own after it (``dbt test --resource-type unit_test``), outside the total
  datacompy  ``datacompy.PandasCompare`` of POS orders against OMS POS-channel rows
  pandas     a plain pandas merge script

Each business date of the drop also holds the order channels' files (docs/channels.md), which
the project ingests and builds (the floor and the peers answer the POS question only); the
results keep their files, orders and raw rows per channel (``input.channels``).

It prints for each phase its seconds, input rows per second, peak RSS and the number of
missing orders it found, checked against the project's ``marts.fct_order_reconciliation``.
``--rounds N`` runs the phases N times in turns, on new databases, and reports each phase's
median round, so that one slow moment of the machine does not decide a ratio.
``--incremental-days K`` then loads and builds K more days one at a time on the project's
database and compares the last day's time with the first's. See bench/METHOD.md.

    python bench/bench.py report [RESULTS.json ...] [--out bench/README.md]
    python bench/bench.py show [RESULTS.json]

``report`` writes bench/README.md, the table of current figures, from results files (by
default the newest of each size in bench/results/); ``show`` prints a run's tables again.
Measuring is ``bench_measure.py``; every table, the terminal's and the README's, is
``bench_report.py``, rendered from the results document.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# Run as a script (python bench/bench.py) or loaded by path (the tests): its modules sit beside it.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import bench_report  # noqa: E402
from bench_measure import Bench, write_results  # noqa: E402

from loaders.database import memory_limit_problem  # noqa: E402

DEFAULT_PROJECT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
# Channel orders per business date of the benched drop: web and EDI at volume, API and manual at
# the generator's demo defaults.
CHANNEL_ORDERS = {"web": 100_000, "edi": 20_000, "api": 5, "manual": 2}


def measure(args: argparse.Namespace) -> int:
    """A run: measure, print its tables from its results document, write the results file."""
    bench = Bench(args)
    try:
        document = bench.first_load()
        print(channels_line(document))
        print(bench_report.phase_table(document))
        if document.get("rounds"):
            print(bench_report.rounds_text(document))
        if args.incremental_days:
            document = bench.incremental()
            print(bench_report.incremental_summary(document["incremental"]))
        path = write_results(document, args.results_dir or RESULTS_DIR)
        print(f"\nresults: {path}")
        if document["failures"]:
            print("\nproblems: " + "; ".join(document["failures"]))
        return 1 if document["failures"] else 0
    finally:
        bench.close()


def channels_line(document: dict) -> str:
    """The channel files of the first load, from the results document."""
    channels = document.get("input", {}).get("channels") or {}
    parts = [
        f"{name} {c['orders']:,} orders ({c['rows']:,} raw rows, {c['files']} file{'s' if c['files'] != 1 else ''})"
        for name, c in channels.items()
        if c["files"]
    ]
    return "channels: " + ("; ".join(parts) if parts else "none")


def report(argv: list[str]) -> int:
    """``bench.py report``: write bench/README.md from results files."""
    parser = argparse.ArgumentParser(
        prog="bench.py report",
        description="Write bench/README.md, the table of current figures, from results files.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="RESULTS.json",
        help="results files (default: the newest usable file of each size in --results-dir)",
    )
    parser.add_argument("--results-dir", type=Path, default=None, help="default: bench/results")
    parser.add_argument("--out", default=None, help="where to write (default bench/README.md; - for stdout)")
    args = parser.parse_args(argv)
    if args.files:
        missing = [str(f) for f in args.files if not f.is_file()]
        if missing:
            parser.error(f"no such results file: {', '.join(missing)}")
        results = []
        for path in args.files:
            try:
                document = bench_report.load(path)
            except (OSError, ValueError) as exc:
                parser.error(f"{path} is not a results file: {exc}")
            if bench_report.usable(document):
                results.append((path, document))
            else:
                print(f"left out {path}: its floor, project or a daily run failed", file=sys.stderr)
    else:
        results = bench_report.newest_results(args.results_dir or RESULTS_DIR, DEFAULT_PROJECT)
    rows = bench_report.current_rows(results)
    text = bench_report.readme(rows, DEFAULT_PROJECT)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out) if args.out else README
    out.write_text(text)
    used = {path for row in rows for path, _ in [row.main, *row.peers.values(), *([row.daily] if row.daily else [])]}
    print(f"wrote {out} from {len(used)} results file(s)")
    return 0


def show(argv: list[str]) -> int:
    """``bench.py show``: print a run's tables again, from its results file."""
    parser = argparse.ArgumentParser(prog="bench.py show", description="Print a run's tables from its results file.")
    parser.add_argument(
        "file", nargs="?", type=Path, metavar="RESULTS.json", help="default: the newest in bench/results"
    )
    args = parser.parse_args(argv)
    path = args.file or max(RESULTS_DIR.glob("*.json"), default=None)
    if path is None or not path.is_file():
        parser.error(f"no results file {'in ' + str(RESULTS_DIR) if path is None else path}")
    print(f"{path}:")
    print(bench_report.run_text(bench_report.load(path)))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        return report(argv[1:])
    if argv[:1] == ["show"]:
        return show(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="also: bench.py report [RESULTS.json ...] (writes bench/README.md), bench.py show [RESULTS.json]",
    )
    parser.add_argument("--orders", type=int, default=200_000, help="POS orders per day (default 200000)")
    parser.add_argument("--days", type=int, default=1, help="business dates in the first load (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    for name, default in CHANNEL_ORDERS.items():
        parser.add_argument(
            f"--{name}-orders",
            type=int,
            default=default,
            metavar="N",
            help=f"{name.upper()} channel orders per day (default {default}; 0 for none)",
        )
    parser.add_argument(
        "--memory-limit",
        help="RECON_DUCKDB_MEMORY_LIMIT for the project (and the floor), e.g. 4GB; spills go to the work dir",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="work in DIR and keep it (drop, databases, logs); a matching drop is reused",
    )
    parser.add_argument("--skip-peers", action="store_true", help="skip datacompy and pandas")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        metavar="N",
        help="run the first load's phases N times in turns, on new databases; report each phase's median",
    )
    parser.add_argument(
        "--incremental-days", type=int, default=0, metavar="K", help="then ingest and build K more days one at a time"
    )
    parser.add_argument(
        "--target-ratio",
        type=float,
        default=1.3,
        help="incremental: maximum last day / first day seconds (default 1.3)",
    )
    parser.add_argument(
        "--cold-parse", action="store_true", help="no untimed `dbt parse` first: the first build parses the project"
    )
    parser.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="project root (default: this checkout)")
    parser.add_argument(
        "--results-dir", type=Path, metavar="DIR", help="write the results file to DIR (default bench/results)"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.days < 1 or args.incremental_days < 0 or args.rounds < 1:
        parser.error("--orders, --days and --rounds must be >= 1, --incremental-days >= 0")
    if min(getattr(args, f"{name}_orders") for name in CHANNEL_ORDERS) < 0:
        parser.error("--web-orders, --edi-orders, --api-orders and --manual-orders must be >= 0")
    # Checked now, not after minutes of generating the drop; the loader checks it the same way.
    if args.memory_limit and (problem := memory_limit_problem(args.memory_limit)):
        parser.error(f"--memory-limit {args.memory_limit!r} is not a size DuckDB takes ({problem}); use e.g. 4GB")
    if not (args.project / "dbt_project.yml").exists():
        parser.error(f"{args.project} is not the project root (no dbt_project.yml)")
    if args.keep and (args.keep / "dbt_project.yml").exists():
        parser.error("--keep takes a directory of its own, not the project root")
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
