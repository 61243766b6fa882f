"""The measuring half of ``bench/bench.py``: run each phase in its own process and collect its figures.

Everything measured ends up in one plain structure, the results document (a dict that is
written as it is to ``bench/results/<UTC timestamp>.json``). Nothing here formats a table:
``bench_report.py`` renders the document, here for the live progress lines and in
``bench.py`` for the tables, so a results file renders the same way later.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_report
from bench_report import PEER_NAMES, PROJECT_TOTAL, Document

BENCH_DIR = Path(__file__).resolve().parent
PEERS = BENCH_DIR / "peers.py"
START_DATE = "2026-11-16"  # the generator's default first business date
MISSING_SQL = "select count(*) from marts.fct_order_reconciliation where recon_status = 'missing_in_oms'"
ORDERS_SQL = "select count(*) from marts.fct_order_reconciliation"
# The daily job's build: every data test, not the unit tests (fixed fixtures, run in CI).
DAILY_BUILD_OPTIONS = ("--exclude-resource-type", "unit_test")
UNIT_TESTS_PHASE = "project: unit tests (apart)"


@dataclass
class Phase:
    """One measured process (or, for ``project``, the sum of two)."""

    name: str
    seconds: float
    peak_rss_mb: float
    exit_code: int = 0
    cpu_seconds: float = 0.0
    rows: int = 0
    missing: int | None = None
    pos_orders: int | None = None
    log: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds > 0 else None


def run_measured(name: str, command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> Phase:
    """Run ``command`` to completion: wall seconds, CPU seconds and peak RSS of the process and its waited-for children.

    ``os.wait4`` returns the resource usage of this one child, so every phase's peak is its
    own, whatever ran before it in this process.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    cpu = usage.ru_utime + usage.ru_stime
    phase = Phase(name, seconds, usage.ru_maxrss / 1024, proc.returncode, cpu, log=str(log))
    # Other work on the machine skews wall seconds (CPU seconds much less): keep the load next to each figure.
    phase.detail["load_1m_at_end"] = round(os.getloadavg()[0], 2)
    return phase


def tail(path: str | None, lines: int = 15) -> str:
    if not path or not Path(path).exists():
        return ""
    text = Path(path).read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def last_json_line(path: str | None) -> dict[str, Any]:
    if not path or not Path(path).exists():
        return {}
    for line in reversed(Path(path).read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return {}
    return {}


def count_data_rows(paths: list[Path]) -> int:
    """CSV data rows: lines less the header (the generator writes no quoted line breaks)."""
    total = 0
    for path in paths:
        lines = 0
        last = b"\n"
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 24):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":
            lines += 1
        total += max(lines - 1, 0)
    return total


CHANNEL_FOLDERS = {"web": "WEB", "edi": "EDI", "api": "API", "manual": "MANUAL"}


def day_files(drop: Path, day: int) -> list[Path]:
    """The POS and OMS files of the ``day``-th business date (0-based) of a generated drop, then its channel files."""
    stamp = (datetime.fromisoformat(START_DATE) + timedelta(days=day)).strftime("%Y%m%d")
    channels = sorted(path for folder in CHANNEL_FOLDERS for path in (drop / folder).glob(f"*_{stamp}[._]*"))
    return [drop / "pos" / f"pos_orders_{stamp}.csv", drop / "oms" / f"oms_orders_{stamp}.csv", *channels]


def channel_counts(paths: list[Path]) -> dict[str, dict[str, int]]:
    """Per channel, of the generated channel files among ``paths``: files, orders, and the raw rows the
    loader lands (web and API: one per order; EDI: one per segment; manual: one per line)."""
    counts = {channel: {"files": 0, "orders": 0, "rows": 0} for channel in CHANNEL_FOLDERS.values()}
    for path in paths:
        channel = CHANNEL_FOLDERS.get(path.parent.name)
        if channel is None:
            continue
        text = path.read_text()
        if path.suffix == ".jsonl":
            orders = rows = sum(1 for line in text.splitlines() if line.strip())
        elif path.suffix == ".json":
            orders = rows = len(json.loads(text)["orders"])
        elif path.suffix == ".xml":
            orders = rows = text.count("<order>")
        elif path.suffix == ".x12":
            # the generator ends every segment with the first ISA's terminator (its 106th character), but
            # separates elements by partner
            segments = [segment.strip() for segment in text.split(text[105]) if segment.strip()]
            orders = sum(segment[:2] == "ST" and not segment[2:3].isalnum() for segment in segments)
            rows = len(segments)
        else:  # the manual CSV: a header, one line per order line
            lines = text.splitlines()[1:]
            orders, rows = len({line.split(",", 1)[0] for line in lines}), len(lines)
        counts[channel]["files"] += 1
        counts[channel]["orders"] += orders
        counts[channel]["rows"] += rows
    return counts


def place(files: list[Path], drop: Path, incoming: Path) -> list[Path]:
    """Put ``files`` (paths under ``drop``) at the same relative paths under ``incoming``: a hard link, else a copy."""
    placed = []
    for source in files:
        target = incoming / source.relative_to(drop)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        placed.append(target)
    return placed


def db_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())


def query_marts(db: Path) -> tuple[int | None, int | None, str | None]:
    """(missing orders, POS orders) from the project's marts; read-only, after the build."""
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            missing = con.execute(MISSING_SQL).fetchone()[0]
            orders = con.execute(ORDERS_SQL).fetchone()[0]
        finally:
            con.close()
    except duckdb.Error as exc:
        return None, None, str(exc).splitlines()[0]
    return missing, orders, None


def slowest_nodes(run_results: Path, count: int = 5) -> list[dict[str, Any]]:
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text()).get("results", [])
    nodes = [
        {"node": r.get("unique_id"), "status": r.get("status"), "seconds": round(r.get("execution_time") or 0.0, 2)}
        for r in results
    ]
    return sorted(nodes, key=lambda n: n["seconds"], reverse=True)[:count]


def node_growth(first: Path, last: Path, count: int = 5) -> list[dict[str, Any]]:
    """The nodes whose execution time grew the most from one build's run_results.json to another's."""
    if not first.exists() or not last.exists():
        return []

    def times(path: Path) -> dict[str, float]:
        results = json.loads(path.read_text()).get("results", [])
        return {r["unique_id"]: r.get("execution_time") or 0.0 for r in results if r.get("unique_id")}

    before, after = times(first), times(last)
    grown = [
        {"node": node, "first": round(before.get(node, 0.0), 2), "last": round(seconds, 2)}
        for node, seconds in after.items()
    ]
    return sorted(grown, key=lambda n: n["last"] - n["first"], reverse=True)[:count]


def median_round(rounds: list[dict[str, Phase]]) -> dict[str, Phase]:
    """Each phase's median round by seconds (of an even count, the faster middle one). The
    project's ingest, build and unit tests come from its median total's round, so that the
    ingest and the build add up to the total."""
    chosen: dict[str, Phase] = {}
    project_round = None
    for name in rounds[0]:
        ranked = sorted(
            (round_phases for round_phases in rounds if name in round_phases), key=lambda r: r[name].seconds
        )
        middle = ranked[(len(ranked) - 1) // 2]
        chosen[name] = middle[name]
        if name == "project: total":
            project_round = middle
    if project_round is not None:
        for name in chosen:
            if name.startswith("project"):
                chosen[name] = project_round[name]
    return chosen


def git_state(project: Path) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain", "--", "models", "macros", "loaders", "seeds"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def phase_record(phase: Phase) -> dict[str, Any]:
    """A phase as the results file keeps it."""
    return {
        **{k: v for k, v in asdict(phase).items() if k not in ("log", "name")},
        "seconds": round(phase.seconds, 3),
        "cpu_seconds": round(phase.cpu_seconds, 3),
        "peak_rss_mb": round(phase.peak_rss_mb, 1),
        "rows_per_second": round(phase.rows_per_second) if phase.rows_per_second else None,
    }


def ratios(phases: dict[str, Phase], attr: str = "seconds") -> dict[str, float]:
    """project/floor and peer/project, on wall seconds or (``attr="cpu_seconds"``) CPU seconds."""
    project = phases.get(PROJECT_TOTAL)
    pairs = [("project/floor", project, phases.get("floor"))]
    pairs += [(f"{name}/project", phases.get(name), project) for name in PEER_NAMES]
    return {
        key: getattr(num, attr) / getattr(den, attr)
        for key, num, den in pairs
        if num is not None and den is not None and getattr(den, attr) > 0
    }


def rounds_record(rounds: list[dict[str, Phase]]) -> dict[str, Any]:
    """Every round's seconds and CPU seconds per phase, and the project/floor ratio of each round."""
    per_phase = {
        name: [
            {"seconds": round(r[name].seconds, 3), "cpu_seconds": round(r[name].cpu_seconds, 3)}
            for r in rounds
            if name in r
        ]
        for name in rounds[0]
    }
    paired = [
        (r[PROJECT_TOTAL].seconds / r["floor"].seconds, r[PROJECT_TOTAL].cpu_seconds / r["floor"].cpu_seconds)
        for r in rounds
        if "floor" in r and PROJECT_TOTAL in r and r["floor"].seconds > 0 and r["floor"].cpu_seconds > 0
    ]
    return {
        "rounds": per_phase,
        "rounds_project_floor": [{"seconds": round(a, 3), "cpu_seconds": round(b, 3)} for a, b in paired],
    }


def day_record(day: int, ingest: Phase, build: Phase, missing: int | None, size: int | None) -> dict[str, Any]:
    """One daily run (ingest + build) as the results file keeps it."""
    return {
        "day": day,
        "ingest_seconds": round(ingest.seconds, 2),
        "build_seconds": round(build.seconds, 2),
        "seconds": round(ingest.seconds + build.seconds, 2),
        "cpu_seconds": round(ingest.cpu_seconds + build.cpu_seconds, 2),
        "peak_rss_mb": round(max(ingest.peak_rss_mb, build.peak_rss_mb), 1),
        "missing": missing,
        "db_size_bytes": size,
        "ok": ingest.ok and build.ok,
        "load_1m_at_end": build.detail.get("load_1m_at_end"),
    }


def write_results(document: Document, directory: Path) -> Path:
    """Stamp the document with the current UTC time and write it to ``directory/<stamp>.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"timestamp": stamp, **{k: v for k, v in document.items() if k != "timestamp"}}
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


class Bench:
    """Measures a run: ``first_load()`` then, if asked, ``incremental()``; both return the results document.

    It prints progress as it goes (the phase being run, a failing phase's log, each daily run's
    line); the tables are ``bench_report``'s, from the document."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.project: Path = args.project.resolve()
        self.python = sys.executable
        venv_dbt = Path(sys.executable).parent / "dbt"
        self.dbt = str(venv_dbt) if venv_dbt.exists() else (shutil.which("dbt") or "dbt")
        if args.keep:
            self.work = args.keep.resolve()
            self.work.mkdir(parents=True, exist_ok=True)
        else:
            self.work = Path(tempfile.mkdtemp(prefix="bench-recon-"))
        self.drop = self.work / "drop"
        self.incoming = self.work / "incoming"
        self.logs = self.work / "logs"
        self.temp = self.work / "duckdb-tmp"
        self.project_db = self.work / "project.duckdb"
        self.target = self.work / "dbt-target"
        self.failures: list[str] = []
        self.phases: dict[str, Phase] = {}
        self.info: dict[str, Any] = {}
        self.placed: list[Path] = []

    # -- setup -------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "RECON_DB_PATH": str(self.project_db),
                "RECON_DUCKDB_TEMP_DIR": str(self.temp),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DO_NOT_TRACK": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("RECON_DUCKDB_MEMORY_LIMIT", None)
        if self.args.memory_limit:
            env["RECON_DUCKDB_MEMORY_LIMIT"] = self.args.memory_limit
        return env

    def clean_work(self) -> None:
        """Start from new databases and an empty incoming directory (a kept drop is reused when it matches)."""
        for path in (self.incoming, self.logs, self.target, self.work / "dbt-logs"):
            shutil.rmtree(path, ignore_errors=True)
        self.remove_databases()
        self.incoming.mkdir(parents=True)

    def remove_databases(self) -> None:
        """Remove the floor's and the project's databases and DuckDB's spill directory."""
        shutil.rmtree(self.temp, ignore_errors=True)
        for db in (self.project_db, self.work / "floor.duckdb"):
            for p in (db, db.with_name(db.name + ".wal")):
                p.unlink(missing_ok=True)
        self.temp.mkdir(parents=True)

    def generate(self, total_days: int) -> None:
        channels = {name: getattr(self.args, f"{name}_orders") for name in ("web", "edi", "api", "manual")}
        params = {"orders": self.args.orders, "days": total_days, "seed": self.args.seed, **channels}
        marker = self.work / "drop-params.json"
        if self.drop.exists() and marker.exists() and json.loads(marker.read_text()) == params:
            print(f"reusing the drop in {self.drop} ({params})")
            self.info["generate"] = {"reused": True}
            return
        shutil.rmtree(self.drop, ignore_errors=True)
        marker.unlink(missing_ok=True)
        print(f"generating {self.args.orders:,} orders/day x {total_days} day(s) into {self.drop} ...", flush=True)
        command = [self.python, "-m", "recon_tools.generate_drop", "--out", str(self.drop)]
        command += ["--days", str(total_days), "--orders", str(self.args.orders), "--seed", str(self.args.seed)]
        for name, count in channels.items():
            command += [f"--{name}-orders", str(count)]
        phase = run_measured(
            "generate", [*command, "--no-extras"], cwd=self.project, env=self.env(), log=self.logs / "generate.log"
        )
        if not phase.ok:
            raise SystemExit(f"the generator failed (exit {phase.exit_code}):\n{tail(phase.log)}")
        marker.write_text(json.dumps(params))
        self.info["generate"] = {"seconds": round(phase.seconds, 2), "peak_rss_mb": round(phase.peak_rss_mb, 1)}
        print(f"  generated in {phase.seconds:.1f} s, peak RSS {phase.peak_rss_mb:,.0f} MB")

    def fail(self, phase: Phase, what: str, lines: int = 15) -> None:
        """Record a failed phase and show the end of its log."""
        self.failures.append(f"{what} exited {phase.exit_code}")
        print(f"  {what} FAILED (exit {phase.exit_code}):\n{tail(phase.log, lines)}")

    # -- phases ------------------------------------------------------------------------------

    def run_floor(self, rows: int) -> None:
        command = [self.python, str(PEERS), "floor", "--drop", str(self.incoming)]
        command += ["--db", str(self.work / "floor.duckdb"), "--temp-dir", str(self.temp)]
        if self.args.memory_limit:
            command += ["--memory-limit", self.args.memory_limit]
        self.phases["floor"] = self.peer_phase("floor", command, rows)

    def run_peer(self, name: str, rows: int) -> None:
        command = [self.python, str(PEERS), name, "--drop", str(self.incoming)]
        self.phases[name] = self.peer_phase(name, command, rows)

    def peer_phase(self, name: str, command: list[str], rows: int) -> Phase:
        print(f"  {name} ...", flush=True)
        phase = run_measured(name, command, cwd=self.work, env=self.env(), log=self.logs / f"{name}.log")
        phase.rows = rows
        result = last_json_line(phase.log)
        phase.missing = result.get("missing")
        phase.pos_orders = result.get("pos_orders")
        phase.detail.update({k: v for k, v in result.items() if k in ("pos_rows", "oms_rows", "versions", "matched")})
        if not phase.ok:
            self.fail(phase, name)
        return phase

    def ingest(self, label: str) -> Phase:
        command = [self.python, "-m", "loaders", "ingest", "--from", str(self.incoming), "--quiet"]
        phase = run_measured(
            f"{label}: ingest", command, cwd=self.project, env=self.env(), log=self.logs / f"{label}-ingest.log"
        )
        if not phase.ok:
            self.fail(phase, f"{label}: ingest")
        return phase

    def dbt_command(self, name: str, log: str, *args: str) -> Phase:
        """One measured dbt command, from the project root, with the bench's target and log paths."""
        return run_measured(
            name,
            [self.dbt, *args, "--target-path", str(self.target), "--log-path", str(self.work / "dbt-logs")],
            cwd=self.project,
            env=self.env(),
            log=self.logs / log,
        )

    def build(self, label: str) -> Phase:
        phase = self.dbt_command(f"{label}: build", f"{label}-build.log", "build", *DAILY_BUILD_OPTIONS)
        if not phase.ok:
            self.fail(phase, f"{label}: dbt build", 25)
        # dbt overwrites run_results.json on every build: keep each build's copy.
        run_results = self.target / "run_results.json"
        if run_results.exists():
            (self.logs / "run_results").mkdir(parents=True, exist_ok=True)
            shutil.copy2(run_results, self.logs / "run_results" / f"{label}.json")
        return phase

    def warm_parse(self) -> None:
        """``dbt parse`` into the bench's target path, untimed, so builds use partial parsing as a deployed job does."""
        if self.args.cold_parse:
            return
        phase = self.dbt_command("dbt parse", "dbt-parse.log", "parse")
        self.info["dbt_parse_seconds"] = round(phase.seconds, 2)
        print(f"  dbt parse (warm-up, not counted) {phase.seconds:.1f} s")
        if not phase.ok:
            print(f"  dbt parse FAILED (exit {phase.exit_code}):\n{tail(phase.log, 25)}")

    def run_project(self, rows: int) -> None:
        print("  project: ingest ...", flush=True)
        ingest = self.ingest("project")
        print("  project: dbt build ...", flush=True)
        build = self.build("project")
        ingest.rows = build.rows = rows
        total = Phase(
            PROJECT_TOTAL,
            ingest.seconds + build.seconds,
            max(ingest.peak_rss_mb, build.peak_rss_mb),
            ingest.exit_code or build.exit_code,
            ingest.cpu_seconds + build.cpu_seconds,
            rows,
        )
        missing, orders, error = query_marts(self.project_db)
        if error:
            self.failures.append(f"marts not readable: {error}")
            print(f"  cannot read the marts: {error}")
        total.missing, total.pos_orders = missing, orders
        self.phases.update({"project: ingest": ingest, "project: build": build, PROJECT_TOTAL: total})
        self.info["slowest_nodes"] = slowest_nodes(self.target / "run_results.json")
        self.info["db_size_bytes"] = db_size(self.project_db)
        self.run_unit_tests()

    def run_unit_tests(self) -> None:
        """The unit tests, timed apart: CI and a developer's plain ``dbt build`` run them, the daily job not."""
        print("  project: unit tests (not in the daily job) ...", flush=True)
        phase = self.dbt_command(UNIT_TESTS_PHASE, "unit-tests.log", "test", "--resource-type", "unit_test")
        if not phase.ok:
            self.fail(phase, "unit tests", 25)
        self.phases[UNIT_TESTS_PHASE] = phase

    def record_disagreements(self, phases: dict[str, Phase], prefix: str = "") -> None:
        """A failure for every approach of one round that ran but did not find that round's marts' missing orders."""
        expected = phases[PROJECT_TOTAL].missing
        for phase in phases.values():
            verdict = bench_report.verdict(phase.name, phase_record(phase), expected)
            if phase.ok and verdict.startswith("✗") and not phase.name.startswith("project"):
                self.failures.append(f"{prefix}{phase.name}: {verdict}")

    # -- the two parts of a run --------------------------------------------------------------

    def first_load(self) -> Document:
        """Generate the drop, then run the first load's phases ``--rounds`` times; the document of their median."""
        args = self.args
        first_days = args.days
        self.clean_work()
        self.generate(first_days + args.incremental_days)
        # The first load: the first ``--days`` dates plus the reference snapshots, in the incoming directory
        # that every phase reads.
        files = [f for day in range(first_days) for f in day_files(self.drop, day)]
        files += sorted((self.drop / "reference").glob("*.csv"))
        missing_files = [str(f) for f in files if not f.exists()]
        if missing_files:
            raise SystemExit(f"the generated drop lacks {missing_files[:3]}")
        self.placed = place(files, self.drop, self.incoming)
        data_files = [p for p in self.placed if p.parts[-2] in ("pos", "oms")]
        pos_rows = count_data_rows([p for p in data_files if p.parts[-2] == "pos"])
        oms_rows = count_data_rows([p for p in data_files if p.parts[-2] == "oms"])
        rows = pos_rows + oms_rows
        size = sum(p.stat().st_size for p in data_files)
        # rows (and rows/s) stay the POS and OMS rows, the floor's input; the channels' are counted apart
        self.info["input"] = {
            "pos_rows": pos_rows,
            "oms_rows": oms_rows,
            "rows": rows,
            "bytes": size,
            "channels": channel_counts(self.placed),
        }
        print(bench_report.input_line({"input": self.info["input"], "args": vars(args)}))
        print(
            f"project: {self.project}; DuckDB memory limit: {args.memory_limit or 'default (80% of RAM)'}; "
            f"work dir: {self.work}"
        )

        load = os.getloadavg()[0]
        self.info["load_1m_at_start"] = round(load, 2)
        print(f"load average (1 min) before the phases: {load:.2f} on {os.cpu_count()} CPUs")
        if load > 0.5:
            print("  other work is running on this machine: wall seconds will be high; CPU seconds are less affected")

        self.warm_parse()
        rounds: list[dict[str, Phase]] = []
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
                if number > 1:
                    self.remove_databases()
            self.phases = {}
            self.run_floor(rows)
            self.run_project(rows)
            if not args.skip_peers:
                for name in PEER_NAMES:
                    self.run_peer(name, rows)
            self.record_disagreements(self.phases, f"round {number}: " if args.rounds > 1 else "")
            rounds.append(self.phases)
        self.phases = median_round(rounds)
        if args.rounds > 1:
            self.info.update(rounds_record(rounds))
        return self.document()

    def incremental(self) -> Document:
        """Load and build ``--incremental-days`` more dates one at a time on the first load's database."""
        first_days, extra_days = self.args.days, self.args.incremental_days
        # Day 1's files leave the incoming directory once loaded, the reference snapshots too.
        for path in self.placed:
            path.unlink()
        first = self.phases[PROJECT_TOTAL]
        days: list[dict[str, Any]] = [
            {
                "day": first_days,
                "ingest_seconds": round(self.phases["project: ingest"].seconds, 2),
                "build_seconds": round(self.phases["project: build"].seconds, 2),
                "seconds": round(first.seconds, 2),
                "cpu_seconds": round(first.cpu_seconds, 2),
                "peak_rss_mb": round(first.peak_rss_mb, 1),
                "missing": first.missing,
                "db_size_bytes": self.info.get("db_size_bytes"),
                "ok": first.ok,
            }
        ]
        print(bench_report.incremental_header(days[0], extra_days))
        for day in range(first_days, first_days + extra_days):
            placed = place(day_files(self.drop, day), self.drop, self.incoming)
            ingest = self.ingest(f"day{day + 1}")
            for path in placed:
                path.unlink()
            build = self.build(f"day{day + 1}")
            missing, _, _ = query_marts(self.project_db)
            days.append(day_record(day + 1, ingest, build, missing, db_size(self.project_db)))
            print(bench_report.day_line(days[-1]), flush=True)
        first_s, last_s = days[0]["seconds"], days[-1]["seconds"]
        ratio = last_s / first_s if first_s else None
        cpu_ratio = days[-1]["cpu_seconds"] / days[0]["cpu_seconds"] if days[0]["cpu_seconds"] else None
        meets = ratio is not None and ratio <= self.args.target_ratio and all(d["ok"] for d in days)
        if not meets:
            ratio_text = "-" if ratio is None else f"{ratio:.2f}"
            self.failures.append(f"incremental last/first {ratio_text} (target <= {self.args.target_ratio})")
        saved = self.logs / "run_results"
        last_day = saved / f"day{first_days + extra_days}.json"
        self.info["incremental"] = {
            "days": days,
            "last_over_first": ratio,
            "cpu_last_over_first": cpu_ratio,
            "target": self.args.target_ratio,
            "meets_target": meets,
            "last_day_slowest_nodes": slowest_nodes(self.target / "run_results.json"),
            "nodes_grown_most": node_growth(saved / "project.json", last_day),
            # The first load is a full build, which skips the change lists: growth from the first
            # incremental day is what grows with history.
            "nodes_grown_with_history": (
                node_growth(saved / f"day{first_days + 1}.json", last_day) if extra_days > 1 else []
            ),
        }
        return self.document()

    def document(self) -> Document:
        """The results document of what has been measured so far (``write_results`` stamps it)."""
        versions: dict[str, str] = {}
        for phase in self.phases.values():
            versions.update(phase.detail.get("versions", {}))
        info = {k: v for k, v in self.info.items() if k != "incremental"}
        return {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()},
            "machine": {
                "cpus": os.cpu_count(),
                "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "versions": versions,
            },
            "project": {"path": str(self.project), **git_state(self.project)},
            **info,
            "phases": {name: phase_record(p) for name, p in self.phases.items()},
            "ratios": {k: round(v, 3) for k, v in ratios(self.phases).items()},
            "cpu_ratios": {k: round(v, 3) for k, v in ratios(self.phases, "cpu_seconds").items()},
            "incremental": self.info.get("incremental"),
            "failures": list(self.failures),
        }

    def close(self) -> None:
        if self.args.keep:
            print(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
