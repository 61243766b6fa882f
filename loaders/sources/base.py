"""The interface every drop location implements."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class DropEntry:
    """One file under the drop root, as listed (before any byte is read)."""

    relpath: str  # POSIX path relative to the drop root, e.g. "pos/pos_orders_20261120.csv"
    size: int
    mtime: float  # seconds since the epoch
    problem: str | None = None  # why the file cannot be read (e.g. a link out of the drop); never fetched then


class DropSource(Protocol):
    """A drop location.

    ``uri`` is printed and recorded in the manifest, so it never holds a secret.
    ``trust_size_and_mtime`` lets the ingest skip a file whose name, size and
    mtime equal its last recorded delivery without fetching it: worth it where
    fetching costs a download, not where hashing a local file is cheap.
    """

    uri: str
    trust_size_and_mtime: bool

    def list_entries(self) -> list[DropEntry]:
        """Every file under the root, partial and unknown names included (discovery classifies them)."""
        ...

    def fetch(self, entry: DropEntry) -> AbstractContextManager[Path]:
        """Yield a local path holding the file's complete bytes; clean up temporary copies on exit."""
        ...

    def after_commit(self, entry: DropEntry) -> str | None:
        """Called once a file's load has committed (e.g. archive it). Returns a note to print, or None."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
