"""Land POS, OMS and reference files from a drop location into DuckDB's raw layer.

The loader only lands bytes and records what it did (file manifest, processing
log). Every business rule lives in the dbt project that reads the raw tables.
"""

__version__ = "0.1.0"
