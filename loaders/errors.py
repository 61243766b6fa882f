"""Exceptions whose messages a user can act on.

The CLI turns these into one-line messages and exit codes; anything else is a
bug and keeps its traceback.
"""


class LoaderError(Exception):
    """Base class: an expected failure with a message that names the fix."""

    exit_code = 2


class ConfigError(LoaderError):
    """Bad invocation or configuration (path missing, bad URL, ...)."""

    exit_code = 2


class SourceError(LoaderError):
    """The drop location could not be listed or read."""

    exit_code = 3


class DatabaseBusyError(LoaderError):
    """Another process holds the DuckDB write lock."""

    exit_code = 4


class EngineFailure(LoaderError):
    """DuckDB failed for a reason that is not the file's content: memory, disk, an internal error.

    The file is not recorded as delivered (no manifest row), so the next run tries it again;
    within a run the load is retried first (``RECON_LOAD_ATTEMPTS``).
    """

    exit_code = 5


class FileRejected(LoaderError):
    """One file cannot be landed; nothing of it is written.

    Raised per file and caught by the ingest loop, which records the rejection
    and goes on with the other files.
    """

    exit_code = 1


class FileNotReady(LoaderError):
    """A file changed while it was read (still being written): skipped now, picked up next run."""

    exit_code = 0
