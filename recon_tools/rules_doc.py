"""Render the rule catalogue (seeds/order_validation_rules.csv) as a dbt docs block.

The docs site then explains every rule on the seed's page. The seed stays the one
place a rule is defined: this file is generated from it (``make docs`` runs this),
and a test fails when the committed block no longer matches the seed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from loaders.database import PROJECT_ROOT

SEED = PROJECT_ROOT / "seeds" / "order_validation_rules.csv"
DOCS = PROJECT_ROOT / "seeds" / "_rules__docs.md"


def render(seed: Path = SEED) -> str:
    with seed.open(newline="") as handle:
        rules = list(csv.DictReader(handle))
    lines = [
        "{% docs rule_catalogue %}",
        f"The {len(rules)} validation rules, as `seeds/order_validation_rules.csv` sets them (generated from",
        "the seed by `python -m recon_tools.rules_doc`). Edit the seed, not this table.",
        "",
        "| rule | checks | category | severity | enabled | threshold | needs snapshot | what it checks | interface |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        cells = [
            f"`{rule['rule_id']}`",
            f"{rule['source_system']} {rule['field_name']}".strip(),
            rule["category"],
            rule["severity"],
            rule["is_enabled"],
            rule["threshold"],
            rule["needs_snapshot"],
            rule["description"],
            rule["contract_reference"],
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines.append("{% enddocs %}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recon_tools.rules_doc", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed docs block is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOCS.exists() or DOCS.read_text() != text:
            print(f"{DOCS} is out of date: run python -m recon_tools.rules_doc", file=sys.stderr)
            return 1
        return 0
    DOCS.write_text(text)
    print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
