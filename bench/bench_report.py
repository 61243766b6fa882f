"""The figures of ``bench/bench.py``, rendered from its results (the JSON in ``bench/results/``).

Nothing here measures or runs anything: every function takes the plain structure that
``bench_measure.py`` writes (a results file, loaded), so the terminal tables of a run and
``bench/README.md`` come from the same figures, and an old results file renders like a new one.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT_TOTAL = "project: total"
PEER_NAMES = ("datacompy", "pandas")
Document = dict[str, Any]


def load(path: Path) -> Document:
    return json.loads(Path(path).read_text())


def fmt_rate(value: float | None) -> str:
    return f"{value:,.0f}" if value else "-"


def verdict(name: str, phase: dict[str, Any], expected: int | None) -> str:
    """The ``check vs marts`` cell: did this approach find the marts' number of missing orders?"""
    if phase.get("exit_code", 0) != 0:
        return f"✗ failed (exit {phase['exit_code']})"
    if name == PROJECT_TOTAL:
        return "(the marts)" if expected is not None else "✗ no marts"
    if name.startswith("project"):
        return ""
    missing = phase.get("missing")
    if missing is None or expected is None:
        return "✗ no result"
    if missing == expected:
        return f"✓ {missing:,} = {expected:,}"
    return f"✗ {missing:,} ≠ {expected:,}"


# -- the terminal ----------------------------------------------------------------------------


def input_line(doc: Document) -> str:
    source = doc["input"]
    args = doc["args"]
    return (
        f"input: {source['pos_rows']:,} POS lines + {source['oms_rows']:,} OMS rows = {source['rows']:,} rows, "
        f"{source['bytes'] / 1e6:,.0f} MB ({args['orders']:,} orders/day x {args['days']} day(s))"
    )


def phase_table(doc: Document) -> str:
    """The first load's table, the ratios, the POS orders check, the DB file and the slowest nodes."""
    phases: dict[str, dict[str, Any]] = doc["phases"]
    total = phases.get(PROJECT_TOTAL, {})
    expected = total.get("missing")
    header = ("phase", "seconds", "CPU s", "rows/s", "peak RSS MB", "missing", "check vs marts")
    rows = [
        (
            name,
            f"{phase['seconds']:,.1f}",
            f"{phase['cpu_seconds']:,.1f}",
            fmt_rate(phase.get("rows_per_second")),
            f"{phase['peak_rss_mb']:,.0f}",
            f"{phase['missing']:,}" if phase.get("missing") is not None else "-",
            verdict(name, phase, expected),
        )
        for name, phase in phases.items()
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    align = ["<", ">", ">", ">", ">", ">", "<"]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths, strict=True)).rstrip()

    lines = ["", line(header), line(tuple("-" * w for w in widths)), *(line(row) for row in rows), ""]
    cpu_ratios = doc.get("cpu_ratios", {})
    for key, value in doc.get("ratios", {}).items():
        lines.append(f"{key:<18} {value:6.2f}x seconds   {cpu_ratios.get(key, 0):6.2f}x CPU seconds")
    pos_orders = total.get("pos_orders")
    floor_orders = phases.get("floor", {}).get("pos_orders")
    if pos_orders is not None:
        same = "✓" if floor_orders == pos_orders else "✗"
        floor_text = "-" if floor_orders is None else f"{floor_orders:,}"
        lines.append(f"POS orders: marts {pos_orders:,}, floor {floor_text} {same}")
    lines.append(f"project DB file: {(doc.get('db_size_bytes') or 0) / 1e6:,.0f} MB")
    if doc.get("slowest_nodes"):
        lines.append("\n5 slowest nodes of the build (target/run_results.json):")
        lines += [f"  {n['seconds']:8.2f} s  {n['node']}  ({n['status']})" for n in doc["slowest_nodes"]]
    return "\n".join(lines)


def rounds_text(doc: Document) -> str:
    """Every round's seconds (CPU seconds) per phase, and the project/floor ratio of each round."""
    rounds: dict[str, list[dict[str, float]]] = doc.get("rounds") or {}
    if not rounds:
        return ""
    count = max(len(r) for r in rounds.values())
    width = max(len(name) for name in rounds)
    lines = [f"\n{count} rounds in turns; the table shows each phase's median round:"]
    for name, each in rounds.items():
        cells = ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f})" for r in each)
        lines.append(f"  {name:<{width}}  {cells}")
    paired = doc.get("rounds_project_floor") or []
    lines.append(
        "  project/floor per round: " + ", ".join(f"{r['seconds']:.2f}x (CPU {r['cpu_seconds']:.2f}x)" for r in paired)
    )
    return "\n".join(lines)


def incremental_header(first: dict[str, Any], extra_days: int) -> str:
    label = "day   1" if first["day"] == 1 else f"days 1-{first['day']}"
    return (
        f"\nincremental: {extra_days} more day(s), one at a time, on the project's database\n"
        f"  {label}: {first['seconds']:7.1f} s, CPU {first['cpu_seconds']:7.1f} s (the first load, above)"
    )


def day_line(day: dict[str, Any]) -> str:
    return (
        f"  day {day['day']:>3}: {day['seconds']:7.1f} s, CPU {day['cpu_seconds']:7.1f} s "
        f"(ingest {day['ingest_seconds']:.1f} + build {day['build_seconds']:.1f}), "
        f"peak RSS {day['peak_rss_mb']:,.0f} MB, DB {(day['db_size_bytes'] or 0) / 1e6:,.0f} MB, "
        f"missing {day['missing']}"
    )


def last_days_median(days: list[dict[str, Any]], count: int = 5) -> tuple[int, float | None]:
    """The median seconds of the last ``count`` incremental days (of an even count, the slower middle one)."""
    tail = sorted(d["seconds"] for d in days[1:][-count:])
    return len(tail), (tail[len(tail) // 2] if tail else None)


def incremental_summary(incremental: dict[str, Any]) -> str:
    """The first and last day, their ratio against the target, and the nodes that grew."""
    days = incremental["days"]
    first_s, last_s = days[0]["seconds"], days[-1]["seconds"]
    ratio, cpu_ratio = incremental.get("last_over_first"), incremental.get("cpu_last_over_first")
    ratio_text = "-" if ratio is None else f"{ratio:.2f}"
    cpu_text = "-" if cpu_ratio is None else f"{cpu_ratio:.2f}"
    target = incremental["target"]
    lines = [
        f"  first {first_s:.1f} s, last {last_s:.1f} s: last/first {ratio_text} "
        f"(target <= {target}) {'✓' if incremental['meets_target'] else '✗'}; CPU seconds last/first {cpu_text}; "
        f"DB file {(days[-1]['db_size_bytes'] or 0) / 1e6:,.0f} MB"
    ]
    count, median = last_days_median(days)
    if median and first_s:
        lines.append(f"  median of the last {count} day(s) {median:.1f} s: {median / first_s:.2f}x the first day")
    if incremental.get("last_day_slowest_nodes"):
        lines.append("  5 slowest nodes of the last build:")
        lines += [
            f"    {n['seconds']:8.2f} s  {n['node']}  ({n['status']})" for n in incremental["last_day_slowest_nodes"]
        ]
    for title, nodes in (
        ("first load -> last day", incremental.get("nodes_grown_most")),
        (
            f"day {days[0]['day'] + 1} (the first incremental day) -> last day",
            incremental.get("nodes_grown_with_history"),
        ),
    ):
        if nodes:
            lines.append(f"  5 nodes that grew the most, {title}:")
            lines += [f"    {n['first']:8.2f} s -> {n['last']:8.2f} s  {n['node']}" for n in nodes]
    return "\n".join(lines)


def run_text(doc: Document) -> str:
    """A whole run as the terminal showed it, from its results file (``bench.py show``)."""
    parts = [input_line(doc), phase_table(doc)]
    if doc.get("rounds"):
        parts.append(rounds_text(doc))
    incremental = doc.get("incremental")
    if incremental:
        days = incremental["days"]
        parts.append(incremental_header(days[0], len(days) - 1))
        parts += [day_line(day) for day in days[1:]]
        parts.append(incremental_summary(incremental))
    if doc.get("failures"):
        parts.append("\nproblems: " + "; ".join(doc["failures"]))
    return "\n".join(parts)


# -- bench/README.md -------------------------------------------------------------------------

README_INTRO = """\
# Benchmarks

<!-- Written by `python bench/bench.py report` (make bench runs it after every run) from the
results files named below. Do not edit by hand: change bench/bench_report.py, or run the bench. -->

`bench/bench.py` times the reconciliation end to end on a generated drop (`recon_tools.generate_drop`),
each phase in its own process, on a new database, with its wall seconds, CPU seconds and peak RSS:

- **floor**: DuckDB alone reads the POS and OMS files as text and answers "is every POS order in
  the OMS?" with one join: the least any DuckDB-based answer can cost on this machine.
- **project**: `python -m loaders ingest`, then the daily job's `dbt build --exclude-resource-type
  unit_test` (every model, every data test); the total is the two together.
- **peers**: `datacompy.PandasCompare` and a plain pandas merge on the same files.

Every approach must find the marts' number of missing orders, or the run fails.
`--incremental-days K` then ingests and builds K more days one at a time and compares the last
day's seconds with the first's.

    make bench                                                   # 200,000 orders x 1 day, with the peers
    make bench BENCH_ARGS="--orders 1000000 --rounds 3"          # the 1M figures below
    make bench BENCH_ARGS="--orders 10000000 --memory-limit 4GB --rounds 3 --skip-peers"
    make bench BENCH_ARGS="--orders 1000000 --incremental-days 30 --skip-peers"
    .venv/bin/python bench/bench.py report                      # rewrite this page from bench/results/
    .venv/bin/python bench/bench.py show [RESULTS.json]          # print a run's tables again

Every run writes its figures to `bench/results/<UTC timestamp>.json`. How each figure is measured,
every option, rounds, incremental days and memory: [METHOD.md](METHOD.md). `bench/bench_sftp.py`
(`make bench-sftp`) times the loader's SFTP downloads against OpenSSH's `sftp`.
"""


@dataclass
class Row:
    """The current figures of one configuration (orders, days, memory limit), each from the newest file that has it."""

    key: tuple[int, int, str]
    main: tuple[Path, Document]
    peers: dict[str, tuple[Path, Document]] = field(default_factory=dict)
    daily: tuple[Path, Document] | None = None


def configuration(doc: Document) -> tuple[int, int, str]:
    args = doc.get("args", {})
    return int(args.get("orders") or 0), int(args.get("days") or 1), str(args.get("memory_limit") or "")


def usable(doc: Document, project: Path | None = None) -> bool:
    """The floor and the project succeeded (and every incremental day), on this checkout's code when ``project``
    is given (a ``--project`` run times another tree, e.g. an older commit: not the current figures, unless
    that tree held the same code, see same_timed_code). A peer that
    failed (datacompy not installed, say) leaves the rest usable; ``peer_ok`` leaves it out."""
    phases = doc.get("phases") or {}
    if PROJECT_TOTAL not in phases or "floor" not in phases:
        return False
    if any(p.get("exit_code", 0) != 0 for name, p in phases.items() if name not in PEER_NAMES):
        return False
    incremental = doc.get("incremental")
    if incremental and not all(d.get("ok", True) for d in incremental.get("days", [])):
        return False
    run = doc.get("project") or {}
    run_project = run.get("path")
    if project is None or run_project is None or Path(run_project).resolve() == project.resolve():
        return True
    return same_timed_code(project, run.get("commit"), run.get("dirty"))


# What a build runs: a run from another tree (a worktree of this repository) times this
# checkout's code when these are the same at its commit.
TIMED_PATHS = ("models", "macros", "seeds", "loaders", "tests/generic", "tests/invariants", "dbt_project.yml")


def same_timed_code(project: Path, commit: str | None, dirty: bool | None) -> bool:
    """The run's commit, clean, has the same models, macros, seeds, loader and data tests as
    ``project``'s HEAD (a snapshot of the same code, not an older commit timed for comparison)."""
    if not commit or dirty:
        return False
    result = subprocess.run(
        ["git", "-C", str(project), "diff", "--quiet", commit, "HEAD", "--", *TIMED_PATHS],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def peer_ok(doc: Document, name: str) -> bool:
    """The peer ran, succeeded and found the marts' number of missing orders."""
    phases = doc.get("phases") or {}
    if name not in phases:
        return False
    expected = phases.get(PROJECT_TOTAL, {}).get("missing")
    return verdict(name, phases[name], expected).startswith("✓")


def newest_results(directory: Path, project: Path | None = None) -> list[tuple[Path, Document]]:
    """Every usable results file in ``directory``, newest first (file names are UTC timestamps)."""
    found = []
    for path in sorted(directory.glob("*.json"), reverse=True):
        try:
            doc = load(path)
        except (OSError, json.JSONDecodeError):
            continue
        if usable(doc, project):
            found.append((path, doc))
    return found


def current_rows(results: list[tuple[Path, Document]]) -> list[Row]:
    """Group results by configuration; each figure from the newest file that measured it."""
    ordered = sorted(results, key=lambda item: item[1].get("timestamp", item[0].stem), reverse=True)
    rows: dict[tuple[int, int, str], Row] = {}
    for path, doc in ordered:
        key = configuration(doc)
        row = rows.setdefault(key, Row(key, (path, doc)))
        for name in PEER_NAMES:
            if peer_ok(doc, name) and name not in row.peers:
                row.peers[name] = (path, doc)
        if doc.get("incremental") and row.daily is None:
            row.daily = (path, doc)
    return sorted(rows.values(), key=lambda r: (r.key[0], r.key[1], r.key[2]))


def when(doc: Document, path: Path) -> str:
    stamp = doc.get("timestamp") or path.stem
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


def seconds_cell(phase: dict[str, Any], cpu: bool = False) -> str:
    text = f"{phase['seconds']:,.1f} s"
    return f"{text} (CPU {phase['cpu_seconds']:,.1f} s)" if cpu else text


def readme(rows: list[Row], base: Path) -> str:
    """bench/README.md: the static introduction, then one table of the current figures and the files they come from.

    ``base`` is the directory file names are shown relative to (the project root)."""
    marks: dict[Path, str] = {}

    def mark(path: Path) -> str:
        return marks.setdefault(path, f"[{chr(ord('a') + len(marks))}]" if len(marks) < 26 else f"[{len(marks) + 1}]")

    def source(path: Path, main: Path) -> str:
        return "" if path == main else f" {mark(path)}"

    lines = [README_INTRO, "## Current figures", ""]
    if not rows:
        lines += [
            "No results file in `bench/results/` yet (the directory is not in git): run `make bench`",
            "and this page is rewritten with its figures.",
            "",
        ]
        return "\n".join(lines)
    lines += [
        "Each row is the newest results file of one size, its letter in the last column; a figure",
        "from another file (the peers or the daily runs of an earlier run of the same size) carries",
        "that file's letter. Seconds are wall seconds of the median round when the run had `--rounds`;",
        "ratios are the project's total over the floor's, a peer's over the project's, and in daily",
        "runs the last day's ingest + build over the first load's.",
        "",
        "| run | floor | ingest | build | project total | project / floor | datacompy | pandas "
        "| project peak RSS | daily runs: last day / first | file |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        main_path, doc = row.main
        main_mark = mark(main_path)  # first, so the letters follow the rows
        phases = doc["phases"]
        total = phases[PROJECT_TOTAL]
        orders, days, limit = row.key
        run = f"{orders:,} orders x {days} day{'s' if days > 1 else ''}" + (f", DuckDB limit {limit}" if limit else "")
        ratio = doc.get("ratios", {}).get("project/floor")
        cpu_ratio = doc.get("cpu_ratios", {}).get("project/floor")
        ratio_cell = (
            "-" if ratio is None else f"{ratio:.2f}x" + ("" if cpu_ratio is None else f" (CPU {cpu_ratio:.2f}x)")
        )
        peer_cells = []
        for name in PEER_NAMES:
            if name not in row.peers:
                peer_cells.append("not measured")
                continue
            peer_path, peer_doc = row.peers[name]
            peer_ratio = peer_doc.get("ratios", {}).get(f"{name}/project")
            cell = seconds_cell(peer_doc["phases"][name])
            if peer_ratio is not None:
                cell += f", {peer_ratio:.2f}x the project"
            peer_cells.append(cell + source(peer_path, main_path))
        daily_cell = "-"
        if row.daily:
            daily_path, daily_doc = row.daily
            incremental = daily_doc["incremental"]
            last = incremental["days"][-1]["day"]
            first = incremental["days"][0]["day"]
            first_label = f"day {first}" if first == 1 else f"days 1-{first}"
            ratio_d, cpu_d = incremental.get("last_over_first"), incremental.get("cpu_last_over_first")
            if ratio_d is not None:
                daily_cell = f"day {last} / {first_label}: {ratio_d:.2f}x"
                daily_cell += "" if cpu_d is None else f" (CPU {cpu_d:.2f}x)"
                count, median = last_days_median(incremental["days"])
                first_s = incremental["days"][0]["seconds"]
                if median and first_s:
                    daily_cell += f"; median of the last {count} days {median / first_s:.2f}x"
                daily_cell += f"; target {incremental['target']}" + source(daily_path, main_path)
        cells = [
            run,
            seconds_cell(phases["floor"], cpu=True),
            seconds_cell(phases.get("project: ingest", total)),
            seconds_cell(phases.get("project: build", total)),
            seconds_cell(total, cpu=True),
            ratio_cell,
            *peer_cells,
            f"{total['peak_rss_mb'] / 1024:,.2f} GB",
            daily_cell,
            main_mark,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Results files (kept in git under `bench/results/`):", ""]
    for path, letter in marks.items():
        doc = next(d for p, d in _documents(rows) if p == path)
        lines.append(f"- {letter} {describe(path, doc, base)}")
    lines.append("")
    return "\n".join(lines)


def _documents(rows: list[Row]) -> list[tuple[Path, Document]]:
    found = []
    for row in rows:
        found.append(row.main)
        found += row.peers.values()
        if row.daily:
            found.append(row.daily)
    return found


def describe(path: Path, doc: Document, base: Path) -> str:
    """One results file: its name, date, size, rounds, commit and machine."""
    try:
        shown = path.resolve().relative_to(base.resolve())
    except ValueError:
        shown = path
    args = doc.get("args", {})
    source = doc.get("input", {})
    parts = [f"`{shown}`, {when(doc, path)}"]
    if source:
        parts.append(f"{source.get('rows', 0):,} input rows, {source.get('bytes', 0) / 1e6:,.0f} MB")
    rounds = args.get("rounds") or 1
    parts.append(f"median of {rounds} rounds" if rounds > 1 else "one round")
    if args.get("incremental_days"):
        parts.append(f"then {args['incremental_days']} daily runs")
    project = doc.get("project") or {}
    if project.get("commit"):
        commit = f"commit {project['commit'][:10]}"
        if project.get("dirty"):
            commit += " with uncommitted changes in models/, macros/, loaders/ or seeds/"
        parts.append(commit)
    machine = doc.get("machine") or {}
    if machine.get("cpus"):
        parts.append(f"{machine['cpus']} CPUs, {machine.get('memory_gb')} GB")
    load = doc.get("load_1m_at_start")
    if load is not None:
        parts.append(f"load average {load} at the start")
    return "; ".join(parts)
