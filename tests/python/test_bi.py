"""BI access never blocks the build: readers of data/bi.duckdb and of the Parquet export keep working
through a real `dbt build`, and see the new data once it has finished."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import DBT, PROJECT_ROOT, copy_project

from loaders.cli import main as loader_main
from recon_tools import bi
from recon_tools.generate_drop import generate

pytestmark = pytest.mark.dbt

sqlalchemy = pytest.importorskip("sqlalchemy", reason="sqlalchemy and duckdb_engine are dev dependencies")
pytest.importorskip("duckdb_engine", reason="sqlalchemy and duckdb_engine are dev dependencies")

HOOK = "{{ export_marts_for_bi(results) }}"
COUNT_SQL = "select count(*) from marts.fct_order_reconciliation"

# A BI client in its own process: SQLAlchemy + duckdb_engine on bi.duckdb, read-only, querying
# in a loop until the stop file appears. One JSON line per query: the row counts, or the error.
# Like a dashboard's refresh, a query that fails is run once more; "retried" keeps the first error,
# and "error" means the second attempt failed too.
READER = r"""
import json, os, sys, time
import sqlalchemy as sa

bi_db, stop = sys.argv[1], sys.argv[2]
engine = sa.create_engine(f"duckdb:///{bi_db}", connect_args={"read_only": True})
sql = sa.text(
    "select (select count(*) from marts.fct_order_reconciliation), "
    "(select sum(pos_order_total) from marts.fct_order_reconciliation), "
    "(select count(*) from marts.rpt_reconciliation_summary), "
    "(select count(*) from marts.fct_validation_errors)"
)
def query():
    with engine.connect() as con:
        return con.execute(sql).one()

while not os.path.exists(stop):
    retried = None
    try:
        try:
            orders, total, dates, errors = query()
        except Exception as exc:  # the file-replace race (docs/bi_access.md): a client runs it again
            retried = f"{type(exc).__name__}: {exc}"
            orders, total, dates, errors = query()
        line = {"orders": orders, "total": str(total), "dates": dates, "errors": errors, "retried": retried}
    except Exception as exc:
        line = {"error": f"{type(exc).__name__}: {exc}", "retried": retried}
    print(json.dumps(line), flush=True)
    time.sleep(0.01)
engine.dispose()
"""


def project_with_hook(tmp: Path) -> Path:
    """The project when dbt_project.yml runs the export hook, else a copy of it that does."""
    config = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    if HOOK in (config.get("on-run-end") or []):
        return PROJECT_ROOT
    project = copy_project(tmp / "project")
    config["on-run-end"] = [*(config.get("on-run-end") or []), HOOK]
    (project / "dbt_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return project


def run_dbt(project: Path, db: Path, bi_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RECON_DB_PATH": str(db),
        "RECON_BI_DIR": str(bi_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test",  # as the daily job runs
    }
    target = db.parent / "dbt-target"  # beside the test's database, never in the project
    command = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    command += ["--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def mart_names(db: Path) -> list[str]:
    """The relations of schema marts in a built database, by name."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()
    return [name for (name,) in rows]


def copy_day(full: Path, drop: Path, stamp: str) -> None:
    for kind in ("pos", "oms"):
        (drop / kind).mkdir(parents=True, exist_ok=True)
        shutil.copy2(full / kind / f"{kind}_orders_{stamp}.csv", drop / kind)


def counts(con) -> tuple[int, int]:
    orders = con.execute(COUNT_SQL).fetchone()[0]
    dates = con.execute("select count(*) from marts.rpt_reconciliation_summary").fetchone()[0]
    return orders, dates


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> dict[str, object]:
    """Three days built and exported; then a fourth day is built while readers are attached.

    Readers during the second build: a BI client process (SQLAlchemy, duckdb_engine) querying
    bi.duckdb in a loop; in this process, a read-only connection to bi.duckdb held open and a
    query on the order mart's Parquet file left half-read.
    """
    tmp = tmp_path_factory.mktemp("bi_access")
    project = project_with_hook(tmp)
    full, drop = tmp / "full", tmp / "drop"
    generate(full, days=4, orders_per_day=500, seed=9, extras=False)
    shutil.copytree(full / "reference", drop / "reference")
    for stamp in ("20261116", "20261117", "20261118"):
        copy_day(full, drop, stamp)
    db, bi_dir, bi_db = tmp / "recon.duckdb", tmp / "bi", tmp / "bi.duckdb"
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    bi_dir.mkdir()
    first = run_dbt(project, db, bi_dir, "build")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert bi.main(["init", "--bi-dir", str(bi_dir), "--out", str(bi_db), "--quiet"]) == 0
    with duckdb.connect(str(bi_db), read_only=True) as con:
        before = counts(con)

    copy_day(full, drop, "20261119")
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0

    stop = tmp / "stop-reader"
    reader_log = (tmp / "reader.stderr").open("w")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(bi_db), str(stop)], stdout=subprocess.PIPE, stderr=reader_log, text=True
    )
    lines: list[dict[str, object]] = []
    try:
        lines.append(json.loads(reader.stdout.readline()))  # the client is connected and has an answer
        engine = sqlalchemy.create_engine(f"duckdb:///{bi_db}?access_mode=read_only")
        held = engine.connect()  # a dashboard's pooled connection, open for the whole build
        held_before = held.execute(sqlalchemy.text(COUNT_SQL)).scalar_one()
        parquet = duckdb.connect()
        orders_file = str(bi_dir / "fct_order_reconciliation.parquet")
        open_scan = parquet.execute("select * from read_parquet(?)", [orders_file])
        first_rows = open_scan.fetchmany(100)  # a scan of the old file, left half-read during the build

        started = time.monotonic()
        second = run_dbt(project, db, bi_dir, "build")
        build_seconds = time.monotonic() - started

        rest_of_scan = len(first_rows) + len(open_scan.fetchall())
        held_after = held.execute(sqlalchemy.text(COUNT_SQL)).scalar_one()
        fresh_scan = parquet.execute("select count(*) from read_parquet(?)", [orders_file]).fetchone()[0]
        held.close()
        engine.dispose()
        parquet.close()
        with duckdb.connect(str(bi_db), read_only=True) as con:
            after = counts(con)
        # Let the client query the whole new export a few times before stopping it (its earlier
        # lines, still buffered, may have read some marts' new files and others' old ones).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = json.loads(reader.stdout.readline())
            lines.append(line)
            fresh = [x for x in lines if x.get("orders") == after[0] and x.get("dates") == after[1]]
            if len(fresh) >= 5:
                break
    finally:
        stop.touch()
        # Drain through the same text stream the loop read from: communicate(timeout=...) reads
        # the raw pipe and would miss what the stream has buffered (half a line).
        out = reader.stdout.read()
        reader.wait(timeout=60)
        reader_log.close()
    lines += [json.loads(line) for line in out.splitlines() if line.strip()]
    return {
        "project": project,
        "db": db,
        "bi_dir": bi_dir,
        "bi_db": bi_db,
        "first": first,
        "second": second,
        "build_seconds": build_seconds,
        "before": before,
        "after": after,
        "reader_lines": lines,
        "reader_exit": reader.returncode,
        "reader_stderr": (tmp / "reader.stderr").read_text(),
        "held_before": held_before,
        "held_after": held_after,
        "rest_of_scan": rest_of_scan,
        "fresh_scan": fresh_scan,
    }


def test_sqlalchemy_lists_the_marts_and_their_described_columns(scenario):
    """What Superset and other SQLAlchemy tools do when a dataset is added: list the schema's
    relations, then reflect a relation's columns, whose comments are the docs' descriptions."""
    engine = sqlalchemy.create_engine(f"duckdb:///{scenario['bi_db']}", connect_args={"read_only": True})
    with duckdb.connect(str(scenario["db"]), read_only=True) as pipeline:
        expected = pipeline.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'rpt_reconciliation_summary' order by column_index"
        ).fetchall()
        documented = pipeline.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' "
            "and table_name = 'rpt_reconciliation_summary'"
        ).fetchone()[0]
    try:
        with engine.connect() as con:
            inspector = sqlalchemy.inspect(con)
            assert set(inspector.get_view_names(schema="marts")) == set(mart_names(scenario["db"]))
            columns = inspector.get_columns("rpt_reconciliation_summary", schema="marts")
            comment = inspector.get_table_comment("rpt_reconciliation_summary", schema="marts")["text"]
            # a mart the pipeline keeps as a view over its incremental table is described too
            view_comment = inspector.get_table_comment("fct_order_reconciliation", schema="marts")["text"]
    finally:
        engine.dispose()
    assert [column["name"] for column in columns] == [name for (name,) in expected]
    described = {column["name"]: column["comment"] for column in columns}
    assert all(described.values()), [name for name, text in described.items() if not text]
    assert "match" in described["match_rate"].lower()
    assert documented and comment.startswith(documented.strip()[:80]), comment
    assert "as of the last dbt build" in comment
    assert view_comment and "One row per POS order" in view_comment, view_comment


def test_each_build_exports_every_mart(scenario):
    bi_dir: Path = scenario["bi_dir"]
    marts = mart_names(scenario["db"])
    assert {"fct_order_reconciliation", "rpt_reconciliation_summary", "fct_validation_errors"} <= set(marts)
    assert f"BI export: {len(marts)} marts written to {bi_dir}: " in scenario["first"].stdout
    assert f"BI export: {len(marts)} marts written to {bi_dir}: " in scenario["second"].stdout
    # Every mart and the docs' descriptions; no tmp_ file left.
    assert sorted(p.name for p in bi_dir.iterdir()) == [bi.DESCRIPTIONS] + [f"{name}.parquet" for name in marts]
    with duckdb.connect(str(scenario["db"]), read_only=True) as main_db:
        for name in marts:
            path = str(bi_dir / f"{name}.parquet")
            exported = main_db.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0]
            built = main_db.execute(f"select count(*) from marts.{name}").fetchone()[0]  # noqa: S608 - our marts
            assert exported == built, name
            # Same columns, same types, same rows.
            difference = main_db.execute(
                f"select count(*) from (from marts.{name} except all from read_parquet(?))",  # noqa: S608 - our marts
                [path],
            ).fetchone()[0]
            assert difference == 0, name
    before, after = scenario["before"], scenario["after"]
    assert after[0] > before[0] and after[1] == before[1] + 1  # the fourth day's orders and date


def test_a_bi_client_queries_throughout_a_build(scenario):
    """(1) SQLAlchemy + duckdb_engine on bi.duckdb, querying in a loop during the whole dbt build."""
    second = scenario["second"]
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    lines = scenario["reader_lines"]
    errors = [line["error"] for line in lines if "error" in line]
    assert errors == [], errors[:5]
    assert scenario["reader_exit"] == 0, scenario["reader_stderr"][-2000:]
    assert len(lines) > 100, f"only {len(lines)} queries during a {scenario['build_seconds']:.0f} s build"
    before, after = scenario["before"], scenario["after"]
    # Each mart answers from the whole previous export or the whole new one, and once new, never
    # old again. The marts are replaced one file after the other (docs/bi_access.md), so a query
    # that reads two of them at the moment of the switch may see one old and one new.
    assert {line["orders"] for line in lines} == {before[0], after[0]}
    assert {line["dates"] for line in lines} <= {before[1], after[1]}
    for position, value in ((0, "orders"), (1, "dates")):
        seen = [line[value] for line in lines]
        if after[position] != before[position]:
            first_new = seen.index(after[position])
            assert set(seen[first_new:]) == {after[position]}, value
    assert len({line["total"] for line in lines if line["orders"] == after[0]}) == 1


def test_open_readers_do_not_block_the_build_and_see_the_new_data(scenario):
    """(2) A connection to bi.duckdb held open, and a scan of a Parquet file half-read, during the build."""
    assert scenario["second"].returncode == 0
    before, after = scenario["before"], scenario["after"]
    assert scenario["held_before"] == before[0]
    assert scenario["held_after"] == after[0]  # the same connection, after the build: the new data
    assert scenario["rest_of_scan"] == before[0]  # the scan opened before the build finished on the old file
    assert scenario["fresh_scan"] == after[0]


def test_no_export_without_a_build_or_a_directory(scenario, tmp_path):
    bi_dir: Path = scenario["bi_dir"]
    stamps = {p.name: p.stat().st_mtime_ns for p in bi_dir.iterdir()}
    tested = run_dbt(scenario["project"], scenario["db"], bi_dir, "test", "-s", "rpt_validation_rules")
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "BI export" not in tested.stdout
    assert {p.name: p.stat().st_mtime_ns for p in bi_dir.iterdir()} == stamps

    absent = tmp_path / "not-created"
    ran = run_dbt(scenario["project"], scenario["db"], absent, "run", "-s", "rpt_validation_rules")
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert f"BI export skipped: directory {absent} does not exist" in ran.stdout
    assert not absent.exists()


def test_init_exports_once_and_replaces_the_file_under_open_readers(scenario, tmp_path, capsys):
    bi_dir, bi_db = tmp_path / "bi", tmp_path / "bi.duckdb"
    # No export in the directory yet: init exports the marts from the pipeline's database.
    assert bi.main(["init", "--bi-dir", str(bi_dir), "--out", str(bi_db), "--db", str(scenario["db"])]) == 0
    out = capsys.readouterr().out
    marts = mart_names(scenario["db"])
    assert f"exported {len(marts)} marts" in out and f"wrote {bi_db}: {len(marts)} views" in out
    reader = duckdb.connect(str(bi_db), read_only=True)
    try:
        views = reader.execute(
            "select view_name from duckdb_views() where schema_name = 'marts' order by view_name"
        ).fetchall()
        assert [name for (name,) in views] == marts
        assert counts(reader) == scenario["after"]
        with pytest.raises(duckdb.Error, match="read-only"):
            reader.execute("create table marts.scratch (x integer)")
        # Run again with a reader attached: the file is replaced, the open reader keeps working.
        assert bi.main(["init", "--bi-dir", str(bi_dir), "--out", str(bi_db), "--quiet"]) == 0
        assert counts(reader) == scenario["after"]
    finally:
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bi", "bi.duckdb"]


def test_init_without_an_export_or_a_database(tmp_path, capsys):
    missing_db = str(tmp_path / "none.duckdb")
    code = bi.main(["init", "--bi-dir", str(tmp_path / "bi"), "--out", str(tmp_path / "bi.duckdb"), "--db", missing_db])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "run `dbt build`" in err and err.count("\n") == 1
    assert not (tmp_path / "bi.duckdb").exists()


# Reads one Parquet file in a loop until the stop file appears, running a failed query once more;
# prints the row counts it saw, the errors of queries that failed twice, and the number of retries.
PARQUET_READER = r"""
import json, os, sys
import duckdb

path, stop = sys.argv[1], sys.argv[2]
con = duckdb.connect()
seen, errors = set(), []
print("reading", flush=True)
retries = 0
def count():
    return con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0]

while not os.path.exists(stop):
    try:
        try:
            seen.add(count())
        except duckdb.Error:  # the file-replace race (docs/bi_access.md): a client runs it again
            retries += 1
            seen.add(count())
    except duckdb.Error as exc:
        errors.append(str(exc).splitlines()[0])
print(json.dumps({"seen": sorted(seen), "errors": errors[:20], "error_count": len(errors), "retries": retries}))
"""


def replace_under_a_reader(path: Path, options: str, rewrites: int = 4) -> tuple[set[int], int, list[str]]:
    """Rewrite a Parquet file of 600,000 or 300,000 rows with ``COPY ... options`` while another process
    reads it in a loop; returns the row counts the reader saw, its number of errors and a sample."""
    writer = duckdb.connect()
    writer.execute("create table a as select range as i, md5(cast(range as varchar)) as s from range(600000)")
    writer.execute("create table b as select * from a where i < 300000")
    writer.execute(f"copy a to '{path}' {options}")
    stop = path.with_suffix(".stop")
    reader = subprocess.Popen(
        [sys.executable, "-c", PARQUET_READER, str(path), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        for k in range(rewrites):
            writer.execute(f"copy {'b' if k % 2 == 0 else 'a'} to '{path}' {options}")
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
        writer.close()
    result = json.loads(out)
    return set(result["seen"]), result["error_count"], result["errors"]


def test_replacing_an_export_never_shows_a_reader_a_partial_file(tmp_path):
    """The COPY options of the export hook: a reader sees the old file or the new one, never a torn one.

    With USE_TMP_FILE false the same harness catches readers failing on half-written files, so the
    check has teeth.
    """
    macro = (PROJECT_ROOT / "macros" / "export_for_bi.sql").read_text()
    options = re.search(r"\(format parquet[^)]*\)", macro).group(0)
    assert "use_tmp_file true" in options
    seen, error_count, errors = replace_under_a_reader(tmp_path / "atomic.parquet", options)
    assert error_count == 0, errors
    assert seen <= {300_000, 600_000}

    torn = options.replace("use_tmp_file true", "use_tmp_file false")
    _, error_count, _ = replace_under_a_reader(tmp_path / "torn.parquet", torn, rewrites=6)
    assert error_count > 0, "the harness did not catch a reader on a half-written file"
