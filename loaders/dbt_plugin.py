"""A dbt-duckdb plugin (profiles.yml) that checks the database file before dbt opens it.

DuckDB lets one process write a file, and no writer in while another process reads it.
dbt-duckdb reports a held file with a Python traceback; this plugin tries the file first
and stops the run with one message that names the holder and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

from loaders.database import lock_message


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        path = str(creds.path)
        if path == ":memory:" or not Path(path).exists():
            return
        try:
            duckdb.connect(path).close()
        except duckdb.IOException as exc:
            message = lock_message(Path(path), exc)
            if message:
                raise DbtRuntimeError(message) from None
            raise
