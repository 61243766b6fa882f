"""Shared helpers: drops written to temporary directories, the loader run in-process, dbt run for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from loaders.cli import main as loader_main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
DBT = Path(sys.executable).with_name("dbt")

POS_HEADER = (
    "order_id,store_id,register_id,business_date,order_ts,customer_id,currency,line_number,sku,"
    "quantity,unit_price,discount_amount,line_total,order_total"
)
OMS_HEADER = (
    "oms_order_id,source_system,source_order_id,store_id,customer_id,order_status,order_total,currency,created_at"
)


# Debian's Chromium as the browser tests start it: headless (added by the caller), as root, and
# with nothing that reaches for the network (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: content} under root; str content is written as UTF-8 bytes unchanged."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def pos_file(*rows: str, header: str = POS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def oms_file(*rows: str, header: str = OMS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


# The test files in the order the two workers take them (each file runs on one worker):
# the longest first, so that both finish at about the same time. Seconds of dbt builds per
# file, measured: incremental 230, pipeline 200, rules engine 180, bi 75, hostile 65,
# purge recovery 60, first hour 60, docs site 55, handoff 45, review 40, dashboard 30, report 30,
# notify 25, channel EDI 20, channel web and API 20, channel rules 15; the others take seconds.
# Files not listed run last, in name order.
LONGEST_FIRST = (
    "test_incremental.py",
    "test_pipeline.py",
    "test_rules_engine.py",
    "test_bi.py",
    "test_hostile.py",
    "test_purge_recovery.py",
    "test_first_hour.py",
    "test_docs_site.py",
    "test_handoff.py",
    "test_review.py",
    "test_dashboard.py",
    "test_report.py",
    "test_notify.py",
    "test_channel_edi.py",
    "test_channel_web_api.py",
    "test_channel_rules.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the files in LONGEST_FIRST order (pytest-xdist keeps it: --no-loadscope-reorder)."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "recon.duckdb"


@pytest.fixture
def ingest(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``python -m loaders ingest`` in-process; returns (exit code, printed output)."""

    def run(drop: Path, *extra: str) -> tuple[int, str]:
        code = loader_main(["ingest", "--from", str(drop), "--db", str(db_path), *extra])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def execute(db: Path, *statements: str) -> None:
    """Apply statements to a database in place (a test tampering with what a build wrote)."""
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)


def changed_copy(db: Path, copy: Path, sql: str) -> Path:
    """A copy of a built database with one statement applied to it."""
    shutil.copy(db, copy)
    execute(copy, sql)
    return copy


def query_dicts(db: Path, sql: str) -> list[dict[str, object]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="session")
def dbt_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dbt")
    return {"target": base / "target", "logs": base / "logs", "db": base / "recon.duckdb"}


@pytest.fixture
def dbt(dbt_dirs: dict[str, Path]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real dbt CLI from the project root against a given database file (see dbt_runner)."""
    return dbt_runner(dbt_dirs)


def dbt_runner(dbt_dirs: dict[str, Path]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real dbt CLI from the project root against a given database file.

    dbt re-parses the whole project when the profile changes, and the database path is part
    of the profile; so the file is moved to one session-wide path for the run and back after.
    Builds run as the daily job does, without the unit tests (their fixtures do not depend on
    the data); ``unit_tests=True`` runs them too, as a developer's plain ``dbt build`` does.
    """

    def run(
        db: Path, *args: str, project_dir: Path = PROJECT_ROOT, unit_tests: bool = False
    ) -> subprocess.CompletedProcess[str]:
        fixed = dbt_dirs["db"]
        for suffix in ("", ".wal"):
            if Path(f"{db}{suffix}").exists():
                os.replace(f"{db}{suffix}", f"{fixed}{suffix}")
        try:
            return _run_dbt(fixed, args, project_dir, dbt_dirs, unit_tests=unit_tests)
        finally:
            for suffix in ("", ".wal"):
                if Path(f"{fixed}{suffix}").exists():
                    os.replace(f"{fixed}{suffix}", f"{db}{suffix}")

    return run


def _run_dbt(
    db: Path, args: tuple[str, ...], project_dir: Path, dbt_dirs: dict[str, Path], unit_tests: bool = False
) -> subprocess.CompletedProcess[str]:
    command, env = dbt_command(db, args, project_dir, dbt_dirs, unit_tests=unit_tests)
    return subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=600)


def dbt_command(
    db: Path, args: tuple[str, ...], project_dir: Path, dbt_dirs: dict[str, Path], unit_tests: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment the tests run dbt with."""
    env = {
        **{name: value for name, value in os.environ.items() if name != "DBT_EXCLUDE_RESOURCE_TYPES"},
        **({} if unit_tests else {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}),
        "RECON_DB_PATH": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Test builds never overwrite a developer's BI export (data/bi).
        "RECON_BI_DIR": os.environ.get("RECON_BI_DIR", str(dbt_dirs["target"].parent / "no-bi")),
    }
    target = dbt_dirs["target"] if project_dir == PROJECT_ROOT else project_dir / "target"
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target),
        "--log-path",
        str(dbt_dirs["logs"]),
    ]
    return command, env


def copy_project(dest: Path) -> Path:
    """A copy of the dbt project (for tests that change its configuration, e.g. the rules seed)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_ROOT / name, dest / name)
    for folder in ("models", "macros", "seeds", "tests"):
        shutil.copytree(PROJECT_ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("python", "__pycache__"))
    return dest
