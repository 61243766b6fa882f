"""The documentation site: complete coverage, comments in DuckDB, and the pages a person opens."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import CHROMIUM_FLAGS, FIXTURES, PROJECT_ROOT, query

from recon_tools.docs_coverage import measure

pytestmark = pytest.mark.dbt

CHROMIUM = shutil.which("chromium")
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
FLAGS = ["--headless", *CHROMIUM_FLAGS, "--hide-scrollbars", "--virtual-time-budget=15000"]


@pytest.fixture(scope="module")
def docs(tmp_path_factory, dbt_dirs):
    """A database built from the example drop, and the static docs site generated from it."""
    from conftest import _run_dbt

    from loaders.cli import main as loader_main

    base = tmp_path_factory.mktemp("docs")
    db = dbt_dirs["db"]
    db.unlink(missing_ok=True)
    assert loader_main(["ingest", "--from", str(FIXTURES / "drops" / "contract_example"), "--db", str(db), "-q"]) == 0
    assert _run_dbt(db, ("build",), PROJECT_ROOT, dbt_dirs).returncode == 0
    target = base / "target"
    generated = _run_dbt(db, ("docs", "generate", "--static"), PROJECT_ROOT, {**dbt_dirs, "target": target})
    assert generated.returncode == 0, generated.stdout[-3000:]
    kept = base / "recon.duckdb"
    shutil.move(db, kept)
    return {"db": kept, "target": target}


def test_every_node_column_macro_and_test_is_documented_and_every_model_has_a_key(docs):
    manifest = json.loads((docs["target"] / "manifest.json").read_text())
    catalog = json.loads((docs["target"] / "catalog.json").read_text())
    coverage = measure(manifest, catalog)
    gaps = {name: cov.gaps for name, cov in coverage.items() if cov.gaps}
    assert gaps == {}
    assert coverage["columns"].total > 500 and coverage["primary keys"].total == coverage["models"].total


def test_marts_are_public_with_contracts_and_the_rest_is_not(docs):
    manifest = json.loads((docs["target"] / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for node in models:
        in_marts = node["schema"] == "marts"
        assert (node["access"] == "public") == in_marts, node["name"]
        if in_marts:
            assert node["config"]["contract"]["enforced"], node["name"]
    exposures = {e["name"]: e["depends_on"]["nodes"] for e in manifest["exposures"].values()}
    assert set(exposures) == {"reconciliation_dashboard", "operations_missing_orders", "monitoring_view"}
    assert "model.order_recon.fct_order_reconciliation" in exposures["operations_missing_orders"]


def test_descriptions_reach_duckdb_as_comments_for_bi_tools(docs):
    (table_comment,) = query(
        docs["db"],
        "select comment from duckdb_views() where schema_name = 'marts' and view_name = 'fct_order_reconciliation'",
    )[0]
    assert "One row per POS order" in table_comment
    (column_comment,) = query(
        docs["db"],
        "select comment from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'fct_order_reconciliation' and column_name = 'recon_status'",
    )[0]
    assert "missing_in_oms" in column_comment


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as handle:
        header = handle.read(24)
    return struct.unpack(">II", header[16:24])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-deps installs it)")
def test_the_mart_page_and_its_lineage_open_in_a_browser(docs, tmp_path):
    site = docs["target"] / "static_index.html"
    page = site.as_uri() + "#!/model/model.order_recon.fct_order_reconciliation"
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "fct_order_reconciliation" in dom.stdout
    assert "One row per POS order" in dom.stdout  # the model's description, rendered
    assert "int_pos_orders" in dom.stdout and "int_oms_pos_orders" in dom.stdout  # what it depends on
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "docs_fct_order_reconciliation.png": page,
        "docs_lineage_fct_order_reconciliation.png": page + "?g_v=1&g_i=%2Bfct_order_reconciliation%2B",
    }
    for name, url in shots.items():
        shot = SCREENSHOTS / name
        shot.unlink(missing_ok=True)
        result = subprocess.run(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={tmp_path / name}",
                "--window-size=1400,1000",
                f"--screenshot={shot}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert shot.stat().st_size > 30_000
        assert png_size(shot) == (1400, 1000)


def test_the_rule_catalogue_page_matches_the_seed(docs):
    from recon_tools import rules_doc

    assert rules_doc.main(["--check"]) == 0, "run python -m recon_tools.rules_doc"
    manifest = json.loads((docs["target"] / "manifest.json").read_text())
    seed = manifest["nodes"]["seed.order_recon.order_validation_rules"]
    for rule_id in ("pos_order_total_arithmetic", "pos_credit_limit", "file_ignored"):
        assert f"`{rule_id}`" in seed["description"]
