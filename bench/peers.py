"""The floor and the peers of ``bench/bench.py``: one approach per process, so each one's time and memory are its own.

    python bench/peers.py floor --drop DIR --db PATH [--memory-limit 4GB] [--temp-dir DIR]
    python bench/peers.py pandas --drop DIR
    python bench/peers.py datacompy --drop DIR

Each reads every ``pos/pos_orders_*.csv`` and ``oms/oms_orders_*.csv`` under DIR, answers the
presence question of the file interface and prints one JSON line:
``{"approach", "pos_orders", "matched", "missing", "pos_rows", "oms_rows", "versions"}``.

The presence question: the POS orders are the distinct ``upper(trim(order_id))`` (empty ones
left out); an order is matched when some OMS row whose ``upper(trim(source_system))`` is
``POS`` has ``upper(trim(source_order_id))`` equal to it, and missing otherwise.

- ``floor``: DuckDB alone. Reads the files as text (``read_csv``, ``all_varchar``, header) into
  two tables of a new database file, then one query. Nothing else: no validation, no lineage.
- ``pandas``: a plain script. ``read_csv(dtype=str)``, normalize the keys, ``merge(indicator=True)``.
- ``datacompy``: ``datacompy.PandasCompare`` of the POS orders (one row per normalized order
  number, with the order total and store) against the OMS POS-channel rows on the normalized
  key, the totals compared within 0.01; the rows only in POS are the missing orders.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def csv_files(drop: Path) -> tuple[list[Path], list[Path]]:
    pos = sorted((drop / "pos").glob("pos_orders_*.csv"))
    oms = sorted((drop / "oms").glob("oms_orders_*.csv"))
    if not pos:
        raise SystemExit(f"no pos/pos_orders_*.csv under {drop}")
    return pos, oms


FLOOR_PRESENCE_SQL = """
with pos as (
    select distinct upper(trim(order_id)) as order_key
    from pos_lines
    where trim(order_id) <> ''
),
oms as (
    select distinct upper(trim(source_order_id)) as order_key
    from oms_orders
    where upper(trim(source_system)) = 'POS'
)
select count(*) as pos_orders, count(oms.order_key) as matched
from pos
left join oms on pos.order_key = oms.order_key
"""


def run_floor(drop: Path, db: Path, memory_limit: str | None, temp_dir: str | None) -> dict[str, Any]:
    import duckdb

    pos, oms = csv_files(drop)
    con = duckdb.connect(str(db))
    con.execute("set enable_progress_bar = false")
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    if temp_dir:
        con.execute("set temp_directory = ?", [temp_dir])
    con.execute(
        "create table pos_lines as select * from read_csv(?, all_varchar = true, header = true)",
        [[str(path) for path in pos]],
    )
    if oms:
        con.execute(
            "create table oms_orders as select * from read_csv(?, all_varchar = true, header = true)",
            [[str(path) for path in oms]],
        )
    else:
        con.execute("create table oms_orders (source_system varchar, source_order_id varchar)")
    pos_orders, matched = con.execute(FLOOR_PRESENCE_SQL).fetchone()
    pos_rows = con.execute("select count(*) from pos_lines").fetchone()[0]
    oms_rows = con.execute("select count(*) from oms_orders").fetchone()[0]
    con.close()
    return {
        "pos_orders": pos_orders,
        "matched": matched,
        "missing": pos_orders - matched,
        "pos_rows": pos_rows,
        "oms_rows": oms_rows,
        "versions": {"duckdb": duckdb.__version__},
    }


def read_text_csvs(paths: list[Path]) -> Any:
    """Every file as text (no type inference, empty stays empty), header names trimmed and lower-cased."""
    import pandas as pd

    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.columns = [str(name).strip().lower() for name in frame.columns]
    return frame


def pandas_versions() -> dict[str, str]:
    """pandas and, when installed, pyarrow, with the storage pandas uses for ``dtype=str``."""
    import pandas as pd

    versions = {"pandas": pd.__version__, "string_storage": str(pd.Series(["x"], dtype=str).dtype.storage)}
    try:
        import pyarrow

        versions["pyarrow"] = pyarrow.__version__
    except ModuleNotFoundError:
        pass
    return versions


def normalized(series: Any) -> Any:
    return series.str.strip().str.upper()


def pos_and_oms_frames(drop: Path) -> tuple[Any, Any]:
    import pandas as pd

    pos_paths, oms_paths = csv_files(drop)
    pos = read_text_csvs(pos_paths)
    if oms_paths:
        oms = read_text_csvs(oms_paths)
    else:
        oms = pd.DataFrame({"source_system": [], "source_order_id": [], "store_id": [], "order_total": []}, dtype=str)
    return pos, oms


def run_pandas(drop: Path) -> dict[str, Any]:
    import pandas as pd

    pos, oms = pos_and_oms_frames(drop)
    pos_keys = normalized(pos["order_id"])
    pos_orders = pd.DataFrame({"order_key": pos_keys[pos_keys != ""].unique()})
    oms_pos = oms[normalized(oms["source_system"]) == "POS"]
    oms_keys = pd.DataFrame({"order_key": normalized(oms_pos["source_order_id"]).unique()})
    merged = pos_orders.merge(oms_keys, on="order_key", how="left", indicator=True)
    missing = int((merged["_merge"] == "left_only").sum())
    return {
        "pos_orders": len(pos_orders),
        "matched": len(pos_orders) - missing,
        "missing": missing,
        "pos_rows": len(pos),
        "oms_rows": len(oms),
        "versions": pandas_versions(),
    }


def run_datacompy(drop: Path) -> dict[str, Any]:
    import datacompy
    import pandas as pd

    pos, oms = pos_and_oms_frames(drop)
    pos = pos.assign(order_key=normalized(pos["order_id"]))
    pos_orders = pos[pos["order_key"] != ""].drop_duplicates("order_key")[["order_key", "store_id", "order_total"]]
    pos_orders = pos_orders.assign(order_total=pd.to_numeric(pos_orders["order_total"], errors="coerce"))
    oms_pos = oms[normalized(oms["source_system"]) == "POS"]
    oms_pos = pd.DataFrame(
        {
            "order_key": normalized(oms_pos["source_order_id"]),
            "store_id": oms_pos["store_id"],
            "order_total": pd.to_numeric(oms_pos["order_total"], errors="coerce"),
        }
    )
    compare = datacompy.PandasCompare(
        pos_orders, oms_pos, join_columns="order_key", abs_tol=0.01, df1_name="pos", df2_name="oms"
    )
    missing = len(compare.df1_unq_rows)
    # What a user of datacompy reads: its report (row and column summaries, sample mismatches).
    report = compare.report()
    return {
        "pos_orders": len(pos_orders),
        "matched": len(pos_orders) - missing,
        "missing": missing,
        "pos_rows": len(pos),
        "oms_rows": len(oms),
        "report_chars": len(report),
        "versions": {"datacompy": datacompy.__version__, **pandas_versions()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("approach", choices=["floor", "pandas", "datacompy"])
    parser.add_argument("--drop", required=True, type=Path, help="directory holding pos/ and oms/")
    parser.add_argument("--db", type=Path, help="floor: the DuckDB file to create (must not exist)")
    parser.add_argument("--memory-limit", help="floor: DuckDB memory_limit")
    parser.add_argument("--temp-dir", help="floor: DuckDB temp_directory")
    args = parser.parse_args(argv)
    if args.approach == "floor":
        if args.db is None:
            parser.error("floor needs --db")
        if args.db.exists():
            parser.error(f"{args.db} exists: the floor starts from a new database file")
        result = run_floor(args.drop, args.db, args.memory_limit, args.temp_dir)
    elif args.approach == "pandas":
        result = run_pandas(args.drop)
    else:
        try:
            result = run_datacompy(args.drop)
        except ModuleNotFoundError as exc:
            print(f"{exc.name} is not installed: .venv/bin/python -m pip install datacompy==1.1.0", file=sys.stderr)
            return 3
    print(json.dumps({"approach": args.approach, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
