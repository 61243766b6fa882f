"""The raw layer as Parquet files for the Spark target: one file per current delivery, the same
rows and values as the database (a blank value apart from NULL), through repeats,
corrections, an interrupted run and a purge."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from conftest import pos_file, query, write_files

from loaders.cli import main as loader_main
from loaders.contract import FILE_KINDS
from recon_tools.generate_drop import generate

CHANNELS = {"web_orders": 6, "edi_orders": 4, "api_orders": 3, "manual_orders": 2}


def differences(db: Path, parquet: Path) -> dict[str, tuple[int, int, int]]:
    """Per raw table with rows: (rows, rows only in the database, rows only in the Parquet files)."""
    con = duckdb.connect()
    con.execute("attach ? as db (read_only)", [str(db)])
    found = {}
    for table in sorted({kind.raw_table for kind in FILE_KINDS} | {"file_manifest", "processing_log"}):
        rows = con.execute(f"select count(*) from db.raw.{table}").fetchone()[0]  # noqa: S608 - contract names
        if not rows:
            continue
        files = str(parquet / table / "*.parquet")
        only_db = con.execute(
            f"select count(*) from (from db.raw.{table} except all from read_parquet(?))",  # noqa: S608
            [files],
        ).fetchone()[0]
        only_parquet = con.execute(
            f"select count(*) from (from read_parquet(?) except all from db.raw.{table})",  # noqa: S608
            [files],
        ).fetchone()[0]
        found[table] = (rows, only_db, only_parquet)
    con.close()
    return found


def assert_same(db: Path, parquet: Path) -> dict[str, tuple[int, int, int]]:
    found = differences(db, parquet)
    assert all(only_db == only_parquet == 0 for _, only_db, only_parquet in found.values()), found
    return found


def delivery_files(parquet: Path, table: str) -> list[str]:
    return sorted(path.name for path in (parquet / table).glob("load_*.parquet"))


def test_every_delivery_lands_as_parquet_with_the_same_rows(tmp_path, ingest, db_path):
    drop = tmp_path / "drop"
    generate(drop, days=2, orders_per_day=40, seed=3, extras=False, **CHANNELS)
    parquet = tmp_path / "landing"

    code, out = ingest(drop, "--parquet-dir", str(parquet))
    assert code == 0, out
    found = assert_same(db_path, parquet)
    # every file kind the drop holds has its rows there: POS, OMS, references and each channel
    assert {"pos_order_lines", "oms_orders", "products", "web_orders", "edi_segments", "api_orders"} <= found.keys()
    assert {"manual_order_lines", "partners", "file_manifest", "processing_log"} <= found.keys()
    loaded = query(db_path, "select count(*) from raw.file_manifest where status = 'loaded'")[0][0]
    written = sum(len(delivery_files(parquet, table)) for table in {kind.raw_table for kind in FILE_KINDS})
    assert written == loaded
    assert f"Parquet: {loaded} file(s) written, 0 removed" in out

    # A repeat writes nothing; a correction adds its version's file beside the first one.
    code, out = ingest(drop, "--parquet-dir", str(parquet))
    assert code == 0 and "Parquet: 0 file(s) written, 0 removed" in out, out
    pos_path = next((drop / "pos").glob("*.csv"))
    pos_path.write_text(pos_path.read_text().rsplit("\n", 2)[0] + "\n")
    code, out = ingest(drop, "--parquet-dir", str(parquet))
    assert code == 0 and "Parquet: 1 file(s) written, 0 removed" in out, out
    assert len(delivery_files(parquet, "pos_order_lines")) == 3
    assert_same(db_path, parquet)

    # A file lost after the commit (a run stopped between the two) is written by the next run.
    lost = parquet / "oms_orders" / delivery_files(parquet, "oms_orders")[0]
    lost.unlink()
    code, out = ingest(drop, "--parquet-dir", str(parquet))
    assert code == 0 and lost.exists() and "Parquet: 1 file(s) written" in out, out
    assert not list(parquet.rglob(".*.partial"))

    # A purge removes the purged deliveries' files; the manifest file shows them purged.
    assert loader_main(["purge", "--db", str(db_path), "--before", "2026-11-17", "--parquet-dir", str(parquet)]) == 0
    assert_same(db_path, parquet)
    assert len(delivery_files(parquet, "pos_order_lines")) == 1
    purged = duckdb.execute(
        "select count(*) from read_parquet(?) where purged_at is not null", [str(parquet / "file_manifest" / "*")]
    ).fetchone()[0]
    assert purged == query(db_path, "select count(*) from raw.file_manifest where purged_at is not null")[0][0] > 0


def test_a_blank_value_stays_apart_from_null(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                'A1,S001,R1,2026-11-20,2026-11-20T09:00:00,"",USD,1,SKU-100,1,4.50,,4.50,4.50',
                "A2,S001,R1,2026-11-20,2026-11-20T09:00:00,C1,USD,1,SKU-100,1,4.50, ,4.50,4.50",
            )
        },
    )
    parquet = tmp_path / "landing"
    code, out = ingest(drop, "--parquet-dir", str(parquet), "--json")
    assert code == 0, out
    assert json.loads(out)["parquet"]["written"] == ["pos_order_lines/load_1.parquet"]
    assert_same(db_path, parquet)
    values = "select order_id, customer_id, discount_amount from {} order by order_id"
    in_db = query(db_path, values.format("raw.pos_order_lines"))
    files = [str(parquet / "pos_order_lines" / "*.parquet")]
    in_parquet = duckdb.execute(values.format("read_parquet(?)"), files).fetchall()
    # the raw layer holds an empty field (quoted or not) as NULL and a blank as itself
    assert in_db == [("A1", None, None), ("A2", "C1", " ")]
    assert in_parquet == in_db


def test_without_a_directory_nothing_is_written(tmp_path, ingest, db_path, monkeypatch):
    monkeypatch.delenv("RECON_PARQUET_DIR", raising=False)
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file()})
    code, out = ingest(drop)
    assert code == 0 and "Parquet" not in out, out
    monkeypatch.setenv("RECON_PARQUET_DIR", str(tmp_path / "from_env"))
    code, out = ingest(drop)
    # the delivery that landed before the directory was set is written now (a backfill)
    assert code == 0 and "Parquet: 1 file(s) written" in out, out
    assert_same(db_path, tmp_path / "from_env")


def test_a_landing_that_cannot_be_written_is_named_and_the_database_keeps_the_delivery(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file()})
    not_a_folder = tmp_path / "landing"
    not_a_folder.write_text("a file where the folder should be\n")
    code, out = ingest(drop, "--parquet-dir", str(not_a_folder))
    assert code != 0, out
    assert f"Parquet landing {not_a_folder}" in out and "the next run writes the missing files" in out, out
    assert query(db_path, "select count(*) from raw.file_manifest where status = 'loaded'") == [(1,)]
    # once the folder can be written, the next run writes what is missing
    not_a_folder.unlink()
    code, out = ingest(drop, "--parquet-dir", str(not_a_folder))
    assert code == 0 and "Parquet: 1 file(s) written" in out, out
    assert_same(db_path, not_a_folder)
