"""Build the same drops with DuckDB and with Spark and compare what the models hold.

    python tests/spark/compare_engines.py [--work DIR] [--select MODEL ...]

The drop is generated (3 days of POS, OMS, references and every order channel, with the
generator's bad rows) plus the channel fixtures of tests/fixtures/channels. It arrives in two
batches, so that the second build is incremental: days 1-2 and the fixtures, then day 3, a
correction of day 2's POS file and review decisions (an approval, a rejection, and one for an
item that does not exist). Each batch is landed into DuckDB with the Parquet copy of the
raw layer (loaders/parquet_landing.py) and built on DuckDB, then on Spark (profiles.yml target
`spark`, reading that Parquet). Then every model but the bookkeeping ones (or those selected)
is read from both engines, every column as text, and compared EXCEPT ALL both ways; a
difference prints the rows and fails (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loaders.cli import main as loader_main  # noqa: E402
from recon_tools.generate_drop import generate  # noqa: E402


def environment(work: Path) -> dict[str, str]:
    return os.environ | {
        "RECON_DB_PATH": str(work / "recon.duckdb"),
        "RECON_PARQUET_DIR": str(work / "parquet"),
        "RECON_SPARK_DIR": str(work / "spark"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt(work: Path, target: str, *args: str) -> float:
    env = environment(work)
    command = [
        str(Path(sys.executable).parent / "dbt"), *args, "--target", target,
        "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
        "--target-path", str(work / f"target-{target}"), "--log-path", str(work / f"logs-{target}"),
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-2000:], sep="\n")
        raise SystemExit(f"dbt {' '.join(args)} --target {target} failed")
    return seconds


def model_relations(work: Path) -> dict[str, tuple[str, str]]:
    manifest = json.loads((work / "target-dev" / "manifest.json").read_text())
    return {
        node["name"]: (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def spark_parameters(env: dict[str, str]) -> dict[str, str]:
    """The spark target's session parameters, as profiles.yml gives them (rendered with env)."""
    text = (ROOT / "profiles.yml").read_text()
    rendered = jinja2.Template(text).render(env_var=lambda name, default="": env.get(name, default))
    return yaml.safe_load(rendered)["order_recon"]["outputs"]["spark"]["server_side_parameters"]


def spark_rows(work: Path, relations: list[tuple[str, str]]) -> dict[tuple[str, str], object]:
    """Each relation's rows from Spark, as Arrow tables, through the build's metastore."""
    print("reading the Spark side ...", flush=True)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for name, value in spark_parameters(environment(work)).items():
        builder = builder.config(name, str(value))
    session = builder.getOrCreate()
    try:
        return {relation: session.table(".".join(relation)).toArrow() for relation in relations}
    finally:
        session.stop()


# Columns that hold the time of the build that wrote them (build_timestamp()): each engine's
# builds ran at their own times, so these compare by which build it was (1st, 2nd), not by value.
BUILD_TIME_COLUMNS = {"first_seen_at", "last_seen_at", "resolved_at", "review_due_at"}
# Columns measured against the moment the view is read (the review queue's open hours, the
# escalations' age): they compare by whether they hold a value.
READ_TIME_COLUMNS = {"hours_open", "age_hours"}


# Rows that record each engine's own runs (dbt's run results in the processing log): they
# leave the comparison, and each engine must have written some.
ENGINE_OWN_ROWS = {"order_processing_log": "component = 'dbt'"}


def as_text(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A select of relation with every column as text (timestamps with a zone in UTC, without it)."""
    columns = con.execute(f"describe {relation}").fetchall()
    parts = []
    for name, data_type, *_ in columns:
        value = f'"{name}"'
        if name in READ_TIME_COLUMNS:
            value = f"case when {value} is null then null else 'a value' end"
        elif name in BUILD_TIME_COLUMNS:
            builds = f"(select list(distinct {value} order by {value}) from {relation})"  # noqa: S608
            value = f"'build ' || list_position({builds}, {value})"
        elif data_type.startswith("TIMESTAMP WITH TIME ZONE"):
            value = f"cast({value} as timestamp)"
        elif data_type.startswith("DECIMAL") or data_type in {"DOUBLE", "FLOAT"}:
            value = f"cast({value} as decimal(38, 9))"
        parts.append(f'cast({value} as varchar) as "{name}"')
    return f"select {', '.join(parts)} from {relation}"  # noqa: S608 - our own relation names


def compare(work: Path, models: list[str]) -> int:
    relations = model_relations(work)
    wanted = {name: relations[name] for name in models}
    from_spark = spark_rows(work, list(wanted.values()))
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'").fetchall()
    con.execute("attach ? as duck (read_only)", [str(work / "recon.duckdb")]).fetchall()
    failures = 0
    for schema, alias in wanted.values():
        table = from_spark[(schema, alias)]
        con.register("spark_rows", table)
        con.execute("create or replace temp table spark_side as select * from spark_rows").fetchall()
        con.unregister("spark_rows")
        own = ENGINE_OWN_ROWS.get(alias)
        if own:  # each engine's own rows leave the comparison; both must have some
            for side in (f"duck.{schema}.{alias}", "spark_side"):
                if not con.execute(f"select count(*) from {side} where {own}").fetchall()[0][0]:  # noqa: S608
                    print(f"  MISSING   {schema}.{alias}: no rows where {own} in {side}")
                    failures += 1
        keep = f" where not ({own})" if own else ""
        duck = as_text(con, f"duck.{schema}.{alias}") + keep
        spark = as_text(con, "spark_side") + keep
        only_duck = con.execute(f"select * from ({duck} except all {spark}) limit 5").fetchall()  # noqa: S608
        only_spark = con.execute(f"select * from ({spark} except all {duck}) limit 5").fetchall()  # noqa: S608
        rows = con.execute("select count(*) from spark_side").fetchall()[0][0]
        status = "same" if not only_duck and not only_spark else "DIFFERENT"
        print(f"  {status:<9} {schema}.{alias} ({rows} rows)")
        for row in only_duck:
            print(f"      only on DuckDB: {row}")
        for row in only_spark:
            print(f"      only on Spark:  {row}")
        failures += status != "same"
    return failures


def deliver_batches(work: Path) -> tuple[Path, Path]:
    """The generated drop (3 days) in two batches: days 1-2 with the channel fixtures, then day 3
    and a correction of day 2's POS file (one line fewer), so the second build is incremental."""
    source = work / "generated"
    generate(source, days=3, orders_per_day=300, seed=7, web_orders=20, edi_orders=10, api_orders=5, manual_orders=3)
    last = sorted(path.name for path in (source / "pos").glob("*.csv"))[-1]
    last_stamp = last.rsplit("_", 1)[-1].split(".")[0]
    drop = work / "drop"
    shutil.copytree(source, drop)
    day3 = [path for path in drop.rglob(f"*_{last_stamp}*") if path.is_file()]
    for path in day3:
        path.unlink()
    # the channel fixtures: other partners and delimiters, JSON lines, XML, an order without lines
    shutil.copytree(ROOT / "tests" / "fixtures" / "channels", drop, dirs_exist_ok=True)
    return source, drop, last_stamp


def second_batch(source: Path, drop: Path, last_stamp: str) -> None:
    for path in source.rglob(f"*_{last_stamp}*"):
        if path.is_file():
            target = drop / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    day2 = sorted(path for path in (drop / "pos").glob("*.csv") if last_stamp not in path.name)[-1]
    lines = day2.read_text().splitlines(keepends=True)
    day2.write_text("".join(lines[:-1]))


def review_decisions(work: Path, drop: Path) -> None:
    """A decisions file for batch 2: the first open review item of batch 1 approved, the second
    rejected, and a decision on an item that does not exist (refused, a finding)."""
    with duckdb.connect(str(work / "recon.duckdb"), read_only=True) as con:
        queue = (
            "select 1 from information_schema.tables where table_schema = 'marts' and table_name = 'rpt_review_queue'"
        )
        if not con.execute(queue).fetchall():
            return  # a --select without the review queue
        keys = con.execute(
            "select error_key from marts.rpt_review_queue where review_status = 'open' order by error_key limit 2"
        ).fetchall()
    if len(keys) < 2:
        raise SystemExit(f"the drop left {len(keys)} open review item(s) after batch 1; the comparison needs 2")
    rows = [
        f"{keys[0][0]},approve,compare,2026-12-01T10:00:00Z,within tolerance,",
        f"{keys[1][0]},reject,compare,2026-12-01T10:05:00Z,wrong order,",
        "0000not-a-key,approve,compare,2026-12-01T10:10:00Z,no such item,",
    ]
    target = drop / "review" / "review_decisions_batch2.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("error_key,action,decided_by,decided_at,reason,corrected_value\n" + "\n".join(rows) + "\n")


def ingest(work: Path, drop: Path) -> None:
    db = work / "recon.duckdb"
    if loader_main(["ingest", "--from", str(drop), "--db", str(db), "--parquet-dir", str(work / "parquet"), "-q"]):
        raise SystemExit("ingest failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "spark-compare", help="work directory (emptied)")
    parser.add_argument("--select", nargs="+", metavar="MODEL", help="build these and their parents, compare these")
    args = parser.parse_args(argv)
    work: Path = args.work.resolve()  # Spark resolves relative locations against its warehouse
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source, drop, last_stamp = deliver_batches(work)
    selection = ["--select", *(f"+{name}" for name in args.select)] if args.select else []
    seconds: dict[str, list[float]] = {"dev": [], "spark": []}
    for batch in (1, 2):
        if batch == 2:
            second_batch(source, drop, last_stamp)
            review_decisions(work, drop)
        ingest(work, drop)
        for target in ("dev", "spark"):
            if batch == 1:
                dbt(work, target, "seed")
            seconds[target].append(dbt(work, target, "run", *selection))
            print(f"batch {batch}: built on {target} in {seconds[target][-1]:.1f} s", flush=True)
    relations = model_relations(work)
    compared = args.select or compared_models(work)
    print(
        f"comparing {len(compared)} of the project's {len(relations)} models; builds (batch 1, batch 2): "
        f"DuckDB {seconds['dev'][0]:.1f} s, {seconds['dev'][1]:.1f} s; "
        f"Spark {seconds['spark'][0]:.1f} s, {seconds['spark'][1]:.1f} s"
    )
    failures = compare(work, compared)
    print(f"{len(compared) - failures} of {len(compared)} models hold the same rows on both engines")
    return 1 if failures else 0


def compared_models(work: Path) -> list[str]:
    """Every model but the bookkeeping ones (what a build recomputes, and when)."""
    manifest = json.loads((work / "target-dev" / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] != "bookkeeping"
    )


if __name__ == "__main__":
    sys.exit(main())
