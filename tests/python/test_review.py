"""Review decisions: a reviewer closes an item of the review queue from the command line or
with a decisions file in the drop; dbt applies the decision at the next build (the queue, the
validated layer) or refuses it as a finding; a malformed decisions file is rejected whole;
decisions survive a full refresh and the retention purge."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import oms_file, pos_file, query, query_dicts, write_files

from loaders.retention import purge
from recon_tools.review import main as review_main

HEADER = "error_key,action,decided_by,decided_at,reason,corrected_value"


def pos_line(order_id: str, number: int, line_total: str, order_total: str, day: str = "20") -> str:
    """A POS line of one unit of SKU-100 at 4.50: a line_total other than 4.50 breaks
    pos_line_total_arithmetic, a business rule of error severity (a review item)."""
    date_text = f"2026-11-{day}"
    return (
        f"{order_id},S001,R1,{date_text},{date_text}T09:00:00,,USD,{number},SKU-100,1,4.50,,{line_total},{order_total}"
    )


DROP = {
    "reference/stores.csv": "store_id,store_name,is_active\nS001,Main,true\n",
    "reference/products.csv": "sku,product_name,is_active\nSKU-100,Thing,true\n",
    "pos/pos_orders_20261120.csv": pos_file(
        pos_line("A-1", 1, "5.00", "5.00"),  # approved on the command line
        pos_line("B-1", 1, "5.00", "9.50"),  # rejected: both lines of the order stay out
        pos_line("B-1", 2, "4.50", "9.50"),
        pos_line("C-1", 1, "5.00", "5.00"),  # corrected on the command line
        pos_line("D-1", 1, "5.00", "5.00"),  # approved by a decisions file
        pos_line("K-1", 1, "4.50", "4.50"),  # clean
    ),
    # E-1's finding is resolved by a corrected delivery before anyone decides it.
    "pos/pos_orders_20261121.csv": pos_file(pos_line("E-1", 1, "5.00", "5.00", day="21")),
    "oms/oms_orders_20261120.csv": oms_file(
        *(f"OMS-{o},POS,{o}-1,S001,,CREATED,5.00,USD,2026-11-20T10:00:00" for o in "ABCDEK")
    ),
}


def review(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = review_main([*args, "--db", str(db)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def keys_by_order(db: Path) -> dict[str, str]:
    return dict(query(db, "select order_id, error_key from marts.rpt_review_queue"))


# --- the decisions file as the loader takes it (no dbt build) --------------------------------

GOOD_ROW = "k1,approve,ann,2026-12-01T10:00:00Z,agreed,"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "error_key,action,decided_at,reason\nk1,approve,2026-12-01T10:00:00Z,x\n",
            "missing required column(s): decided_by",
        ),
        (f"{HEADER}\n{GOOD_ROW}\nk2,aprove,ann,2026-12-01T10:00:00Z,x,\n", "line 3: action is not one of"),
        (f"{HEADER}\n{GOOD_ROW}\nk2,reject,  ,2026-12-01T10:00:00Z,x,\n", "line 3: decided_by is empty"),
        (f"{HEADER}\n{GOOD_ROW}\nk2,reject,ann,01.12.2026 10:00,x,\n", "line 3: decided_at is not a timestamp"),
        (f"{HEADER}\n{GOOD_ROW}\nk2,reject,ann,2026-02-30T10:00:00,x,\n", "line 3: decided_at is not a timestamp"),
        (
            f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\nk2,correct,ann,2026-12-01T10:00:00Z,x,\n",
            "line 4: action correct without",
        ),
        (f"{HEADER}\n{GOOD_ROW}\nk2,reject,ann,2026-12-01T10:00:00Z, ,\n", "line 3: reason is empty"),
    ],
    ids=[
        "missing column",
        "unknown action",
        "blank decided_by",
        "bad decided_at",
        "impossible date",
        "correct",
        "reason",
    ],
)
def test_a_malformed_decisions_file_is_rejected_whole_naming_the_line(tmp_path, ingest, db_path, content, expected):
    drop = write_files(tmp_path / "drop", {"review/review_decisions_bad.csv": content})
    code, output = ingest(drop)
    assert code == 1
    assert "REJECTED   review/review_decisions_bad.csv:" in output and expected in output, output
    assert query(db_path, "select count(*) from raw.review_decisions") == [(0,)]  # not even its good lines
    assert query(db_path, "select status, reject_reason like ? from raw.file_manifest", [f"%{expected}%"]) == [
        ("rejected", True)
    ]


def test_decisions_files_are_landed_and_never_purged(tmp_path, ingest, db_path):
    name = "review/review_decisions_20261201T1000.csv"
    drop = write_files(tmp_path / "drop", {name: f"{HEADER}\n{GOOD_ROW}\n", "review/decisions.csv": "x\n"})
    code, output = ingest(drop)
    assert code == 0 and f"loaded     {name}  1 rows, version 1" in output, output
    assert "ignored    review/decisions.csv" in output  # only review/review_decisions_NAME.csv is a decisions file
    write_files(drop, {name: f"{HEADER}\n{GOOD_ROW}\nk2,reject,bob,2026-12-01T11:00:00,dup,\n"})
    assert ingest(drop)[0] == 0
    assert f"repeat     {name}" in ingest(drop)[1]
    # A superseded reference snapshot would go; a superseded decisions file stays, rows and all.
    report = purge(db_path, date(2100, 1, 1))
    assert report.files == []
    assert query(db_path, "select count(*), count(distinct _load_id) from raw.review_decisions") == [(3, 2)]
    assert query(db_path, "select _channel, _source_file, _source_line from raw.review_decisions limit 1") == [
        ("file", name, 2)
    ]


# --- the loop: list, decide, build, and the refusals -----------------------------------------


@pytest.fixture(scope="module")
def decided(tmp_path_factory, dbt_dirs):
    """The drop built, decisions made on the command line and in a decisions file, built again;
    then the command line's refusals and a full refresh, each recorded for the tests below."""
    from conftest import dbt_runner

    from loaders.cli import main as loader_main

    root = tmp_path_factory.mktemp("review")
    db = root / "recon.duckdb"
    dbt = dbt_runner(dbt_dirs)
    drop = write_files(root / "drop", DROP)

    def ingest() -> int:
        return loader_main(["ingest", "--from", str(drop), "--db", str(db)])

    def build(*extra: str) -> None:
        result = dbt(db, "build", *extra)
        assert result.returncode == 0, result.stdout[-4000:]

    assert ingest() == 0
    build()
    state: dict[str, object] = {"db": db, "root": root, "ingest": ingest, "build": build}
    return state


def test_list_decide_build_closes_items_and_lets_orders_through(decided, capsys):
    db = decided["db"]
    code, out, _ = review(db, "list", "--json", capsys=capsys)
    assert code == 0
    listed = {item["order_id"]: item for item in json.loads(out)["items"]}
    assert set(listed) == {"A-1", "B-1", "C-1", "D-1", "E-1"}
    assert {item["review_status"] for item in listed.values()} == {"open"}
    keys = {order: item["error_key"] for order, item in listed.items()}
    decided["keys"] = keys
    validated = "select distinct order_id from intermediate.int_pos_order_lines_validated"
    # the lines with a finding are blocked; B-1's clean second line is in, until B-1 is rejected
    assert {row[0] for row in query(db, validated)} == {"B-1", "K-1"}

    code, out, _ = review(
        db, "decide", keys["A-1"], "--action", "approve", "--by", "Ann Lee", "--reason", "agreed", capsys=capsys
    )
    assert code == 0 and "recorded decision cli:1: approve" in out and "next `dbt build`" in out
    code, out, _ = review(
        db, "decide", keys["B-1"], "--action", "reject", "--by", "bob", "--reason", "test order", "--json",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["decision_id"] == "cli:2"
    code, out, _ = review(
        db, "decide", keys["C-1"], "--action", "correct", "--value", "4.50", "--by", "ann", "--reason", "list",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0
    # Until the build, the queue is as the last build left it, and says a decision waits.
    code, out, _ = review(db, "list", capsys=capsys)
    assert "decision cli:1 recorded, takes effect at the next dbt build" in out
    assert query(db, "select count(*) from marts.rpt_review_queue where review_status = 'open'") == [(5,)]

    # A decisions file: D-1 approved; an unknown item; a second decision on A-1.
    rows = [
        f"{keys['D-1']},Approve,pricing-bot,2026-12-01T10:00:00+01:00,within tolerance,",
        "0000not-a-key,approve,pricing-bot,2026-12-01T10:00:00Z,within tolerance,",
        f"{keys['A-1']},reject,pricing-bot,2026-12-01T10:00:00Z,late veto,",
    ]
    write_files(
        decided["root"] / "drop",
        {
            "review/review_decisions_batch1.csv": "\n".join([HEADER, *rows]) + "\n",
            # E-1 corrected: its finding resolves in the next build
            "pos/pos_orders_20261121.csv": pos_file(pos_line("E-1", 1, "4.50", "4.50", day="21")),
        },
    )
    assert decided["ingest"]() == 0
    decided["build"]()
    capsys.readouterr()  # the loader's lines

    # The command line's decisions are in the audit trail.
    logged = query(
        db, "select run_id, detail from marts.order_processing_log where component = 'review' order by run_id"
    )
    assert [run_id for run_id, _ in logged] == ["cli:1", "cli:2", "cli:3"]
    assert logged[0][1].startswith(f"approve on review item {keys['A-1']} (") and logged[0][1].endswith(
        "by Ann Lee: agreed"
    )
    queue = {row["order_id"]: row for row in query_dicts(db, "select * from marts.rpt_review_queue order by order_id")}
    assert {order: row["review_status"] for order, row in queue.items()} == {
        "A-1": "approved",
        "B-1": "rejected",
        "C-1": "corrected",
        "D-1": "approved",
        "E-1": "resolved",
    }
    assert (queue["A-1"]["decision_id"], queue["A-1"]["decided_by"], queue["A-1"]["decision_reason"]) == (
        "cli:1",
        "Ann Lee",
        "agreed",
    )
    assert queue["C-1"]["corrected_value"] == "4.50"
    assert queue["D-1"]["decision_id"].startswith("file:") and queue["D-1"]["decided_by"] == "pricing-bot"
    assert str(queue["D-1"]["decided_at"]) == "2026-12-01 09:00:00"  # UTC

    lines = query_dicts(
        db,
        "select order_id, review_decision_id, review_action, review_corrected_field, review_corrected_value, "
        "line_total from intermediate.int_pos_order_lines_validated where file_business_date = '2026-11-20' "
        "order by order_id",
    )
    assert [(row["order_id"], row["review_action"]) for row in lines] == [
        ("A-1", "approve"),
        ("C-1", "correct"),
        ("D-1", "approve"),
        ("K-1", None),
    ]  # B-1's clean second line stays out with the rejected order
    corrected = lines[1]
    assert (corrected["review_corrected_field"], corrected["review_corrected_value"]) == ("line_total", "4.50")
    assert str(corrected["line_total"]) == "5.00"  # the delivered value stays; the correction is lineage
    assert lines[0]["review_decision_id"] == "cli:1"

    # The file's decisions on an unknown item and on A-1 (decided already) are findings, not applied.
    findings = query_dicts(
        db,
        "select source_file, source_line, rule_id, category, failed_value, message "
        "from marts.fct_validation_errors where source_system = 'REVIEW' order by source_line",
    )
    assert [(f["source_file"], f["source_line"], f["rule_id"]) for f in findings] == [
        ("review/review_decisions_batch1.csv", 3, "review_decision_item_unknown"),
        ("review/review_decisions_batch1.csv", 4, "review_decision_item_closed"),
    ]
    assert {f["category"] for f in findings} == {"processing"}
    assert "already decided by cli:1 (approve by Ann Lee)" in findings[1]["message"]
    decided["built"] = True


@pytest.mark.parametrize(
    ("order", "args", "code", "message"),
    [
        (None, ["--action", "approve", "--by", "ann", "--reason", "x"], 1, "no review item 'nope'"),
        (
            "A-1",
            ["--action", "reject", "--by", "ann", "--reason", "x"],
            1,
            "is not open: it is approved by decision cli:1",
        ),
        ("E-1", ["--action", "approve", "--by", "ann", "--reason", "x"], 1, "is not open: it was resolved at"),
        ("K", ["--action", "approve", "--by", "  ", "--reason", "x"], 2, "--by is blank"),
        ("K", ["--action", "correct", "--by", "ann", "--reason", "x"], 2, "--action correct needs --value"),
        ("K", ["--action", "approve", "--by", "ann", "--reason", ""], 2, "--reason is blank"),
    ],
    ids=["unknown id", "decided item", "resolved item", "no one", "correct without value", "no reason"],
)
def test_decide_refuses_what_it_cannot_record(decided, capsys, order, args, code, message):
    if not decided.get("built"):
        pytest.skip("needs the decisions of test_list_decide_build_closes_items_and_lets_orders_through")
    db = decided["db"]
    key = {None: "nope", "K": decided["keys"]["D-1"]}.get(order) or decided["keys"][order]
    before = query(db, "select count(*) from raw.review_decisions")
    exit_code, out, err = review(db, "decide", key, *args, capsys=capsys)
    assert (exit_code, out) == (code, "")
    assert message in err, err
    assert query(db, "select count(*) from raw.review_decisions") == before


OMS_A_COPIES = "select source_file from intermediate.int_oms_orders_validated where oms_order_id = 'OMS-A' order by 1"


def test_a_pending_decision_refuses_a_second_one(decided, capsys):
    if not decided.get("built"):
        pytest.skip("needs the build of test_list_decide_build_closes_items_and_lets_orders_through")
    db = decided["db"]
    # OMS-A delivered again a day later: a warning (oms_order_id_in_several_files) on each copy,
    # which leaves both in the validated layer until a reviewer rejects one.
    write_files(
        decided["root"] / "drop",
        {"oms/oms_orders_20261122.csv": oms_file("OMS-A,POS,A-1,S001,,CREATED,5.00,USD,2026-11-22T10:00:00")},
    )
    assert decided["ingest"]() == 0
    decided["build"]()
    capsys.readouterr()  # the loader's lines
    assert query(db, OMS_A_COPIES) == [("oms/oms_orders_20261120.csv",), ("oms/oms_orders_20261122.csv",)]
    code, out, _ = review(db, "list", "--json", capsys=capsys)
    oms_items = [item for item in json.loads(out)["items"] if item["source_file"] == "oms/oms_orders_20261122.csv"]
    assert [item["rule_id"] for item in oms_items] == ["oms_order_id_in_several_files"], out
    key = oms_items[0]["error_key"]
    assert review(db, "decide", key, "--action", "reject", "--by", "ann", "--reason", "dup", capsys=capsys)[0] == 0
    code, out, _ = review(
        db, "decide", key, "--action", "approve", "--by", "bob", "--reason", "fine", "--json", capsys=capsys
    )
    assert code == 1 and json.loads(out)["ok"] is False
    assert "already has a decision recorded: cli:" in json.loads(out)["error"]
    decided["pending_oms_key"] = key


def test_decisions_survive_a_full_refresh(decided):
    if not decided.get("built"):
        pytest.skip("needs the decisions of test_list_decide_build_closes_items_and_lets_orders_through")
    db = decided["db"]
    before = dict(query(db, "select error_key, review_status from marts.rpt_review_queue"))
    decided["build"]("--full-refresh")
    after = dict(query(db, "select error_key, review_status from marts.rpt_review_queue"))
    assert after == {
        **before,
        **({decided["pending_oms_key"]: "rejected"} if decided.get("pending_oms_key") else {}),
    }
    assert after[decided["keys"]["A-1"]] == "approved" and after[decided["keys"]["B-1"]] == "rejected"
    assert {row[0] for row in query(db, "select order_id from intermediate.int_pos_order_lines_validated")} >= {
        "A-1",
        "C-1",
        "D-1",
    }
    assert query(db, "select count(*) from intermediate.int_pos_order_lines_validated where order_id = 'B-1'") == [(0,)]
    if decided.get("pending_oms_key"):  # the rejected copy (a warning) leaves the validated layer
        assert query(db, OMS_A_COPIES) == [("oms/oms_orders_20261120.csv",)]
