"""Tools around the pipeline.

- ``generate_drop``: writes realistic drops for the demo, the tests and the benchmark;
- ``summary``: the per-date summary ``make demo`` prints;
- ``report``: the operations report (missing orders CSV and a one-page HTML report);
- ``bi``: the read-only database BI tools connect to, over the marts' Parquet export.
"""
