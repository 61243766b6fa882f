"""Numbers the loader takes from the environment (timeouts, attempts, backoff)."""

from __future__ import annotations

import os

from loaders.errors import ConfigError


def env_number(name: str, default: float, *, minimum: float) -> float:
    """The variable's value as a number, else default; a value that is no number, or below
    minimum, is a configuration error naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw}")
    return value
