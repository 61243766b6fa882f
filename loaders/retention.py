"""Retention: remove raw rows older than the retention period, keep every result.

What goes: the raw rows of POS and OMS files whose business date is before the
cutoff, and of reference snapshots superseded before it. What stays: review decisions,
whatever their age (each is the only record of what a person decided), the file
manifest (each purged delivery is marked ``purged_at``), the processing log,
and everything dbt built from those rows (reconciliation results, error
history, audit trail): the incremental models treat purged dates as final until
a new version of a purged date's POS file reopens the date, and a
``dbt build --full-refresh`` refuses to drop them unless told to (see the
README's Retention section).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from loaders import manifest, parquet_landing
from loaders.contract import FILE_KINDS, REFERENCE_KINDS
from loaders.database import ensure_raw_layer, open_database
from loaders.errors import ConfigError

DEFAULT_RETENTION_DAYS = 90


@dataclass
class PurgeReport:
    cutoff: date
    dry_run: bool
    files: list[dict[str, object]] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    parquet_removed: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "cutoff": self.cutoff.isoformat(), "rows": self.rows}


def retention_days(explicit: int | None) -> int:
    """The retention period: an explicit value, else RECON_RETENTION_DAYS, else 90 days."""
    if explicit is not None:
        value = explicit
    else:
        raw = os.environ.get("RECON_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"RECON_RETENTION_DAYS='{raw}' is not a whole number of days") from None
    if value < 1:
        raise ConfigError(f"the retention period must be at least 1 day (got {value})")
    return value


def purge(db_path: Path, cutoff: date, *, dry_run: bool = False, parquet_dir: Path | None = None) -> PurgeReport:
    """Delete the raw rows of deliveries older than ``cutoff``, in one transaction; with
    parquet_dir, then remove their Parquet files (loaders/parquet_landing.py)."""
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    con = open_database(db_path, must_exist=True, missing_hint="nothing to purge (set RECON_DB_PATH or --db)")
    try:
        ensure_raw_layer(con)
        candidates = con.execute(
            """
            with versions as (
                select
                    *,
                    row_number() over (
                        partition by file_name, status = 'loaded' order by version desc
                    ) as rank_in_status
                from raw.file_manifest
            )
            select load_id, file_name, file_kind, business_date, version, row_count
            from versions
            where status = 'loaded' and purged_at is null
                and (
                    (file_kind in ('pos_orders', 'oms_orders') and business_date < ?)
                    or (
                        file_kind in (select unnest(?::varchar[]))
                        and rank_in_status > 1 and loaded_at < ?
                    )
                )
            order by file_kind, file_name, version
            """,
            [cutoff, sorted(REFERENCE_KINDS), datetime.combine(cutoff, datetime.min.time())],
        ).fetchall()
        report.files = [
            {"load_id": r[0], "file": r[1], "kind": r[2], "business_date": r[3] and r[3].isoformat(), "version": r[4]}
            for r in candidates
        ]
        load_ids = [r[0] for r in candidates]
        if not load_ids:
            return report
        con.begin()
        for kind in FILE_KINDS:
            ids = [r[0] for r in candidates if r[2] == kind.name]
            if not ids:
                continue
            table = f"raw.{kind.raw_table}"
            count = con.execute(
                f"select count(*) from {table} where _load_id in (select unnest(?::bigint[]))",  # noqa: S608 - table name is a contract constant
                [ids],
            ).fetchone()[0]
            report.rows_by_table[table] = count
            if not dry_run:
                con.execute(f"delete from {table} where _load_id in (select unnest(?::bigint[]))", [ids])  # noqa: S608 - table name is a contract constant
        if dry_run:
            con.rollback()
            return report
        con.execute(
            "update raw.file_manifest set purged_at = ? where load_id in (select unnest(?::bigint[]))",
            [datetime.now(UTC).replace(tzinfo=None), load_ids],
        )
        manifest.log_event(
            con,
            manifest.new_run_id(),
            "purged",
            row_count=report.rows,
            detail=f"{len(load_ids)} deliveries before {cutoff.isoformat()}: "
            + ", ".join(f"{table} {rows}" for table, rows in sorted(report.rows_by_table.items())),
        )
        con.commit()
        # Give the space back: DuckDB reuses freed blocks, a checkpoint makes them free now.
        con.execute("checkpoint")
        if parquet_dir is not None:
            report.parquet_removed = parquet_landing.sync(con, parquet_dir).removed
    finally:
        con.close()
    return report


def cutoff_for(days: int, today: date | None = None) -> date:
    return (today or datetime.now(UTC).date()) - timedelta(days=days)
