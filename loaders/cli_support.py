"""The one error path of the project's command lines (the loader, the report, bi, sql, summary, demo)."""

from __future__ import annotations

import json
import sys

from loaders.errors import ReconError


def fail(exc: ReconError, as_json: bool = False) -> int:
    """Report an expected failure and return its exit code.

    With ``as_json``, one JSON document on stdout (``{"ok": false, "error": ..., "exit_code": ...}``)
    for schedulers; otherwise one ``error: ...`` line on stderr.
    """
    if as_json:
        print(json.dumps({"ok": False, "error": str(exc), "exit_code": exc.exit_code}))
    else:
        print(f"error: {exc}", file=sys.stderr)
    return exc.exit_code
