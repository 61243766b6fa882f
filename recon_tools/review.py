"""Record a reviewer's decision on an item of the review queue (marts.rpt_review_queue).

list shows the items; decide appends one decision to raw.review_decisions (the same table the
loader lands decisions files into): approve (the order goes through despite the finding),
reject (it stays out of the validated layer) or correct (with the corrected value). Nothing
is ever updated or deleted: an item takes one decision, and a second is refused while the
first stands. A decision takes effect in the marts at the next `dbt build`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.contract import REVIEW_ACTIONS
from loaders.database import db_path_from_env, ensure_raw_layer, open_database
from loaders.errors import ConfigError, ReconError, first_line

EPILOG = """\
examples:
  python -m recon_tools.review list
  python -m recon_tools.review decide 3f2a... --action approve --by "Ann Lee" --reason "price agreed with the store"
  python -m recon_tools.review decide 3f2a... --action correct --value 4.50 --by ann --reason "list price"

exit codes:
  0  listed, or the decision was recorded (it takes effect at the next dbt build)
  1  the decision was refused: no such item, or the item is not open (resolved, decided,
     or a decision is already recorded and waits for the next dbt build)
  2  bad arguments (a blank --by or --reason, correct without --value), or no database
  4  the database is being written (a dbt build or the loader): run again when it has finished
"""

STATUSES = {
    "open": "('open')",
    "decided": "('approved', 'rejected', 'corrected')",
    "all": "('open', 'resolved', 'approved', 'rejected', 'corrected')",
}

QUEUE_COLUMNS = (
    "error_key",
    "review_status",
    "source_system",
    "source_file",
    "source_line",
    "business_date",
    "order_id",
    "rule_id",
    "severity",
    "failed_value",
    "message",
    "first_seen_at",
    "resolved_at",
    "resolution",
    "age_days",
    "decision_id",
    "decided_by",
    "decided_at",
    "decision_reason",
    "corrected_value",
)

# Decisions recorded since the last build: staging reads the raw table live, the resolved
# decisions (a table) are as the last build left them.
PENDING_SQL = """
select staged.decision_id, staged.error_key, staged.decision_action, staged.decided_by, staged.channel
from staging.stg_review__decisions as staged
anti join intermediate.int_review_decisions as judged on staged.decision_id = judged.decision_id
"""


class DecisionRefused(ReconError):
    """The decision names no open item: nothing was recorded."""

    exit_code = 1


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list[object], db_path: Path) -> list[dict[str, object]]:
    try:
        cursor = con.execute(sql, params)
    except duckdb.CatalogException as exc:
        raise ConfigError(f"{db_path} has no review queue yet: run `dbt build` first ({first_line(exc)})") from exc
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def list_items(db_path: Path, status: str) -> list[dict[str, object]]:
    """The review queue's items of a status (open, decided or all), oldest first, each with the
    decision recorded for it since the last build, if any (pending_decision_id)."""
    con = open_database(db_path, read_only=True, busy_hint="run again when it has finished")
    try:
        items = _read(
            con,
            f"select {', '.join(QUEUE_COLUMNS)} from marts.rpt_review_queue "  # noqa: S608 - constant lists
            f"where review_status in {STATUSES[status]} order by first_seen_at, source_file, source_line, error_key",
            [],
            db_path,
        )
        pending = {row["error_key"]: row for row in _read(con, PENDING_SQL, [], db_path)}
    finally:
        con.close()
    for item in items:
        waiting = pending.get(item["error_key"])
        item["pending_decision_id"] = waiting["decision_id"] if waiting else None
    return items


def decide(
    db_path: Path, error_key: str, action: str, decided_by: str, reason: str, value: str | None
) -> dict[str, object]:
    """Append one decision on an open item; DecisionRefused (nothing written) when the item does
    not exist or is not open, ConfigError for a decision that is incomplete."""
    error_key, decided_by, reason = error_key.strip(), (decided_by or "").strip(), (reason or "").strip()
    value = value.strip() if value is not None else None
    if not decided_by:
        raise ConfigError("--by is blank: a decision names who made it")
    if not reason:
        raise ConfigError("--reason is blank: a decision says why")
    if action == "correct" and not value:
        raise ConfigError("--action correct needs --value, the corrected value")
    if action != "correct" and value:
        raise ConfigError(f"--value is for --action correct only (not {action})")
    con = open_database(db_path, must_exist=True, busy_hint="run again when it has finished")
    try:
        ensure_raw_layer(con)  # a database an older loader made gains the decisions table
        # Checked and written in one transaction: DuckDB lets one writer in, so no other
        # decision can slip in between.
        con.begin()
        found = _read(
            con,
            f"select {', '.join(QUEUE_COLUMNS)} from marts.rpt_review_queue where error_key = ?",  # noqa: S608 - constant list
            [error_key],
            db_path,
        )
        if not found:
            raise DecisionRefused(
                f"no review item {error_key!r} in {db_path}: `python -m recon_tools.review list` shows the open ones "
                "(only business-rule findings take a decision)"
            )
        item = found[0]
        if item["review_status"] == "resolved":
            raise DecisionRefused(
                f"review item {error_key} is not open: it was resolved at {item['resolved_at']:%Y-%m-%dT%H:%M:%SZ} "
                f"({item['resolution']}), nothing is left to decide"
            )
        if item["review_status"] != "open":
            raise DecisionRefused(
                f"review item {error_key} is not open: it is {item['review_status']} by decision "
                f"{item['decision_id']} ({item['decided_by']}, {item['decided_at']:%Y-%m-%dT%H:%M:%SZ}); "
                "a decision stands once made"
            )
        waiting = [row for row in _read(con, PENDING_SQL, [], db_path) if row["error_key"] == error_key]
        if waiting:
            first = waiting[0]
            raise DecisionRefused(
                f"review item {error_key} already has a decision recorded: {first['decision_id']} "
                f"({first['decision_action']} by {first['decided_by']}), which takes effect at the next `dbt build`"
            )
        number = con.execute("select nextval('raw.review_decision_seq')").fetchone()[0]
        now = _now()
        decision = {
            "decision_id": f"cli:{number}",
            "error_key": error_key,
            "action": action,
            "corrected_value": value,
            "decided_by": decided_by,
            "decided_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reason": reason,
        }
        con.execute(
            "insert into raw.review_decisions (error_key, action, corrected_value, decided_by, decided_at, reason, "
            "_loaded_at, _channel, _decision_id) values (?, ?, ?, ?, ?, ?, ?, 'cli', ?)",
            [error_key, action, value, decided_by, decision["decided_at"], reason, now, decision["decision_id"]],
        )
        # The audit trail (marts.order_processing_log, component review) has it too.
        con.execute(
            "insert into raw.processing_log (run_id, event, detail) values (?, 'review_decision', ?)",
            [
                decision["decision_id"],
                f"{action} on review item {error_key} ({item['rule_id']}, {item['source_file']}) by {decided_by}: "
                f"{reason}",
            ],
        )
        con.commit()
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # no transaction is open when it never began
            con.rollback()
        raise
    finally:
        con.close()
    return {
        **decision,
        "item": {name: item[name] for name in ("rule_id", "source_file", "source_line", "order_id", "message")},
        "takes_effect": "at the next dbt build",
    }


def _render_items(items: list[dict[str, object]], status: str) -> str:
    if not items:
        return f"no {status} review items" if status != "all" else "the review queue is empty"
    lines = []
    for item in items:
        where = (
            f"{item['source_file']}:{item['source_line']}" if item["source_line"] is not None else item["source_file"]
        )
        head = f"{item['error_key']}  {item['review_status']:<9}  {item['rule_id']}  {where}  order {item['order_id']}"
        lines.append(head)
        lines.append(f"    {item['message']} ({item['age_days']} days)")
        if item["decision_id"]:
            value = f", value {item['corrected_value']}" if item["corrected_value"] else ""
            lines.append(
                f"    decision {item['decision_id']} by {item['decided_by']}{value}: {item['decision_reason']}"
            )
        elif item["pending_decision_id"]:
            lines.append(f"    decision {item['pending_decision_id']} recorded, takes effect at the next dbt build")
    lines.append(f"{len(items)} item(s)")
    return "\n".join(lines)


def _jsonable(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else str(value) if value is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.review",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = "DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)"
    listing = commands.add_parser(
        "list", help="list review items (open ones by default)", description=list_items.__doc__
    )
    listing.add_argument("--status", choices=tuple(STATUSES), default="open", help="which items (default: open)")
    listing.add_argument("--json", action="store_true", help="print the items as one JSON document")
    listing.add_argument("--db", help=db_help)
    deciding = commands.add_parser(
        "decide",
        help="record a decision on an open item",
        description="Record a decision on an open review item; it takes effect at the next `dbt build`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    deciding.add_argument("error_key", help="the item (rpt_review_queue.error_key, as `list` prints it)")
    deciding.add_argument(
        "--action",
        required=True,
        choices=REVIEW_ACTIONS,
        help="approve: the order goes through despite the finding; reject: it stays out of the validated "
        "layer; correct: a corrected value is supplied (--value)",
    )
    deciding.add_argument("--by", required=True, help="who decides (a name, not blank)")
    deciding.add_argument("--reason", required=True, help="why (not blank)")
    deciding.add_argument("--value", help="the corrected value of the finding's field (correct only)")
    deciding.add_argument("--json", action="store_true", help="print the decision as one JSON document")
    deciding.add_argument("--db", help=db_help)
    args = parser.parse_args(argv)
    db_path = db_path_from_env(args.db)
    try:
        if args.command == "list":
            items = list_items(db_path, args.status)
            if args.json:
                print(json.dumps({"ok": True, "items": items}, default=_jsonable))
            else:
                print(_render_items(items, args.status))
            return 0
        decision = decide(db_path, args.error_key, args.action, args.by, args.reason, args.value)
    except ReconError as exc:
        return fail(exc, as_json=args.json)
    if args.json:
        print(json.dumps({"ok": True, **decision}, default=_jsonable))
    else:
        item = decision["item"]
        value = f" (value {decision['corrected_value']})" if decision["corrected_value"] else ""
        print(
            f"recorded decision {decision['decision_id']}: {decision['action']}{value} on review item "
            f"{decision['error_key']} ({item['rule_id']}, {item['source_file']} line {item['source_line']}, "
            f"order {item['order_id']}) by {decision['decided_by']}"
        )
        print("It takes effect in the marts at the next `dbt build`; until then the item is listed as open.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
