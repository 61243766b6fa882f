"""The loader end to end on temporary drops: what lands, what is rejected, what is reported."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, OMS_HEADER, POS_HEADER, PROJECT_ROOT, oms_file, pos_file, query, write_files

from loaders import progress
from loaders.cli import main as loader_main

LINE_1 = "A-1,S001,R1,2026-11-20,2026-11-20T09:14:03,C1,USD,1,SKU-100,2,4.50,0.00,9.00,9.00"
LINE_2 = "A-2,S001,R1,2026-11-20,2026-11-20T09:15:00,,USD,1,SKU-100,1,4.50,,4.50,4.50"
OMS_1 = "OMS-1,POS,A-1,S001,C1,CREATED,9.00,USD,2026-11-20T09:14:05"


def raw_pos(db: Path) -> list[tuple]:
    return query(db, "select order_id, _source_line, _load_id from raw.pos_order_lines order by _load_id, _source_line")


def test_contract_example_lands_every_row_with_lineage(tmp_path, ingest, db_path):
    drop = FIXTURES / "drops" / "contract_example"
    code, out = ingest(drop)
    assert code == 0, out
    assert "loaded     pos/pos_orders_20261120.csv  5 rows, version 1" in out
    assert "total: 4 loaded; 16 rows landed" in out
    rows = query(
        db_path,
        "select _source_file, _source_line, _file_sha256, _load_id, _loaded_at is not null "
        "from raw.pos_order_lines order by _source_line",
    )
    sha = hashlib.sha256((drop / "pos" / "pos_orders_20261120.csv").read_bytes()).hexdigest()
    assert [r[1] for r in rows] == [2, 3, 4, 5, 6]
    assert {r[0] for r in rows} == {"pos/pos_orders_20261120.csv"}
    assert {r[2] for r in rows} == {sha}
    assert all(r[4] for r in rows)
    manifest = query(
        db_path,
        "select file_name, file_kind, business_date::varchar, version, status, row_count, sha256, size_bytes "
        "from raw.file_manifest order by file_name",
    )
    assert [(m[0], m[1], m[2], m[3], m[4], m[5]) for m in manifest] == [
        ("oms/oms_orders_20261120.csv", "oms_orders", "2026-11-20", 1, "loaded", 4),
        ("pos/pos_orders_20261120.csv", "pos_orders", "2026-11-20", 1, "loaded", 5),
        ("reference/products.csv", "products", None, 1, "loaded", 4),
        ("reference/stores.csv", "stores", None, 1, "loaded", 3),
    ]
    assert manifest[1][6] == sha
    assert manifest[1][7] == (drop / "pos" / "pos_orders_20261120.csv").stat().st_size


def test_values_stay_text_and_leading_zeros_survive(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop",
        {"pos/pos_orders_20261120.csv": pos_file("000123,0042,R1,2026-11-20,x,,USD,01,007,1,4.50,,4.50,4.50")},
    )
    assert ingest(drop)[0] == 0
    assert query(db_path, "select order_id, store_id, line_number, sku, order_ts from raw.pos_order_lines") == [
        ("000123", "0042", "01", "007", "x")
    ]


def test_repeat_is_skipped_and_changes_nothing(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1)})
    assert ingest(drop)[0] == 0
    code, out = ingest(drop)
    assert code == 0
    assert "repeat     pos/pos_orders_20261120.csv: same bytes as the current version" in out
    assert len(raw_pos(db_path)) == 1
    assert query(db_path, "select count(*) from raw.file_manifest") == [(1,)]


def test_correction_is_a_new_version_and_the_old_rows_stay(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1)})
    ingest(drop)
    write_files(drop, {"pos/pos_orders_20261120.csv": pos_file(LINE_1, LINE_2)})
    code, out = ingest(drop)
    assert code == 0
    assert "correction pos/pos_orders_20261120.csv  2 rows, version 2 (supersedes version 1)" in out
    assert raw_pos(db_path) == [("A-1", 2, 1), ("A-1", 2, 2), ("A-2", 3, 2)]
    assert query(db_path, "select version, status from raw.file_manifest order by version") == [
        (1, "loaded"),
        (2, "loaded"),
    ]


def test_reverting_to_earlier_bytes_is_a_correction_too(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1)})
    ingest(drop)
    write_files(drop, {"pos/pos_orders_20261120.csv": pos_file(LINE_2)})
    ingest(drop)
    write_files(drop, {"pos/pos_orders_20261120.csv": pos_file(LINE_1)})
    code, out = ingest(drop)
    assert code == 0
    assert "version 3" in out
    assert query(db_path, "select max(version) from raw.file_manifest") == [(3,)]


def test_header_is_matched_case_insensitively_trimmed_reordered_with_bom_and_crlf(tmp_path, ingest, db_path):
    columns = POS_HEADER.split(",")
    reordered = list(reversed(columns))
    header = ",".join(f"  {name.upper()} " for name in reordered)
    values = dict(zip(columns, LINE_1.split(","), strict=True))
    row = ",".join(values[name] for name in reordered)
    content = "\ufeff" + header + "\r\n" + row + "\r\n"
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": content})
    code, out = ingest(drop)
    assert code == 0, out
    assert query(db_path, "select order_id, order_total, line_number, _source_line from raw.pos_order_lines") == [
        ("A-1", "9.00", "1", 2)
    ]


def test_extra_columns_are_kept_as_json(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                LINE_1 + ',"promo, spring",7', header=POS_HEADER + ",Promo Code,lane"
            )
        },
    )
    code, out = ingest(drop)
    assert code == 0
    assert "extra column(s) kept: promo code, lane" in out
    (extra,) = query(db_path, "select _extra_columns from raw.pos_order_lines")[0]
    assert json.loads(extra) == {"promo code": "promo, spring", "lane": "7"}
    assert query(db_path, "select extra_columns from raw.file_manifest") == [('["promo code", "lane"]',)]


def test_optional_columns_may_be_absent(tmp_path, ingest, db_path):
    header = POS_HEADER.replace("register_id,", "").replace("customer_id,", "").replace("discount_amount,", "")
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv": pos_file(
                "A-1,S001,2026-11-20,2026-11-20T09:00:00,USD,1,SKU-1,1,1.00,1.00,1.00", header=header
            )
        },
    )
    assert ingest(drop)[0] == 0
    assert query(db_path, "select register_id, customer_id, discount_amount, sku from raw.pos_order_lines") == [
        (None, None, None, "SKU-1")
    ]


def test_rfc4180_quoting_and_line_numbers_across_quoted_newlines_and_blank_lines(tmp_path, ingest, db_path):
    content = (
        POS_HEADER + "\n"
        '"A-1","S001",R1,2026-11-20,2026-11-20T09:00:00,"C, 1",USD,1,SKU-1,1,1.00,,1.00,1.00\n'
        "\n"
        'A-2,S001,R1,2026-11-20,2026-11-20T09:00:00,"two\nlines ""quoted""",USD,1,SKU-1,1,1.00,,1.00,1.00\n'
        "A-3,S001,R1,2026-11-20,2026-11-20T09:00:00,,USD,1,SKU-1,1,1.00,,1.00,1.00"
    )
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": content})
    code, out = ingest(drop)
    assert code == 0, out
    assert query(db_path, "select order_id, customer_id, _source_line from raw.pos_order_lines order by 3") == [
        ("A-1", "C, 1", 2),
        ("A-2", 'two\nlines "quoted"', 4),
        ("A-3", None, 6),
    ]


def test_header_only_file_is_valid_and_empty(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"oms/oms_orders_20261120.csv": OMS_HEADER + "\n"})
    code, out = ingest(drop)
    assert code == 0
    assert "loaded     oms/oms_orders_20261120.csv  0 rows, version 1" in out
    assert query(db_path, "select status, row_count from raw.file_manifest") == [("loaded", 0)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (
            pos_file(LINE_1, header=POS_HEADER.replace(",order_total", "")).encode(),
            "missing required column(s): order_total",
        ),
        (
            pos_file(LINE_1, header=POS_HEADER.replace("order_id,", "").replace(",sku", "")).encode(),
            "missing required column(s): order_id, sku",
        ),
        (pos_file(LINE_1, header=POS_HEADER + ",Order_ID").encode(), "repeats column(s) order_id"),
        (pos_file(LINE_1, LINE_2 + ",extra", LINE_1).encode(), "line 3 has 15 fields where the header has 14"),
        (pos_file(LINE_1, "A-9,S001").encode(), "line 3 has 2 fields where the header has 14"),
        (pos_file('A-1,"unterminated,R1').encode(), "never closed"),
        (pos_file(LINE_1).encode().replace(b"C1", b"C\xff"), "not valid UTF-8"),
    ],
    ids=[
        "empty",
        "missing-column",
        "missing-columns",
        "duplicate-column",
        "ragged-long",
        "ragged-short",
        "unterminated-quote",
        "not-utf8",
    ],
)
def test_bad_file_is_rejected_whole_and_the_others_still_load(tmp_path, ingest, db_path, content, reason):
    drop = write_files(
        tmp_path / "drop",
        {"pos/pos_orders_20261120.csv": content, "oms/oms_orders_20261120.csv": oms_file(OMS_1)},
    )
    code, out = ingest(drop)
    assert code == 1
    assert "REJECTED   pos/pos_orders_20261120.csv" in out
    assert reason in out
    assert raw_pos(db_path) == []
    assert query(db_path, "select count(*) from raw.oms_orders") == [(1,)]
    manifest = query(db_path, "select file_name, status, reject_reason from raw.file_manifest order by file_name")
    assert manifest[0][:2] == ("oms/oms_orders_20261120.csv", "loaded")
    assert manifest[1][:2] == ("pos/pos_orders_20261120.csv", "rejected")
    assert reason in manifest[1][2]
    events = query(
        db_path,
        "select event from raw.processing_log where file_name = 'pos/pos_orders_20261120.csv' order by event_id",
    )
    assert events == [("file_discovered",), ("file_rejected",)]


def test_a_late_parse_error_leaves_nothing_of_a_large_file(tmp_path, ingest, db_path):
    rows = [LINE_1.replace("A-1", f"A-{n}") for n in range(50_000)]
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(*rows, "A-X,S001")})
    code, out = ingest(drop)
    assert code == 1
    assert "line 50002 has 2 fields" in out
    assert raw_pos(db_path) == []


def test_rejected_correction_keeps_the_loaded_version_and_a_repeat_of_it_exits_zero(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1)})
    ingest(drop)
    write_files(drop, {"pos/pos_orders_20261120.csv": pos_file(LINE_1, "bad")})
    assert ingest(drop)[0] == 1
    code, out = ingest(drop)
    assert code == 0
    assert "same bytes as a rejected delivery" in out
    assert query(db_path, "select version, status from raw.file_manifest order by version") == [
        (1, "loaded"),
        (2, "rejected"),
    ]


def test_partial_hidden_and_unknown_names_are_reported_not_read(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop",
        {
            "pos/pos_orders_20261120.csv.part": "garbage",
            "oms/.oms_orders_20261120.csv": "garbage",
            "pos/pos_orders_20261199.csv": "garbage",
            "misc/readme.txt": "hello",
        },
    )
    code, out = ingest(drop)
    assert code == 0
    assert "skipped    pos/pos_orders_20261120.csv.part: still being written" in out
    assert "skipped    oms/.oms_orders_20261120.csv" in out
    assert "ignored    pos/pos_orders_20261199.csv: '20261199' in the name is not a valid date" in out
    assert "ignored    misc/readme.txt" in out
    assert "total: 2 skipped, 2 ignored" in out
    assert query(db_path, "select count(*) from raw.file_manifest") == [(0,)]
    events = query(db_path, "select event, count(*) from raw.processing_log group by 1 order by 1")
    assert events == [("file_ignored", 2), ("file_skipped", 2), ("run_finished", 1), ("run_started", 1)]


def test_reference_snapshots_land_like_order_files(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop",
        {
            "reference/stores.csv": "Store_ID,store_name,IS_ACTIVE\nS1,One,TRUE\n",
            "reference/products.csv": "sku,product_name\n",
        },
    )
    code, out = ingest(drop)
    assert code == 1
    assert "REJECTED   reference/products.csv: missing required column(s): is_active" in out
    assert query(db_path, "select store_id, is_active from raw.stores") == [("S1", "TRUE")]


def test_empty_drop_creates_the_raw_layer(tmp_path, ingest, db_path):
    (tmp_path / "drop").mkdir()
    code, out = ingest(tmp_path / "drop")
    assert code == 0
    assert "total: no files found" in out
    tables = {
        row[0] for row in query(db_path, "select table_name from information_schema.tables where table_schema = 'raw'")
    }
    assert tables == {
        "pos_order_lines",
        "oms_orders",
        "stores",
        "products",
        "customers",
        "prices",
        "stock",
        "review_decisions",
        "partners",
        "web_orders",
        "edi_segments",
        "api_orders",
        "manual_order_lines",
        "file_manifest",
        "processing_log",
        "notification_log",
        "edi_ack_log",
        "handoff_log",
    }


def test_json_output_for_schedulers(tmp_path, ingest, db_path):
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1), "x.txt": "x"})
    code, out = ingest(drop, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["counts"] == {"ignored": 1, "loaded": 1}
    assert report["rows_loaded"] == 1
    assert {f["file"]: f["outcome"] for f in report["files"]} == {
        "x.txt": "ignored",
        "pos/pos_orders_20261120.csv": "loaded",
    }


def test_quiet_prints_only_problems_and_the_total(tmp_path, ingest, db_path):
    drop = write_files(
        tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_1), "oms/oms_orders_20261120.csv": "x\n"}
    )
    code, out = ingest(drop, "--quiet")
    assert code == 1
    assert out.splitlines()[0].startswith("REJECTED   oms/oms_orders_20261120.csv")
    assert out.splitlines()[-1].startswith("total: 1 loaded, 1 rejected")
    assert len(out.splitlines()) == 2


def test_missing_drop_directory_is_a_clear_error(tmp_path, ingest):
    code, out = ingest(tmp_path / "nowhere")
    assert code == 3
    assert "is not a directory: check the --from path" in out


def test_unsupported_scheme_is_a_clear_error(tmp_path, ingest):
    code, out = ingest("ftp://host/drop")
    assert code == 2
    assert "unsupported drop location" in out


def test_a_malformed_sftp_url_is_a_bad_invocation_and_never_echoed(tmp_path, ingest):
    """urlsplit's ValueError (an unclosed IPv6 bracket) used to end in a traceback with exit 1."""
    code, out = ingest("sftp://u:s3cret-pw@[127.0.0.1/x")
    assert code == 2
    assert "the SFTP URL cannot be parsed" in out and "Traceback" not in out
    assert "s3cret-pw" not in out


@pytest.mark.parametrize(
    ("read_only", "expected"),
    [
        (False, "is open for writing by python"),
        (True, "is open read-only by python"),
    ],
)
def test_a_database_held_by_another_process_names_it_and_what_to_do(tmp_path, ingest, db_path, read_only, expected):
    """A writer or a reader holding the file: the message names the program and its PID, and a
    reader is not mistaken for a build (DuckDB lets no writer in while anyone reads)."""
    (tmp_path / "drop").mkdir()
    ingest(tmp_path / "drop")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db_path)!r}, read_only={read_only})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, out = ingest(tmp_path / "drop")
        assert code == 4
        assert expected in out
        assert f"(PID {holder.pid})" in out
        if read_only:
            assert "bi.duckdb" in out and "a dbt build" not in out
    finally:
        holder.kill()
        holder.wait()


def test_module_entry_point_and_help(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "loaders", "ingest", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--from" in result.stdout and "Exit codes" in result.stdout and "RECON_SFTP_PASSWORD" in result.stdout


def test_default_database_path_comes_from_the_environment(tmp_path, monkeypatch):
    from loaders.database import DEFAULT_DB_PATH, db_path_from_env

    monkeypatch.delenv("RECON_DB_PATH", raising=False)
    assert db_path_from_env() == DEFAULT_DB_PATH
    assert DEFAULT_DB_PATH == PROJECT_ROOT / "data" / "recon.duckdb"
    monkeypatch.setenv("RECON_DB_PATH", str(tmp_path / "x.duckdb"))
    assert db_path_from_env() == tmp_path / "x.duckdb"
    assert db_path_from_env(str(tmp_path / "y.duckdb")) == tmp_path / "y.duckdb"


def test_a_stray_trailing_delimiter_is_a_ragged_line_not_a_silent_shift(tmp_path, ingest, db_path):
    # "4,50" unquoted adds a field; with the empty last column the line ends in a delimiter,
    # which a lenient reader drops, shifting every value after the price one column left.
    shifted = LINE_1.replace("4.50", "4,50") + ","
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(LINE_2, shifted)})
    code, out = ingest(drop)
    assert code == 1
    assert "line 3 has 16 fields where the header has 14" in out
    assert raw_pos(db_path) == []


def test_an_empty_last_field_is_not_ragged(tmp_path, ingest, db_path):
    header = (
        "oms_order_id,source_system,source_order_id,store_id,order_status,order_total,currency,created_at,customer_id"
    )
    drop = write_files(
        tmp_path / "drop",
        {
            "oms/oms_orders_20261120.csv": oms_file(
                "O-1,POS,A-1,S001,CREATED,1.00,USD,2026-11-20T09:00:00,", header=header
            )
        },
    )
    assert ingest(drop)[0] == 0
    assert query(db_path, "select oms_order_id, customer_id, _source_line from raw.oms_orders") == [("O-1", None, 2)]


@pytest.mark.parametrize("name", ["raw.duckdb", "Marts.duckdb"])
def test_a_database_file_named_like_a_schema_is_a_clear_error(tmp_path, capsys, name):
    (tmp_path / "drop").mkdir()
    code = loader_main(["ingest", "--from", str(tmp_path / "drop"), "--db", str(tmp_path / name)])
    assert code == 2
    assert "name the file otherwise, e.g. recon.duckdb" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_a_memory_limit_duckdb_cannot_read_is_a_clear_error(tmp_path, capsys, monkeypatch):
    """A typo in RECON_DUCKDB_MEMORY_LIMIT stops the loader with exit 2, naming the variable,
    before it creates the database; a valid size lands the files."""
    drop = write_files(
        tmp_path / "drop",
        {"pos/pos_orders_20261120.csv": pos_file("A-1,S1,R1,2026-11-20,x,,USD,1,P1,1,4.50,,4.50,4.50")},
    )
    db = tmp_path / "recon.duckdb"
    monkeypatch.setenv("RECON_DUCKDB_MEMORY_LIMIT", "4XB")
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db)]) == 2
    assert "RECON_DUCKDB_MEMORY_LIMIT='4XB' is not a size DuckDB takes" in capsys.readouterr().err
    assert not db.exists()
    monkeypatch.setenv("RECON_DUCKDB_MEMORY_LIMIT", "500MB")
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db)]) == 0
    assert query(db, "select order_id from raw.pos_order_lines") == [("A-1",)]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_file_at_work_and_json_output_does_not(tmp_path, monkeypatch, capsys):
    """On a terminal the loader keeps one line on stderr for a file that takes long (here any
    file: the delay is set to 0), its name and step, and clears it before the file's own line."""
    rows = [f"P-{n},S1,R1,2026-11-20,x,,USD,1,P1,1,4.50,,4.50,4.50" for n in range(200_000)]
    drop = write_files(tmp_path / "drop", {"pos/pos_orders_20261120.csv": pos_file(*rows)})
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(progress, "REDRAW_EVERY", 0.01)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert loader_main(["ingest", "--from", str(drop), "--db", str(tmp_path / "a.duckdb")]) == 0
    shown = terminal.getvalue()
    assert "\rpos/pos_orders_20261120.csv  " in shown
    assert any(f"  {step}" in shown for step in ("hashing", "reading", "landing", "committing"))
    assert shown.endswith("\r\x1b[K")
    assert "loaded     pos/pos_orders_20261120.csv  200000 rows, version 1" in capsys.readouterr().out

    quiet_terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet_terminal)
    assert loader_main(["ingest", "--from", str(drop), "--db", str(tmp_path / "b.duckdb"), "--json"]) == 0
    assert quiet_terminal.getvalue() == ""
    assert json.loads(capsys.readouterr().out)["rows_loaded"] == 200_000
