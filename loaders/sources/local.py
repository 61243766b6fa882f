"""A drop location on the local file system (demos, tests, mounted shares)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loaders.errors import SourceError
from loaders.sources.base import DropEntry


class LocalSource:
    """Reads files in place: nothing is copied."""

    trust_size_and_mtime = False

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.uri = str(self.root)
        if not self.root.is_dir():
            raise SourceError(f"drop location '{self.root}' is not a directory: check the --from path")

    def list_entries(self) -> list[DropEntry]:
        entries: list[DropEntry] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except OSError:
                    continue  # vanished between listing and stat: the next run sees it again
                if not path.is_file():
                    continue
                rel = path.relative_to(self.root).as_posix()
                entries.append(DropEntry(rel, stat.st_size, stat.st_mtime))
        return entries

    @contextmanager
    def fetch(self, entry: DropEntry) -> Iterator[Path]:
        yield self.root / entry.relpath

    def after_commit(self, entry: DropEntry) -> str | None:
        return None

    def close(self) -> None:
        return None
