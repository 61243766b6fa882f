"""Documentation and primary-key test coverage of the dbt project, from its artifacts.

Reads ``target/manifest.json`` and ``target/catalog.json`` (written by ``dbt docs
generate``) and checks that every model, source, seed, macro, generic test and
column has a description, and that every model has a primary-key test (``primary_key``,
or ``unique`` and ``not_null`` on one column, or ``unique_combination_of_columns``). The catalog
lists the columns the relations really have, so a column added to SQL but not to
YAML counts as undocumented. Prints the figures and the gaps; exits 1 below 100%.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from loaders.database import PROJECT_ROOT

PROJECT = "order_recon"


@dataclass
class Coverage:
    documented: int = 0
    total: int = 0
    gaps: list[str] = field(default_factory=list)

    def count(self, ok: bool, what: str) -> None:
        self.total += 1
        if ok:
            self.documented += 1
        else:
            self.gaps.append(what)

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.documented / self.total


def _described(node: dict) -> bool:
    return bool((node.get("description") or "").strip())


def measure(manifest: dict, catalog: dict) -> dict[str, Coverage]:
    """Coverage per kind: models, sources, seeds, macros, generic tests, columns, primary keys."""
    result = {name: Coverage() for name in ("models", "sources", "seeds", "macros", "columns", "primary keys")}
    catalog_nodes = {**catalog.get("nodes", {}), **catalog.get("sources", {})}

    def check_columns(unique_id: str, declared: dict) -> None:
        actual = catalog_nodes.get(unique_id, {}).get("columns", {})
        names = {name.lower() for name in actual} or {name.lower() for name in declared}
        described = {name.lower() for name, col in declared.items() if _described(col)}
        for name in sorted(names):
            result["columns"].count(name in described, f"column {unique_id}.{name}")

    for unique_id, node in manifest["nodes"].items():
        if node.get("package_name") != PROJECT:
            continue
        kind = node["resource_type"]
        if kind == "model":
            result["models"].count(_described(node), f"model {node['name']}")
            check_columns(unique_id, node.get("columns", {}))
        elif kind == "seed":
            result["seeds"].count(_described(node), f"seed {node['name']}")
            check_columns(unique_id, node.get("columns", {}))
    for unique_id, source in manifest["sources"].items():
        if source.get("package_name") != PROJECT:
            continue
        result["sources"].count(_described(source), f"source {source['source_name']}.{source['name']}")
        check_columns(unique_id, source.get("columns", {}))
    for macro in manifest["macros"].values():
        if macro.get("package_name") != PROJECT:
            continue
        label = "generic test" if macro["name"].startswith("test_") else "macro"
        result["macros"].count(_described(macro), f"{label} {macro['name']}")

    keys: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        test_name = node["test_metadata"]["name"]
        attached = node.get("attached_node")
        if not attached:
            continue
        column = (node.get("column_name") or "").lower()
        if test_name in ("unique", "not_null", "primary_key") and column:
            keys.setdefault(attached, set()).add(f"{test_name}:{column}")
        elif test_name == "unique_combination_of_columns":
            keys.setdefault(attached, set()).add("combination")
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node.get("package_name") != PROJECT:
            continue
        found = keys.get(unique_id, set())
        columns = {entry.split(":", 1)[1] for entry in found if ":" in entry}
        has_key = "combination" in found or any(
            f"primary_key:{column}" in found or (f"unique:{column}" in found and f"not_null:{column}" in found)
            for column in columns
        )
        result["primary keys"].count(has_key, f"model {node['name']} has no primary-key test")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recon_tools.docs_coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, default=PROJECT_ROOT / "target", help="dbt target directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads((args.target / "manifest.json").read_text())
        catalog = json.loads((args.target / "catalog.json").read_text())
    except FileNotFoundError as exc:
        print(f"error: {exc.filename} not found: run `dbt docs generate` first (make docs)", file=sys.stderr)
        return 2
    result = measure(manifest, catalog)
    complete = all(cov.documented == cov.total for cov in result.values())
    if args.json:
        figures = {name: {"covered": c.documented, "total": c.total, "gaps": c.gaps} for name, c in result.items()}
        print(json.dumps(figures))
    else:
        for name, cov in result.items():
            print(f"{name:<13} {cov.documented:>4}/{cov.total:<4} {cov.percent:6.1f}%")
        for cov in result.values():
            for gap in cov.gaps:
                print(f"  missing: {gap}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
