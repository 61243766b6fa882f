"""Hand the validated channel orders to the OMS: write each once into OMS import batches.

What to hand off is marts.rpt_order_handoff (one row per validated web, EDI, API or manual
order; the POS's orders reach the OMS by themselves): the orders whose export_status is
`new` (never exported) or `amended` (exported, and changed since: a corrected file). This
command writes them, a line per order line, into batch files in the outbox and records what
it exported in raw.handoff_log. The format is docs/handoff.md:

  oms_import_<YYYYMMDDThhmmssZ>_<nnn>.csv   the batch: one row per order line
  oms_import_<YYYYMMDDThhmmssZ>_<nnn>.ok    written after it: row, order and amendment
                                            counts and the CSV's SHA-256; the OMS imports
                                            a batch once its .ok is there

An order never spans two batches (--batch-size counts orders). Each file is written under a
.part name and renamed once complete. The outbox is a local folder or
sftp://user@host[:port]/path, with the loader's SFTP settings (known_hosts, key file,
password, timeouts, retries: docs/sftp.md).

An order is exported once (record type ORDER, version 1). It is exported again only when its
content_hash differs from the last one exported: an AMENDMENT, version 2, 3, ..., which
replaces the order whole. The orders of the batches that reached the outbox are recorded in
one transaction after the files are in place; nothing is recorded for a batch that did not,
and the next run exports its orders again. A run with nothing due writes no file.

Exit codes:
  0  every order due was exported (or nothing was due, or --dry-run)
  2  bad invocation or configuration (no database, marts not built, a bad outbox URL)
  3  the outbox could not be reached or written: the batches that did not reach it were
     neither exported nor recorded (those written before were, and are recorded)
  4  the database is being written (a dbt build or the loader): run after it
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from loaders.cli_support import fail
from loaders.database import HANDOFF_LOG_DDL, db_path_from_env, open_database
from loaders.errors import ConfigError, EngineFailure, ReconError, first_line
from recon_tools.notify import Outbox, OutboxError, OutboxReport, open_outbox, report_outcome

REQUIRED_MARTS = ("rpt_order_handoff", "order_staging_validated")
DEFAULT_BATCH_SIZE = 500
FORMAT_VERSION = "1"

# The orders due, numbered into batches: an order is whole in one batch. The version and the
# record type follow from the last version exported (the mart reads raw.handoff_log live).
DUE_SQL = """
create or replace temp table handoff_due as
select
    orders.*,
    coalesce(orders.last_exported_version, 0) + 1 as version,
    case when orders.last_exported_version is null then 'ORDER' else 'AMENDMENT' end as record_type,
    row_number() over (order by orders.business_date, orders.channel, orders.order_key) as order_number
from marts.rpt_order_handoff as orders
where orders.export_status in ('new', 'amended')
"""

# The OMS import file (docs/handoff.md): the columns in this order, one row per order line,
# the header fields repeated on each line. The lines of every order due are gathered once;
# each batch is then a range of order numbers.
LINES_SQL = """
create or replace temp table handoff_lines as
select
    due.order_number,
    due.record_type,
    due.handoff_id,
    due.version,
    due.channel,
    due.order_id as source_order_id,
    strftime(due.business_date, '%Y-%m-%d') as business_date,
    strftime(due.ordered_at, '%Y-%m-%dT%H:%M:%SZ') as ordered_at,
    due.customer_id,
    due.partner_id,
    due.currency,
    lines.line_number,
    lines.sku,
    lines.quantity,
    lines.unit_price,
    lines.discount_amount,
    lines.line_total,
    due.line_count,
    due.order_charges,
    due.order_total,
    strftime(due.requested_delivery_date, '%Y-%m-%d') as requested_delivery_date,
    due.ship_to_name,
    due.ship_to_address1,
    due.ship_to_city,
    due.ship_to_postal_code,
    due.ship_to_country,
    due.payment_method,
    due.content_hash
from handoff_due as due
inner join marts.order_staging_validated as lines
    on lines.channel = due.channel and lines.order_key = due.order_key
"""

BATCH_SQL = """
select * exclude (order_number)
from handoff_lines
where order_number between ? and ?
order by order_number, line_number
"""

RECORD_SQL = """
insert into raw.handoff_log (
    handoff_id, version, record_type, channel, order_id, business_date, content_hash,
    line_count, order_total, batch_file, target, run_id, exported_at
)
select
    handoff_id, version, record_type, channel, order_id, business_date, content_hash,
    line_count, order_total, ?, ?, ?, ?
from handoff_due
where order_number between ? and ?
"""


@dataclass
class Batch:
    """One batch file and what happened to it."""

    batch_file: str
    control_file: str
    orders: int
    amendments: int
    rows: int
    first_order: int
    last_order: int
    outcome: str = "pending"  # exported, would_export, not_exported
    sha256: str | None = None
    exported_at: datetime | None = None
    detail: str | None = None


@dataclass
class HandoffReport(OutboxReport):
    target: str = ""
    already_exported: int = 0
    batches: list[Batch] = field(default_factory=list)

    def count(self, outcome: str, what: str = "orders") -> int:
        return sum(getattr(batch, what) for batch in self.batches if batch.outcome == outcome)

    def to_dict(self) -> dict[str, object]:
        return super().to_dict() | {
            "target": self.target,
            "orders_exported": self.count("exported"),
            "amendments_exported": self.count("exported", "amendments"),
            "orders_not_exported": self.count("not_exported"),
            "orders_would_export": self.count("would_export"),
            "already_exported": self.already_exported,
            "batches": [asdict(batch) for batch in self.batches],
        }


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    con = open_database(
        db_path,
        must_exist=True,
        missing_hint="pass --db or set RECON_DB_PATH (land a drop, run `dbt build`, then hand off)",
        busy_hint="hand off when it has finished",
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
        raise ConfigError(f"{db_path} has no hand-off marts ({', '.join(absent)} missing): run `dbt build` first")
    # a database whose raw layer predates the log gets it here (the loader creates it too)
    con.execute(HANDOFF_LOG_DDL)
    return con


def batch_stamp(con: duckdb.DuckDBPyConnection, now: datetime) -> str:
    """The UTC time in the batch names: a second no earlier run's batch names carry, so no
    batch file of this run can overwrite one of an earlier run."""
    while True:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        taken = con.execute(
            "select count(*) from raw.handoff_log where starts_with(batch_file, ?)", [f"oms_import_{stamp}_"]
        ).fetchone()
        if not taken or not taken[0]:
            return stamp
        now += timedelta(seconds=1)


def plan_batches(con: duckdb.DuckDBPyConnection, stamp: str, batch_size: int) -> list[Batch]:
    """The batches of the orders due: batch_size orders each, in order_number order."""
    rows = con.execute(
        """
        select
            (order_number - 1) // ? + 1 as batch_number,
            count(*) as orders,
            count(*) filter (where record_type = 'AMENDMENT') as amendments,
            sum(line_count) as rows,
            min(order_number) as first_order,
            max(order_number) as last_order
        from handoff_due
        group by batch_number
        order by batch_number
        """,
        [batch_size],
    ).fetchall()
    batches = []
    for number, orders, amendments, line_rows, first, last in rows:
        stem = f"oms_import_{stamp}_{number:03d}"
        batches.append(
            Batch(
                batch_file=f"{stem}.csv",
                control_file=f"{stem}.ok",
                orders=int(orders),
                amendments=int(amendments),
                rows=int(line_rows),
                first_order=int(first),
                last_order=int(last),
            )
        )
    return batches


def write_batch(con: duckdb.DuckDBPyConnection, batch: Batch, path: Path) -> None:
    """The batch's CSV (COPY: the engine writes it) and its .ok beside it."""
    target = "'" + str(path).replace("'", "''") + "'"
    con.execute(
        f"copy ({BATCH_SQL}) to {target} (format csv, header true)",
        [batch.first_order, batch.last_order],
    )
    batch.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    control = {
        "format": f"oms_import/{FORMAT_VERSION}",
        "batch_file": batch.batch_file,
        "record_count": batch.rows,
        "order_count": batch.orders,
        "amendment_count": batch.amendments,
        "sha256": batch.sha256,
    }
    text = "".join(f"{key}={value}\n" for key, value in control.items())
    path.with_suffix(".ok").write_text(text, encoding="utf-8")


def export(
    db_path: Path,
    outbox: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    known_hosts: str | None = None,
    key_file: str | None = None,
    on_batch: Callable[[Batch, HandoffReport], None] | None = None,
) -> HandoffReport:
    """Export every order due into batches in the outbox; record the batches that arrived."""
    if batch_size < 1:
        raise ConfigError(f"--batch-size {batch_size}: a batch holds at least 1 order")
    # the target is configured before anything is read, so a bad URL stops the run whole
    target: Outbox = open_outbox(outbox, known_hosts=known_hosts, key_file=key_file)
    report = HandoffReport(database=str(db_path), run_id=uuid.uuid4().hex[:12], dry_run=dry_run, target=target.uri)
    con = connect(db_path)
    try:
        con.execute(DUE_SQL)
        exported = con.execute("select count(*) from marts.rpt_order_handoff where export_status = 'exported'")
        report.already_exported = int(exported.fetchone()[0])  # type: ignore[index]
        stamp = batch_stamp(con, datetime.now(UTC))
        report.batches = plan_batches(con, stamp, batch_size)
        if report.batches and not dry_run:
            con.execute(LINES_SQL)
        if dry_run:
            for batch in report.batches:
                batch.outcome = "would_export"
                if on_batch is not None:
                    on_batch(batch, report)
            return report
        with tempfile.TemporaryDirectory(prefix="recon-handoff-") as staging:
            for batch in report.batches:
                _deliver(con, batch, target, Path(staging), report)
                if on_batch is not None:
                    on_batch(batch, report)
        _record(con, report)
    except duckdb.Error as exc:
        raise EngineFailure(f"DuckDB failed: {first_line(exc)}") from exc
    finally:
        con.close()
        target.close()
    return report


def _deliver(
    con: duckdb.DuckDBPyConnection, batch: Batch, target: Outbox, staging: Path, report: HandoffReport
) -> None:
    if report.errors:  # the outbox failed on an earlier batch: the rest wait for the next run
        batch.outcome = "not_exported"
        batch.detail = "not attempted after the outbox failed"
        return
    csv_path = staging / batch.batch_file
    write_batch(con, batch, csv_path)
    try:
        # the .ok last: the OMS imports a batch once its .ok is there
        target.put(csv_path, batch.batch_file)
        target.put(csv_path.with_suffix(".ok"), batch.control_file)
    except OutboxError as exc:
        batch.outcome = "not_exported"
        batch.detail = str(exc)
        report.errors.append(str(exc))
        return
    finally:
        csv_path.unlink(missing_ok=True)
        csv_path.with_suffix(".ok").unlink(missing_ok=True)
    batch.outcome = "exported"
    batch.exported_at = datetime.now(UTC).replace(tzinfo=None)


def _record(con: duckdb.DuckDBPyConnection, report: HandoffReport) -> None:
    """One transaction: a row per order of every batch that reached the outbox."""
    delivered = [batch for batch in report.batches if batch.outcome == "exported"]
    if not delivered:
        return
    con.execute("begin transaction")
    try:
        for batch in delivered:
            con.execute(
                RECORD_SQL,
                [
                    batch.batch_file,
                    report.target,
                    report.run_id,
                    batch.exported_at,
                    batch.first_order,
                    batch.last_order,
                ],
            )
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


LABELS = {"exported": "exported", "would_export": "would write", "not_exported": "NOT EXPORTED"}


def format_line(batch: Batch, target: str) -> str:
    amended = f" ({batch.amendments} amended)" if batch.amendments else ""
    what = f"{plural(batch.orders, 'order')}{amended}, {plural(batch.rows, 'line')}"
    if batch.outcome == "not_exported":
        return f"{LABELS[batch.outcome]:<13}{batch.batch_file}  {what}: {batch.detail}"
    return f"{LABELS[batch.outcome]:<13}{batch.batch_file} + .ok  {what}, to {target}"


def total_line(report: HandoffReport) -> str:
    already = plural(report.already_exported, "order")
    if not report.batches:
        return f"nothing to export: {already} already exported, up to date; no file written"
    if report.dry_run:
        orders = report.count("would_export")
        amendments = report.count("would_export", "amendments")
        batches = plural(len(report.batches), "batch", "batches")
        return (
            f"total: {plural(orders, 'order')} would be exported ({amendments} amended) in {batches}, "
            f"{already} already exported; nothing written or recorded (dry run)"
        )
    done = [batch for batch in report.batches if batch.outcome == "exported"]
    pieces = [
        f"{plural(report.count('exported'), 'order')} exported ({report.count('exported', 'amendments')} amended) "
        f"in {plural(len(done), 'batch', 'batches')}",
        f"{already} already exported",
    ]
    if report.count("not_exported"):
        pieces.append(f"{plural(report.count('not_exported'), 'order')} not exported")
    return f"total: {', '.join(pieces)}; recorded in raw.handoff_log of {report.database}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recon_tools.handoff",
        description=__doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else None,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", help="DuckDB file (default: $RECON_DB_PATH, else data/recon.duckdb)")
    parser.add_argument(
        "--outbox", required=True, metavar="TARGET", help="the OMS import folder or sftp://user@host[:port]/path"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"orders per batch file (default {DEFAULT_BATCH_SIZE}; an order is never split)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be exported; write and record nothing")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def on_batch(batch: Batch, report: HandoffReport) -> None:
        if not args.json:
            print(format_line(batch, report.target), flush=True)

    try:
        report = export(
            db_path_from_env(args.db),
            args.outbox,
            batch_size=args.batch_size,
            dry_run=args.dry_run,
            known_hosts=args.known_hosts,
            key_file=args.key_file,
            on_batch=on_batch,
        )
    except ReconError as exc:
        return fail(exc, args.json)
    return report_outcome(report, total_line(report), as_json=args.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
