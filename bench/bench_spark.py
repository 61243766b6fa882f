"""One business date built on DuckDB and on Spark: the same drop, the same models, seconds each.

    python bench/bench_spark.py [--orders 1000000] [--web-orders 100000] [--edi-orders 20000]
                                [--keep DIR] [--driver-memory 8g] [--results-dir DIR]

Generates a one-day drop (``recon_tools.generate_drop``, as bench.py does; ``--keep DIR``
reuses the drop a previous run left there), lands it with ``python -m loaders ingest
--parquet-dir`` (DuckDB and the Parquet copy Spark reads, docs/scaling.md), then runs
``dbt seed`` and ``dbt run`` with the dev target (DuckDB) and with the spark target (a local
session, ``local[2]``). Data tests are not part of either figure: they run on DuckDB only.
It prints each step's seconds and the peak RSS of the Spark run (the JVM included), and
writes them to bench/results/spark-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from loaders.cli import main as loader_main  # noqa: E402
from recon_tools.generate_drop import generate  # noqa: E402


def run_dbt(work: Path, env: dict[str, str], target: str, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (GB, the process and its children) of one dbt command."""
    command = [
        "/usr/bin/time", "-f", "%M", str(Path(sys.executable).parent / "dbt"), *args, "--target", target,
        "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
        "--target-path", str(work / f"target-{target}"), "--log-path", str(work / f"logs-{target}"),
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
        raise SystemExit(f"dbt {' '.join(args)} --target {target} failed")
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="POS orders (default 1000000)")
    parser.add_argument("--web-orders", type=int, default=100_000)
    parser.add_argument("--edi-orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work directory to keep, and to reuse its drop")
    parser.add_argument("--driver-memory", default="8g", help="the Spark driver's memory (default 8g)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)

    work = (args.keep or Path(tempfile.gettempdir()) / "bench-spark").resolve()
    params = {"orders": args.orders, "web": args.web_orders, "edi": args.edi_orders, "seed": args.seed}
    drop = work / "drop"
    params_file = work / "drop-params.json"
    reuse = params_file.exists() and json.loads(params_file.read_text()) == params
    for stale in ("recon.duckdb", "parquet", "spark", "target-dev", "target-spark"):
        shutil.rmtree(work / stale, ignore_errors=True) if (work / stale).is_dir() else (work / stale).unlink(True)
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"generating {args.orders:,} POS orders ...", flush=True)
        generate(
            drop, days=1, orders_per_day=args.orders, seed=args.seed,
            web_orders=args.web_orders, edi_orders=args.edi_orders, api_orders=5, manual_orders=2,
        )  # fmt: skip
        params_file.write_text(json.dumps(params))
    env = os.environ | {
        "RECON_DB_PATH": str(work / "recon.duckdb"),
        "RECON_PARQUET_DIR": str(work / "parquet"),
        "RECON_SPARK_DIR": str(work / "spark"),
        "RECON_SPARK_DRIVER_MEMORY": args.driver_memory,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    started = time.perf_counter()
    ingest = ["ingest", "--from", str(drop), "--db", env["RECON_DB_PATH"], "--parquet-dir", env["RECON_PARQUET_DIR"]]
    if loader_main([*ingest, "-q"]):
        return 1
    figures: dict[str, float] = {"ingest_with_parquet_seconds": round(time.perf_counter() - started, 1)}
    for target, name in (("dev", "duckdb"), ("spark", "spark")):
        seed_seconds, _ = run_dbt(work, env, target, "seed")
        run_seconds, peak_gb = run_dbt(work, env, target, "run")
        figures[f"{name}_seed_seconds"] = round(seed_seconds, 1)
        figures[f"{name}_run_seconds"] = round(run_seconds, 1)
        figures[f"{name}_run_peak_rss_gb"] = round(peak_gb, 2)
        print(
            f"{name}: dbt seed {seed_seconds:.1f} s, dbt run {run_seconds:.1f} s, peak RSS {peak_gb:.2f} GB", flush=True
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"spark-{stamp}.json"
    out.write_text(json.dumps({"input": params, "machine_cores": os.cpu_count(), **figures}, indent=2) + "\n")
    print(f"ingest (DuckDB and Parquet) {figures['ingest_with_parquet_seconds']} s; written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
