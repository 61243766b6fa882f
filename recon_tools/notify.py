"""Send the notifications the marts decided on: findings to the source that made the files,
missing orders to the OMS team.

What to send is marts.rpt_outbound_notifications (one row per notification, its lines in
rpt_notification_findings or rpt_notification_missing_orders); this command only writes
them out and records what it delivered in raw.notification_log. For each notification due
it writes two files into the recipient's folder of the outbox:

  <notification_id>.csv   the lines (one per finding, or per missing order)
  <notification_id>.txt   a short summary for a person (counts per rule, examples, what to fix)

The recipient's folder is its lower-case name under --outbox (pos/, oms/, reference/,
oms_team/), unless --outbox-for RECIPIENT=TARGET gives it a target of its own. A target is a
local folder or sftp://user@host[:port]/path, with the loader's SFTP settings (known_hosts,
key file, password, timeouts, retries: docs/sftp.md). Each file is written under a .part
name and renamed once complete.

A notification is sent once. It is sent again only when the mart's content_hash differs from
the last one recorded as sent; the amendment is version 2, 3, ... and its files end in _v2,
_v3, ..., so the recipient keeps the first. Nothing is recorded for a notification that did
not reach its outbox; the next run tries it again.

Exit codes:
  0  every notification due was delivered (or nothing was due, or --dry-run)
  2  bad invocation or configuration (no database, marts not built, a bad outbox URL)
  3  an outbox could not be reached or written: its notifications were neither sent nor
     recorded (the other outboxes' were)
  4  the database is being written (a dbt build or the loader): run after it
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from loaders.cli_support import fail
from loaders.database import NOTIFICATION_LOG_DDL, db_path_from_env, open_database
from loaders.errors import ConfigError, EngineFailure, ReconError, SourceError, first_line

# The lines of each kind of notification, and the columns of its CSV (the model's, from
# item_number on: the notification id and the recipient are the file's name and folder).
DETAIL_MODELS = {
    "format_findings": "marts.rpt_notification_findings",
    "missing_orders": "marts.rpt_notification_missing_orders",
}
# The recipients rpt_outbound_notifications names (its accepted_values test): a misspelt
# --outbox-for would otherwise send that recipient's files to the default outbox unnoticed.
RECIPIENTS = ("POS", "OMS", "REFERENCE", "FILE", "OMS_TEAM")
REQUIRED_MARTS = ("rpt_outbound_notifications", *(name.split(".")[1] for name in DETAIL_MODELS.values()))

# Whether a notification is due is decided here, in SQL: its content hash against the last
# one recorded as sent. Every notification of the mart is listed, so that the unchanged ones
# are reported too.
NOTIFICATIONS_SQL = """
with last_sent as (
    select
        notification_id,
        max(version) as version,
        arg_max(content_hash, version) as content_hash,
        arg_max(sent_at, version) as sent_at
    from raw.notification_log
    group by notification_id
)

select
    notifications.notification_id,
    notifications.recipient,
    notifications.kind,
    notifications.business_date,
    notifications.item_count,
    notifications.content_hash,
    notifications.summary_text,
    coalesce(last_sent.version, 0) as last_version,
    last_sent.sent_at as last_sent_at,
    coalesce(last_sent.content_hash = notifications.content_hash, false) as already_sent
from marts.rpt_outbound_notifications as notifications
left join last_sent on notifications.notification_id = last_sent.notification_id
order by notifications.recipient, notifications.business_date nulls first, notifications.kind
"""

RECORD_SQL = """
insert into raw.notification_log (
    notification_id, version, recipient, kind, business_date, content_hash, item_count,
    target, csv_file, summary_file, run_id, sent_at
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class OutboxError(SourceError):
    """An outbox could not be reached or written (exit 3); its notifications are not recorded."""


class Outbox(Protocol):
    uri: str

    def put(self, local: Path, relpath: str) -> None: ...

    def close(self) -> None: ...


class LocalOutbox:
    """A local folder (or a mounted share): files are copied under a .part name, then renamed."""

    def __init__(self, root: str) -> None:
        self.root = Path(root).expanduser()
        self.uri = str(self.root)

    def put(self, local: Path, relpath: str) -> None:
        final = self.root / relpath
        temp = final.with_name(final.name + ".part")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, temp)
            os.replace(temp, final)
        except OSError as exc:
            with suppress(OSError):
                temp.unlink(missing_ok=True)
            where = exc.filename or final
            raise OutboxError(
                f"cannot write {relpath} to the outbox {self.uri} ({where}: {exc.strerror or exc})"
            ) from None

    def close(self) -> None:
        pass


class SftpOutbox:
    """An SFTP folder, through the drop's own SFTP client (loaders/sources/sftp.py).

    A failure that is not about one file (refused, timed out, host key, credentials) has
    been retried as the loader retries, or must not be; the outbox is then down for the rest
    of the run, and its other notifications are reported without another attempt.
    """

    def __init__(self, location: str, *, known_hosts: str | None, key_file: str | None) -> None:
        from loaders.sources.sftp import SftpSource

        self.source = SftpSource.configure(location, known_hosts=known_hosts, key_file=key_file)
        self.uri = self.source.uri
        self.down: OutboxError | None = None

    def put(self, local: Path, relpath: str) -> None:
        if self.down is not None:
            raise self.down
        try:
            self.source.upload(local, relpath)
        except ReconError as exc:
            text = str(exc) if self.uri in str(exc) else f"outbox {self.uri}: {exc}"
            self.down = OutboxError(text.replace("nothing was read", "nothing was written"))
            raise self.down from None
        except OSError as exc:  # about this file (permission, a file where a folder should be)
            raise OutboxError(f"cannot write {relpath} to the outbox {self.uri}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self.source.close()


def open_outbox(target: str, *, known_hosts: str | None = None, key_file: str | None = None) -> Outbox:
    if target.startswith("sftp://"):
        return SftpOutbox(target, known_hosts=known_hosts, key_file=key_file)
    if "://" in target:
        raise ConfigError(f"unsupported outbox {target!r}: use a folder path or sftp://user@host[:port]/path")
    return LocalOutbox(target)


@dataclass
class Sent:
    """What happened to one notification."""

    notification_id: str
    recipient: str
    kind: str
    outcome: str  # sent, amended, unchanged, would_send, not_sent
    version: int
    items: int
    target: str
    csv_file: str | None = None
    summary_file: str | None = None
    detail: str | None = None


@dataclass
class OutboxReport:
    """What one run of an outbox command (notify, acknowledge, handoff) did; each command's
    report adds what it delivered. The fields and the JSON keys they share are defined here."""

    database: str
    run_id: str
    dry_run: bool
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "database": self.database,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "errors": self.errors,
        }


def outcome_counts(items: Sequence[object]) -> dict[str, int]:
    """How many items had each outcome (sent, amended, unchanged, would_send, not_sent)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.outcome] = counts.get(item.outcome, 0) + 1
    return counts


@dataclass
class SendReport(OutboxReport):
    notifications: list[Sent] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return outcome_counts(self.notifications)

    def to_dict(self) -> dict[str, object]:
        return super().to_dict() | {
            "counts": self.counts,
            "notifications": [asdict(item) for item in self.notifications],
        }


def parse_routes(values: Sequence[str]) -> dict[str, str]:
    """--outbox-for RECIPIENT=TARGET values, by upper-case recipient."""
    routes: dict[str, str] = {}
    for value in values:
        recipient, sep, target = value.partition("=")
        if not sep or not recipient.strip() or not target.strip():
            raise ConfigError(f"--outbox-for {value!r}: expected RECIPIENT=TARGET, e.g. OMS_TEAM=/srv/outbox/oms-team")
        name = recipient.strip().upper()
        if name not in RECIPIENTS:
            raise ConfigError(f"--outbox-for {value!r}: unknown recipient {name!r}; one of {', '.join(RECIPIENTS)}")
        routes[name] = target.strip()
    return routes


def file_names(notification_id: str, version: int) -> tuple[str, str]:
    """The CSV and summary names: an amendment gets a new name, so the recipient keeps the first."""
    stem = notification_id if version == 1 else f"{notification_id}_v{version}"
    return f"{stem}.csv", f"{stem}.txt"


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    con = open_database(
        db_path,
        must_exist=True,
        missing_hint="pass --db or set RECON_DB_PATH (land a drop, run `dbt build`, then send)",
        busy_hint="send when it has finished",
    )
    present = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    absent = [name for name in REQUIRED_MARTS if name not in present]
    if absent:
        con.close()
        raise ConfigError(f"{db_path} has no notification marts ({', '.join(absent)} missing): run `dbt build` first")
    # a database whose raw layer predates the log gets it here (the loader creates it too)
    con.execute(NOTIFICATION_LOG_DDL)
    return con


def write_csv(con: duckdb.DuckDBPyConnection, kind: str, notification_id: str, path: Path) -> None:
    model = DETAIL_MODELS[kind]
    # COPY takes the file name as a literal (quotes doubled); the notification id is a parameter.
    target = "'" + str(path).replace("'", "''") + "'"
    statement = (
        f"copy (select * exclude (notification_id, recipient) from {model} "  # noqa: S608 - our model names
        f"where notification_id = ? order by item_number) to {target} (format csv, header true)"
    )
    con.execute(statement, [notification_id])


def send(
    db_path: Path,
    outbox: str,
    routes: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    known_hosts: str | None = None,
    key_file: str | None = None,
    on_item: Callable[[Sent], None] | None = None,
) -> SendReport:
    """Deliver every notification due; record each delivery. Outbox failures are in the report's errors."""
    routes = routes or {}
    report = SendReport(database=str(db_path), run_id=uuid.uuid4().hex[:12], dry_run=dry_run)
    # every target is configured before anything is sent, so a bad URL stops the run whole
    targets = {
        target: open_outbox(target, known_hosts=known_hosts, key_file=key_file) for target in {outbox, *routes.values()}
    }
    con = connect(db_path)
    try:
        cursor = con.execute(NOTIFICATIONS_SQL)
        names = [column[0] for column in cursor.description]
        notifications = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        with tempfile.TemporaryDirectory(prefix="recon-notify-") as staging:
            for row in notifications:
                item = _deliver(con, row, targets, outbox, routes, Path(staging), report)
                report.notifications.append(item)
                if on_item is not None:
                    on_item(item)
    except duckdb.Error as exc:
        raise EngineFailure(f"DuckDB failed: {first_line(exc)}") from exc
    finally:
        con.close()
        for target in targets.values():
            target.close()
    return report


def _deliver(
    con: duckdb.DuckDBPyConnection,
    row: dict[str, object],
    targets: dict[str, Outbox],
    outbox: str,
    routes: dict[str, str],
    staging: Path,
    report: SendReport,
) -> Sent:
    recipient = str(row["recipient"])
    notification_id = str(row["notification_id"])
    target_name = routes.get(recipient, outbox)
    target = targets[target_name]
    folder = "" if recipient in routes else recipient.lower() + "/"
    last_version = int(row["last_version"])  # type: ignore[call-overload]
    version = last_version if row["already_sent"] else last_version + 1
    csv_name, txt_name = file_names(notification_id, version)
    item = Sent(
        notification_id=notification_id,
        recipient=recipient,
        kind=str(row["kind"]),
        outcome="unchanged",
        version=version,
        items=int(row["item_count"]),  # type: ignore[call-overload]
        target=target.uri,
        csv_file=folder + csv_name,
        summary_file=folder + txt_name,
    )
    if row["already_sent"]:
        item.detail = f"already sent {row['last_sent_at']:%Y-%m-%d %H:%M} UTC"
        return item
    if report.dry_run:
        item.outcome = "would_send"
        return item
    csv_path, txt_path = staging / csv_name, staging / txt_name
    write_csv(con, item.kind, notification_id, csv_path)
    txt_path.write_text(str(row["summary_text"]), encoding="utf-8")
    try:
        # the summary last: a recipient who sees it finds the lines beside it
        target.put(csv_path, item.csv_file)
        target.put(txt_path, item.summary_file)
    except OutboxError as exc:
        item.outcome = "not_sent"
        item.detail = str(exc)
        if str(exc) not in report.errors:
            report.errors.append(str(exc))
        return item
    finally:
        csv_path.unlink(missing_ok=True)
        txt_path.unlink(missing_ok=True)
    con.execute(
        RECORD_SQL,
        [
            notification_id,
            version,
            recipient,
            item.kind,
            row["business_date"],
            row["content_hash"],
            item.items,
            target.uri,
            item.csv_file,
            item.summary_file,
            report.run_id,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    item.outcome = "sent" if version == 1 else "amended"
    return item


LABELS = {
    "sent": "sent",
    "amended": "amended",
    "unchanged": "unchanged",
    "would_send": "would send",
    "not_sent": "NOT SENT",
}


def format_line(item: Sent) -> str:
    what = "finding" if item.kind == "format_findings" else "missing order"
    count = f"{item.items} {what}{'' if item.items == 1 else 's'}"
    line = f"{LABELS[item.outcome]:<11}{item.csv_file} + .txt  {count}, version {item.version}, to {item.target}"
    if item.outcome == "not_sent":
        return f"{LABELS[item.outcome]:<11}{item.csv_file}  {count}, version {item.version}: {item.detail}"
    if item.detail:
        line += f" ({item.detail})"
    return line


def total_line(report: SendReport) -> str:
    counts = report.counts
    sent = counts.get("sent", 0) + counts.get("amended", 0)
    pieces = []
    if report.dry_run:
        pieces.append(f"{counts.get('would_send', 0)} would be sent")
    else:
        amended = f" ({counts['amended']} amended)" if counts.get("amended") else ""
        pieces.append(f"{sent} sent{amended}")
    pieces.append(f"{counts.get('unchanged', 0)} already sent")
    if counts.get("not_sent"):
        pieces.append(f"{counts['not_sent']} not sent")
    where = "nothing recorded (dry run)" if report.dry_run else f"recorded in raw.notification_log of {report.database}"
    return f"total: {', '.join(pieces)}; {where}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.notify",
        description=__doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else None,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    parser.add_argument(
        "--outbox",
        required=True,
        metavar="TARGET",
        help="folder or sftp://user@host[:port]/path; each recipient gets a subfolder (pos/, oms/, oms_team/, ...)",
    )
    parser.add_argument(
        "--outbox-for",
        action="append",
        default=[],
        metavar="RECIPIENT=TARGET",
        help="a target of its own for one recipient (POS, OMS, REFERENCE, FILE, OMS_TEAM), without a subfolder; "
        "repeatable",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send and record nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for schedulers) instead of lines")
    sftp = parser.add_argument_group("SFTP options (as for python -m loaders ingest)")
    sftp.add_argument(
        "--known-hosts",
        metavar="PATH",
        help="known_hosts file to verify the server's host key ($RECON_SFTP_KNOWN_HOSTS, else ~/.ssh/known_hosts)",
    )
    sftp.add_argument(
        "--key-file",
        metavar="PATH",
        help="private key ($RECON_SFTP_KEY_FILE; passphrase from $RECON_SFTP_KEY_PASSPHRASE); "
        "password authentication reads $RECON_SFTP_PASSWORD",
    )
    return parser


def report_outcome(report: object, total: str, *, as_json: bool) -> int:
    """The end of an outbox command (notify, acknowledge, handoff): the report as one JSON document
    or its total line and errors, and the exit code (OutboxError's when an outbox failed)."""
    if as_json:
        print(json.dumps(report.to_dict(), default=str))  # type: ignore[attr-defined]
    else:
        print(total)
        for error in report.errors:  # type: ignore[attr-defined]
            print(f"error: {error}", file=sys.stderr)
    return 0 if report.ok else OutboxError.exit_code  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def on_item(item: Sent) -> None:
        if not args.json:
            print(format_line(item), flush=True)

    try:
        report = send(
            db_path_from_env(args.db),
            args.outbox,
            parse_routes(args.outbox_for),
            dry_run=args.dry_run,
            known_hosts=args.known_hosts,
            key_file=args.key_file,
            on_item=on_item,
        )
    except ReconError as exc:
        return fail(exc, args.json)
    return report_outcome(report, total_line(report), as_json=args.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
