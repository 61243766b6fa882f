"""A dbt-duckdb plugin (profiles.yml) that checks the database file before dbt opens it.

DuckDB lets one process write a file, and no writer in while another process reads it.
dbt-duckdb reports a held file with a Python traceback; this plugin tries the file first
and stops the run with one message that names the holder and what to do. It also stops a
command that reads the project's data when the file does not exist, instead of letting
DuckDB create an empty database there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.flags import get_flags
from dbt_common.exceptions import DbtRuntimeError

from loaders.database import open_database
from loaders.errors import ReconError

# dbt commands that read the project's data: they need a database the loader made. Opening a
# missing file would create an empty one silently (parse, compile and the SQL linter may).
DATA_COMMANDS = {"build", "run", "test", "show", "seed", "snapshot", "retry", "source", "docs", "clone"}


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        path = str(creds.path)
        if path == ":memory:":
            return
        if not Path(path).exists():
            if getattr(get_flags(), "WHICH", None) in DATA_COMMANDS:
                raise DbtRuntimeError(
                    f"No database at {path}, and nothing was created. Land a drop first "
                    "(`python -m loaders ingest --from DIR`), or run `make demo`; the path comes from "
                    "RECON_DB_PATH (default data/recon.duckdb)."
                )
            return
        # The loader's own way in: a held file names its holder, a file named like a schema or
        # a memory limit DuckDB cannot read is refused with the same message as the loader's.
        try:
            open_database(Path(path)).close()
        except ReconError as exc:
            raise DbtRuntimeError(str(exc)) from None
