"""Send the 997 functional acknowledgements of the EDI purchase orders received.

What to send is marts.rpt_edi_acknowledgements (one 997 per functional group received);
this command only writes them out and records what it delivered in raw.edi_ack_log. Each
997 is written as

  <outbox>/<recipient>/997_<recipient>_<ISA13>_<GS06>.x12

where the recipient is the trading partner (or, for an unknown sender, its ISA06 id), under
a .part name renamed once complete. The outbox is a local folder or
sftp://user@host[:port]/path, with the loader's SFTP settings (docs/sftp.md), as for
python -m recon_tools.notify.

A 997 is sent once. It is sent again only when the mart's content_hash differs from the one
last recorded for it (a rebuild that changed the verdict); the new file ends in _v2, _v3, ...
so the partner keeps the first. Nothing is recorded for a 997 that did not reach the outbox;
the next run tries it again.

Exit codes:
  0  every 997 due was delivered (or nothing was due, or --dry-run)
  2  bad invocation or configuration (no database, mart not built, a bad outbox URL)
  3  the outbox could not be reached or written: the 997s not written are not recorded
  4  the database is being written (a dbt build or the loader): run after it
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.database import EDI_ACK_LOG_DDL, db_path_from_env, open_database
from loaders.errors import ConfigError, EngineFailure, ReconError, first_line
from recon_tools.notify import OutboxError, OutboxReport, open_outbox, outcome_counts, report_outcome

# Each acknowledgement with what was last sent of it, and how many files its name was given.
ACKS_SQL = """
with last_sent as (
    select ack_id, content_hash, version, sent_at
    from raw.edi_ack_log
    qualify row_number() over (partition by ack_id order by version desc) = 1
)
select
    acks.ack_id,
    acks.recipient,
    acks.load_id,
    acks.interchange_control_number,
    acks.group_control_number,
    acks.group_status,
    acks.ack_text,
    acks.content_hash,
    last_sent.content_hash is not distinct from acks.content_hash as already_sent,
    coalesce(last_sent.version, 0) as last_version,
    last_sent.sent_at as last_sent_at
from marts.rpt_edi_acknowledgements as acks
left join last_sent on acks.ack_id = last_sent.ack_id
order by acks.load_id, acks.recipient, acks.interchange_control_number, acks.group_control_number, acks.ack_id
"""

RECORD_SQL = """
insert into raw.edi_ack_log (
    ack_id, version, recipient, load_id, interchange_control_number, group_control_number,
    group_status, content_hash, target, ack_file, run_id, sent_at
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Ack:
    """What happened to one acknowledgement."""

    ack_id: str
    recipient: str
    group_status: str
    outcome: str  # sent, amended, unchanged, would_send, not_sent
    version: int
    target: str
    ack_file: str
    detail: str | None = None


@dataclass
class AckReport(OutboxReport):
    acknowledgements: list[Ack] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return outcome_counts(self.acknowledgements)

    def to_dict(self) -> dict[str, object]:
        return super().to_dict() | {
            "counts": self.counts,
            "acknowledgements": [asdict(item) for item in self.acknowledgements],
        }


def safe_name(value: object) -> str:
    """A path component from a partner id or control number: nothing but letters, digits, . _ -."""
    text = UNSAFE.sub("_", str(value if value is not None else "").strip())
    return text.strip(".") or "unknown"


def ack_file(row: dict[str, object], version: int) -> str:
    recipient = safe_name(row["recipient"])
    stem = f"997_{recipient}_{safe_name(row['interchange_control_number'])}_{safe_name(row['group_control_number'])}"
    return f"{recipient}/{stem if version == 1 else f'{stem}_v{version}'}.x12"


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    con = open_database(
        db_path,
        must_exist=True,
        missing_hint="pass --db or set RECON_DB_PATH (land a drop, run `dbt build`, then send)",
        busy_hint="send when it has finished",
    )
    present = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'rpt_edi_acknowledgements'"
    ).fetchone()[0]
    if not present:
        con.close()
        raise ConfigError(f"{db_path} has no marts.rpt_edi_acknowledgements: run `dbt build` first")
    # a database whose raw layer predates the log gets it here (the loader creates it too)
    con.execute(EDI_ACK_LOG_DDL)
    return con


def send(
    db_path: Path,
    outbox: str,
    *,
    dry_run: bool = False,
    known_hosts: str | None = None,
    key_file: str | None = None,
    on_item: Callable[[Ack], None] | None = None,
) -> AckReport:
    """Write every 997 due into the outbox; record each. Outbox failures are in the report's errors."""
    report = AckReport(database=str(db_path), run_id=uuid.uuid4().hex[:12], dry_run=dry_run)
    target = open_outbox(outbox, known_hosts=known_hosts, key_file=key_file)
    con = connect(db_path)
    try:
        cursor = con.execute(ACKS_SQL)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        with tempfile.TemporaryDirectory(prefix="recon-ack-") as staging:
            for row in rows:
                item = _deliver(con, row, target, Path(staging), report)
                report.acknowledgements.append(item)
                if on_item is not None:
                    on_item(item)
    except duckdb.Error as exc:
        raise EngineFailure(f"DuckDB failed: {first_line(exc)}") from exc
    finally:
        con.close()
        target.close()
    return report


def _deliver(con: duckdb.DuckDBPyConnection, row: dict[str, object], target, staging: Path, report: AckReport) -> Ack:
    last_version = int(row["last_version"])  # type: ignore[call-overload]
    version = last_version if row["already_sent"] else last_version + 1
    name = ack_file(row, version)
    item = Ack(
        ack_id=str(row["ack_id"]),
        recipient=str(row["recipient"]),
        group_status=str(row["group_status"]),
        outcome="unchanged",
        version=version,
        target=target.uri,
        ack_file=name,
    )
    if row["already_sent"]:
        item.detail = f"already sent {row['last_sent_at']:%Y-%m-%d %H:%M} UTC"
        return item
    if report.dry_run:
        item.outcome = "would_send"
        return item
    local = staging / Path(name).name
    # the 997 as the mart holds it, byte for byte (its segment terminators and line ends)
    local.write_bytes(str(row["ack_text"]).encode("utf-8"))
    try:
        target.put(local, name)
    except OutboxError as exc:
        item.outcome = "not_sent"
        item.detail = str(exc)
        if str(exc) not in report.errors:
            report.errors.append(str(exc))
        return item
    finally:
        local.unlink(missing_ok=True)
    con.execute(
        RECORD_SQL,
        [
            item.ack_id,
            version,
            item.recipient,
            row["load_id"],
            row["interchange_control_number"],
            row["group_control_number"],
            item.group_status,
            row["content_hash"],
            target.uri,
            name,
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


def format_line(item: Ack) -> str:
    line = f"{LABELS[item.outcome]:<11}{item.ack_file}  group {item.group_status}, version {item.version}"
    if item.outcome == "not_sent":
        return f"{line}: {item.detail}"
    line += f", to {item.target}"
    return f"{line} ({item.detail})" if item.detail else line


def total_line(report: AckReport) -> str:
    counts = report.counts
    pieces = []
    if report.dry_run:
        pieces.append(f"{counts.get('would_send', 0)} would be sent")
    else:
        amended = f" ({counts['amended']} amended)" if counts.get("amended") else ""
        pieces.append(f"{counts.get('sent', 0) + counts.get('amended', 0)} sent{amended}")
    pieces.append(f"{counts.get('unchanged', 0)} already sent")
    if counts.get("not_sent"):
        pieces.append(f"{counts['not_sent']} not sent")
    where = "nothing recorded (dry run)" if report.dry_run else f"recorded in raw.edi_ack_log of {report.database}"
    return f"total: {', '.join(pieces)}; {where}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.acknowledge",
        description=__doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else None,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    parser.add_argument(
        "--outbox",
        required=True,
        metavar="TARGET",
        help="folder or sftp://user@host[:port]/path; each partner gets a subfolder",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send and record nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for schedulers) instead of lines")
    sftp = parser.add_argument_group("SFTP options (as for python -m loaders ingest)")
    sftp.add_argument("--known-hosts", metavar="PATH", help="known_hosts file ($RECON_SFTP_KNOWN_HOSTS)")
    sftp.add_argument(
        "--key-file", metavar="PATH", help="private key ($RECON_SFTP_KEY_FILE); else $RECON_SFTP_PASSWORD"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def on_item(item: Ack) -> None:
        if not args.json:
            print(format_line(item), flush=True)

    try:
        report = send(
            db_path_from_env(args.db),
            args.outbox,
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
