"""Exceptions whose messages a user can act on, for the loader and every tool of the project.

Each command line turns these into one-line messages and exit codes (``loaders.cli_support.fail``);
anything else is a bug and keeps its traceback.
"""


class ReconError(Exception):
    """Base class: an expected failure with a message that names the fix, and the exit code to end with."""

    exit_code = 2


# The loader's name for the base class, from before the tools shared it.
LoaderError = ReconError


class ConfigError(ReconError):
    """Bad invocation or configuration (path missing, bad URL, ...)."""

    exit_code = 2


class DatabaseMissingError(ConfigError):
    """A command that only reads found no database file at the path (nothing is created)."""

    exit_code = 2


class SourceError(ReconError):
    """The drop location could not be listed or read."""

    exit_code = 3


class DatabaseBusyError(ReconError):
    """Another process holds the DuckDB file: a writer, or (for a writer) a reader."""

    exit_code = 4


class EngineFailure(ReconError):
    """DuckDB failed for a reason that is not the file's content: memory, disk, an internal error.

    The file is not recorded as delivered (no manifest row), so the next run tries it again;
    within a run the load is retried first (``RECON_LOAD_ATTEMPTS``).
    """

    exit_code = 5


class FileRejected(ReconError):
    """One file cannot be landed; nothing of it is written.

    Raised per file and caught by the ingest loop, which records the rejection
    and goes on with the other files.
    """

    exit_code = 1


class FileNotReady(ReconError):
    """A file changed while it was read (still being written): skipped now, picked up next run."""

    exit_code = 0


def first_line(exc: BaseException) -> str:
    """An engine error's first line (DuckDB's messages go on with hints and the query), or its type."""
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__
