# Two commands take a fresh clone to a result: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

DEMO_DROP ?= demo/drop
DEMO_OUTBOX ?= demo/outbox
# One database for everything: the demo builds into it too (a database holding deliveries
# from another drop is never replaced: make demo stops and says so).
DB ?= $(or $(RECON_DB_PATH),data/recon.duckdb)
DASHBOARD_PORT ?= 8501
# Where make notify delivers: a folder or sftp://user@host[:port]/path (recon_tools/notify.py).
OUTBOX ?= data/outbox
# Where make handoff writes the OMS import batches: a folder or sftp://user@host[:port]/path (docs/handoff.md).
HANDOFF_OUTBOX ?= data/oms_import

.PHONY: help setup setup-spark test-spark system-deps demo demo-next-day build test lint format docs docs-serve report notify acknowledge handoff bi dashboard clean bench bench-sftp

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c "import dbt.version, duckdb, paramiko" || { echo "setup failed: see pip's messages above"; exit 1; }
	@touch $(STAMP)

setup: $(STAMP) ## create ./.venv and install the project (idempotent)
	@echo "ready: source $(BIN)/activate"

setup-spark: setup ## also install the Spark target (dbt-spark, PySpark; Java 17 must be on the machine)
	@command -v java >/dev/null || { echo "setup-spark: Spark needs Java 17 (Debian: apt-get install -y openjdk-17-jre-headless)"; exit 1; }
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,spark]" 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c "import pyspark, dbt.adapters.spark" || { echo "setup-spark failed: see pip's messages above"; exit 1; }

test-spark: setup-spark ## build generated drops in two batches with DuckDB and with Spark, compare every model but the bookkeeping
	$(BIN)/python tests/spark/compare_engines.py --work data/spark-compare

system-deps: ## install OpenSSH server and Chromium for the tests when missing (needs root and apt)
	@bash scripts/ensure-system-packages.sh

# The demo's daily job: land the drop, build, send the notifications due and the EDI partners'
# 997 acknowledgements, hand the validated channel orders to the OMS, print the summary.
define demo_daily_job
	RECON_DB_PATH=$(DB) $(BIN)/python -m loaders ingest --from $(DEMO_DROP)
	RECON_DB_PATH=$(DB) $(BIN)/dbt build --quiet --warn-error-options '{"error": []}'
	$(BIN)/python -m recon_tools.notify --db $(DB) --outbox $(DEMO_OUTBOX)
	$(BIN)/python -m recon_tools.acknowledge --db $(DB) --outbox $(DEMO_OUTBOX)/edi_997
	$(BIN)/python -m recon_tools.handoff --db $(DB) --outbox $(DEMO_OUTBOX)/oms_import
	@echo
	@RECON_DB_PATH=$(DB) $(BIN)/python -m recon_tools.summary
endef

# The demo: a drop with an incident (one store's registers on the day before: escalated), a
# first build, a reviewer's decision on one of its items, then the daily job, which applies
# the decision and sends the notifications.
demo: setup ## generate a demo drop, ingest it, build, decide one review item, notify, print the summary
	$(BIN)/python -m recon_tools.demo prepare --db $(DB) --drop $(DEMO_DROP) --outbox $(DEMO_OUTBOX)
	$(BIN)/python -m recon_tools.generate_drop --out $(DEMO_DROP) --days 5 --orders 300 --incident
	RECON_DB_PATH=$(DB) $(BIN)/python -m loaders ingest --from $(DEMO_DROP) --quiet
	RECON_DB_PATH=$(DB) $(BIN)/dbt build --quiet --warn-error-options '{"error": []}'
	$(BIN)/python -m recon_tools.demo decide --db $(DB)
	$(demo_daily_job)

demo-next-day: setup ## add the next business date to the demo drop, ingest it, build, print the summary
	$(BIN)/python -m recon_tools.generate_drop --out $(DEMO_DROP) --next-day
	$(demo_daily_job)

build: setup ## dbt build against $$RECON_DB_PATH (default data/recon.duckdb)
	RECON_DB_PATH=$(DB) $(BIN)/dbt build

lint: setup ## ruff (lint + format check) and sqlfluff, zero findings
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	RECON_DB_PATH=$${RECON_DB_PATH:-$$(mktemp -d)/lint.duckdb} $(BIN)/sqlfluff lint models tests macros --disable-progress-bar --nocolor

format: setup ## apply ruff format and sqlfluff fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	RECON_DB_PATH=$${RECON_DB_PATH:-$$(mktemp -d)/lint.duckdb} $(BIN)/sqlfluff fix models tests macros --disable-progress-bar

test: setup system-deps lint ## lint, then the loader and pipeline tests (pytest, dbt build on fixture drops)
	$(BIN)/python -m pytest

docs: setup ## build the self-contained docs site (target/static_index.html) and measure its coverage
	$(BIN)/python -m recon_tools.rules_doc
	RECON_DB_PATH=$(DB) $(BIN)/dbt docs generate --static
	$(BIN)/python -m recon_tools.docs_coverage
	@echo "docs: open target/static_index.html (or: make docs-serve)"

docs-serve: docs ## serve the docs site on http://localhost:8080
	RECON_DB_PATH=$(DB) $(BIN)/dbt docs serve --port 8080 --no-browser

report: setup ## write the operations report (HTML + missing-orders CSV) for the latest date into reports/
	$(BIN)/python -m recon_tools.report --db $(DB) $(REPORT_ARGS)

notify: setup ## send the notifications due (findings to sources, missing orders to the OMS team) to $$OUTBOX (data/outbox)
	$(BIN)/python -m recon_tools.notify --db $(DB) --outbox $(OUTBOX) $(NOTIFY_ARGS)

acknowledge: setup ## send the EDI partners the 997 acknowledgements not yet sent to $$OUTBOX (data/outbox)
	$(BIN)/python -m recon_tools.acknowledge --db $(DB) --outbox $(OUTBOX) $(ACK_ARGS)

handoff: setup ## export the validated channel orders not yet handed off (new or corrected) to $$HANDOFF_OUTBOX (data/oms_import)
	$(BIN)/python -m recon_tools.handoff --db $(DB) --outbox $(HANDOFF_OUTBOX) $(HANDOFF_ARGS)

bi: setup ## set up data/bi.duckdb, the read-only database for BI tools
	$(BIN)/python -m recon_tools.bi init --db $(DB)

dashboard: setup ## serve the dashboard on http://localhost:8501 (reads data/bi.duckdb; made by make bi when missing)
	@test -f data/bi.duckdb || $(BIN)/python -m recon_tools.bi init --db $(DB) --quiet
	@echo "dashboard: open http://localhost:$(DASHBOARD_PORT) (Ctrl-C stops it)"
	$(BIN)/streamlit run dashboard/app.py --server.headless true --server.port $(DASHBOARD_PORT) \
		--browser.gatherUsageStats false --client.toolbarMode viewer

bench: setup ## time the project against DuckDB alone, datacompy and pandas, rewrite bench/README.md (BENCH_ARGS="--orders 1000000")
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[bench]" 2>&1 | grep -v '^WARNING: Location' || true
	@# bench/README.md is rewritten from bench/results/ after every run, also after a failed one (the run's exit code is kept).
	$(BIN)/python bench/bench.py $(BENCH_ARGS); status=$$?; $(BIN)/python bench/bench.py report; exit $$status

bench-sftp: setup system-deps ## download a 300 MB file through the loader and OpenSSH's sftp, print both speeds
	$(BIN)/python bench/bench_sftp.py --size-mb 300

clean: ## remove build output and the demo drop (keeps the database)
	rm -rf target logs $(DEMO_DROP) test-output
