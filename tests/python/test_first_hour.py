"""The first hour of a new user: the demo, the commands the README shows after it, the next day.

`make demo` builds into the project's one database, so that dbt, the report and the SQL shell
find the demo's results with nothing exported; a database holding other deliveries is never
replaced; `make demo-next-day` continues the order numbering; `dbt build` ends with the
reconciliation of the dates it changed; the tools are installed as commands that work from
any directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, dbt_command, query, write_files

from loaders.cli import main as loader_main
from loaders.database import DEFAULT_DB_PATH
from recon_tools.generate_drop import main as generate_main

pytestmark = pytest.mark.dbt

BIN = Path(sys.executable).parent


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, dbt_dirs: dict[str, Path]) -> dict[str, object]:
    """make demo; the next day by hand with a plain dbt build (its output kept); make demo-next-day.
    Into a database and a drop of the test's own."""
    tmp = tmp_path_factory.mktemp("first_hour")
    db, drop = tmp / "recon.duckdb", tmp / "drop"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("RECON_DB_PATH", "DBT_EXCLUDE_RESOURCE_TYPES")},
        "RECON_BI_DIR": str(tmp / "no-bi"),
    }
    paths = [f"DB={db}", f"DEMO_DROP={drop}"]
    first = make("demo", *paths, env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    # 2026-11-21, as a user would run it: generate, ingest, dbt build.
    assert generate_main(["--out", str(drop), "--next-day"]) == 0
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    command, _ = dbt_command(db, ("build",), PROJECT_ROOT, dbt_dirs)
    build = subprocess.run(
        command, cwd=PROJECT_ROOT, env={**env, "RECON_DB_PATH": str(db)}, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stdout[-3000:]
    # 2026-11-22, with the make target.
    next_day = make("demo-next-day", *paths, env=env)
    assert next_day.returncode == 0, next_day.stdout[-3000:] + next_day.stderr[-3000:]
    return {"tmp": tmp, "db": db, "env": env, "first": first, "build": build, "next_day": next_day}


def test_the_demo_builds_into_the_database_every_command_reads_by_default(tmp_path):
    """make demo, dbt (profiles.yml) and the loader name the same file when RECON_DB_PATH is unset."""
    env = {k: v for k, v in os.environ.items() if k != "RECON_DB_PATH"}
    planned = make("-n", "demo", env=env)
    assert planned.returncode == 0, planned.stderr
    database = DEFAULT_DB_PATH.relative_to(PROJECT_ROOT).as_posix()
    assert f"RECON_DB_PATH={database} " in planned.stdout and "demo.duckdb" not in planned.stdout
    assert f"env_var('RECON_DB_PATH', '{database}')" in (PROJECT_ROOT / "profiles.yml").read_text()


def test_after_the_demo_dbt_show_and_the_sql_shell_read_its_results(demo, dbt_dirs):
    env = {**demo["env"], "RECON_DB_PATH": str(demo["db"])}
    command, _ = dbt_command(
        demo["db"], ("show", "--select", "rpt_reconciliation_summary", "--limit", "10"), PROJECT_ROOT, dbt_dirs
    )
    shown = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0, shown.stdout[-3000:]
    assert "2026-11-22" in shown.stdout
    # The installed commands work from any directory.
    sql = subprocess.run(
        [str(BIN / "recon-sql"), "select count(*) as orders from marts.fct_order_reconciliation"],
        cwd=demo["tmp"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert sql.returncode == 0, sql.stderr
    assert "2100" in sql.stdout  # 7 business dates of 300 orders
    report = subprocess.run(
        [str(BIN / "recon-report"), "--out", str(demo["tmp"] / "reports")],
        cwd=demo["tmp"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    assert list((demo["tmp"] / "reports").glob("reconciliation_report_*.html"))
    version = subprocess.run([str(BIN / "recon-loader"), "--version"], capture_output=True, text=True, cwd=demo["tmp"])
    assert version.stdout.startswith("recon-loader ")


def test_the_next_day_continues_the_numbering(demo):
    """Each generated day holds new orders: none is in two files, and the summary has seven dates."""
    db = demo["db"]
    assert query(db, "select count(*) from marts.rpt_reconciliation_summary where pos_orders = 300")[0][0] == 7
    several = query(db, "select count(*) from marts.fct_validation_errors where rule_id = 'pos_order_in_several_files'")
    assert several[0][0] == 0
    # The previous day's late orders arrive in the new OMS file: they are no longer missing.
    late = "select count(*) from marts.fct_order_reconciliation where is_late_match and business_date = '2026-11-21'"
    assert query(db, late)[0][0] > 0
    assert "2026-11-22" in demo["next_day"].stdout  # make demo-next-day ends with the summary


def test_a_build_ends_with_the_reconciliation_of_the_dates_it_changed(demo, dbt_dirs):
    """The next day's build changed its own date and the day before (late OMS rows), no other."""
    lines = demo["build"].stdout.splitlines()
    start = next(
        i for i, line in enumerate(lines) if "Reconciliation of the 2 business dates this build changed" in line
    )
    table = "\n".join(lines[start : start + 5])
    assert "2026-11-20" in table and "2026-11-21" in table and "2026-11-19" not in table, table
    orders, matched, missing = query(
        demo["db"],
        "select pos_orders, matched_orders, missing_orders from marts.rpt_reconciliation_summary "
        "where business_date = '2026-11-20'",
    )[0]
    assert any(line.split()[-5:-1] == ["2026-11-20", str(orders), str(matched), str(missing)] for line in lines[start:])
    env = {**demo["env"], "RECON_DB_PATH": str(demo["db"])}
    command, _ = dbt_command(demo["db"], ("build",), PROJECT_ROOT, dbt_dirs)
    idle = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert idle.returncode == 0, idle.stdout[-3000:]
    assert (
        "Reconciliation: no business date changed in this build (7 in marts.rpt_reconciliation_summary)" in idle.stdout
    )


def test_the_demo_never_replaces_a_database_with_other_deliveries(tmp_path, demo):
    drop = write_files(tmp_path / "real-drop", {"reference/stores.csv": "store_id,store_name,is_active\nS1,A,true\n"})
    db = tmp_path / "recon.duckdb"
    from loaders.cli import main as loader_main

    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    before = db.stat().st_mtime_ns
    refused = make("demo", f"DB={db}", f"DEMO_DROP={tmp_path / 'drop'}", env=demo["env"])
    assert refused.returncode != 0
    assert f"holds deliveries from {drop}" in refused.stderr
    assert "make demo RECON_DB_PATH=" in refused.stderr
    assert db.stat().st_mtime_ns == before
    assert not (tmp_path / "drop").exists()


def test_a_command_that_reads_data_never_creates_an_empty_database(tmp_path, dbt_dirs):
    missing = tmp_path / "data" / "recon.duckdb"
    command, env = dbt_command(missing, ("show", "--select", "fct_order_reconciliation"), PROJECT_ROOT, dbt_dirs)
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "No database at" in result.stdout
    assert not missing.exists()
