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
        """Every file under the root. Symbolic links are followed only to files inside the drop
        root: a link that leads out of it, or to nothing, is listed with its problem (and the
        run reports it unreadable); a link to a folder is not walked."""
        entries: list[DropEntry] = []
        root = self.root.resolve()
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            linked = [name for name in dirnames if (Path(dirpath) / name).is_symlink()]
            for name in linked:
                dirnames.remove(name)  # os.walk does not descend into them; say so
            for name in sorted(filenames + linked):
                path = Path(dirpath) / name
                rel = path.relative_to(self.root).as_posix()
                if path.is_symlink():
                    entry = _linked_entry(path, rel, root)
                    if entry:
                        entries.append(entry)
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue  # vanished between listing and stat: the next run sees it again
                if path.is_file():
                    entries.append(DropEntry(rel, stat.st_size, stat.st_mtime))
        return entries

    @contextmanager
    def fetch(self, entry: DropEntry) -> Iterator[Path]:
        yield self.root / entry.relpath

    def after_commit(self, entry: DropEntry) -> str | None:
        return None

    def close(self) -> None:
        return None


def _linked_entry(path: Path, rel: str, root: Path) -> DropEntry | None:
    """A symbolic link as an entry: read when it leads to a file inside the drop root."""
    target = path.resolve()
    if not target.is_relative_to(root):
        return DropEntry(rel, 0, 0.0, problem="a symbolic link that leads out of the drop is not followed")
    if not target.exists():
        return DropEntry(rel, 0, 0.0, problem="a symbolic link to nothing (its target is missing)")
    if target.is_dir():
        return DropEntry(rel, 0, 0.0, problem="a symbolic link to a folder is not followed")
    stat = target.stat()
    return DropEntry(rel, stat.st_size, stat.st_mtime)
