"""Drop locations the loader can read: a local directory today, SFTP beside it.

A source lists the files under its root and hands each one over as a local
path. Everything after that (hashing, manifest, CSV load) is the same for
every source, so a new transport (SFTP, REST, ...) only implements
:class:`~loaders.sources.base.DropSource`.
"""

from __future__ import annotations

from loaders.errors import ConfigError
from loaders.sources.base import DropEntry, DropSource
from loaders.sources.local import LocalSource

__all__ = ["DropEntry", "DropSource", "LocalSource", "open_source"]


def open_source(location: str, **options: object) -> DropSource:
    """Pick the source for a ``--from`` value: ``sftp://...`` or a local directory."""
    if location.startswith("sftp://"):
        try:
            from loaders.sources.sftp import SftpSource
        except ImportError as exc:  # pragma: no cover - only without the SFTP module
            raise ConfigError("SFTP support is not available in this installation") from exc
        return SftpSource.from_url(location, **options)
    if "://" in location:
        raise ConfigError(f"unsupported drop location '{location}': use a directory path or sftp://user@host/path")
    return LocalSource(location)
