"""What the loader shows on a terminal while it lands a large file.

A file of 10M orders takes about half a minute to hash, read and land; without a sign of
life the loader looks stuck. FileProgress keeps one line on stderr for the file at work:
its name, the step, how far DuckDB is through the running statement, and the seconds so
far. A thread redraws it; the line is cleared at the end, so the CLI's line for the file
replaces it, as the download bar's does.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO

import duckdb

SHOW_AFTER = 1.0  # seconds a file takes before its line appears: small files stay silent
REDRAW_EVERY = 0.2  # seconds


def fit_label(label: str, width: int = 40) -> str:
    """A file name cut from the left to fit a progress line."""
    return label if len(label) <= width else "..." + label[-(width - 3) :]


def clear_line(stream: IO[str]) -> None:
    """Erase the progress line, so the next line printed takes its place."""
    stream.write("\r\x1b[K")
    stream.flush()


def track_statements(con: duckdb.DuckDBPyConnection) -> None:
    """Have DuckDB count its progress through each statement, for query_progress(), without
    printing its own bar (which would go to stdout, among the CLI's lines)."""
    con.execute("set enable_progress_bar = true")
    con.execute("set enable_progress_bar_print = false")


class FileProgress:
    """One file's progress line, drawn only when ``enabled`` and the file takes longer than
    ``after`` seconds. ``step`` names what runs now; a step of DuckDB's shows the running
    statement's share (``con.query_progress()``), the hashing step the share of bytes read."""

    def __init__(
        self,
        label: str,
        con: duckdb.DuckDBPyConnection,
        *,
        enabled: bool,
        stream: IO[str] | None = None,
        after: float | None = None,
        interval: float | None = None,
    ) -> None:
        self.label = fit_label(label)
        self.con = con
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.after = SHOW_AFTER if after is None else after
        self.interval = REDRAW_EVERY if interval is None else interval
        self._step = ""
        self._bytes_share: float | None = None
        self._started = 0.0
        self._drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, name: str) -> None:
        self._step = name
        self._bytes_share = None

    def advance(self, done: int, total: int) -> None:
        """Bytes done of a step the loader runs itself (hashing)."""
        self._bytes_share = done / total if total else 1.0

    def __enter__(self) -> FileProgress:
        if self.enabled:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="file-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        if self._drawn:
            clear_line(self.stream)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            seconds = time.monotonic() - self._started
            if seconds < self.after:
                continue
            share = self._bytes_share
            if share is None:
                try:
                    duckdb_share = self.con.query_progress()  # -1 when no statement reports progress
                except duckdb.Error:
                    duckdb_share = -1
                share = duckdb_share / 100 if duckdb_share >= 0 else None
            # DuckDB reports 100% once it has read a statement's input, while the insert may
            # still be writing, and 0% for a commit: such a step shows its seconds only.
            done = f" {share:4.0%}" if share is not None and 0 < share <= 0.99 else ""
            self.stream.write(f"\r{self.label}  {self._step}{done}  {seconds:.0f} s\x1b[K")
            self.stream.flush()
            self._drawn = True
