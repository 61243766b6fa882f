"""The benchmark (make bench): bad arguments stop it before it generates anything, a small run
prints every phase and agrees with the marts, and bench/README.md's table is that run's results
file rendered. Its figures are read, not asserted."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_cli", PROJECT_ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--orders", "0"], "--orders, --days and --rounds must be >= 1"),
        (["--incremental-days", "-1"], "--incremental-days >= 0"),
        (["--memory-limit", "4XB"], "--memory-limit '4XB' is not a size DuckDB takes"),
        (["--web-orders", "-1"], "--web-orders, --edi-orders, --api-orders and --manual-orders must be >= 0"),
    ],
)
def test_bad_arguments_stop_the_bench_before_it_generates(bench, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        bench.main([*args, "--skip-peers", "--keep", str(tmp_path / "work")])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "work").exists()


@pytest.fixture(scope="module")
def small_run(bench, tmp_path_factory) -> tuple[str, Path]:
    """One small run (300 orders and the demo's channel mix, about 20 s) for the tests below: its printed
    output and its results file."""
    root = tmp_path_factory.mktemp("bench")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = bench.main(
            [
                *("--orders", "300", "--web-orders", "30", "--edi-orders", "15", "--skip-peers"),
                *("--keep", str(root / "work"), "--results-dir", str(root / "results")),
            ]
        )
    assert code == 0, out.getvalue()[-3000:]
    (results,) = (root / "results").glob("*.json")
    return out.getvalue(), results


def test_a_small_bench_prints_every_phase_and_agrees_with_the_marts(small_run):
    out, results = small_run
    for phase in ("floor", "project: ingest", "project: build", "project: total", "project/floor"):
        assert f"\n{phase} " in out, phase
    assert "POS orders: marts 300, floor 300 ✓" in out
    figures = json.loads(results.read_text())
    assert figures["failures"] == []
    assert figures["input"]["pos_rows"] > 300
    channels = figures["input"]["channels"]
    assert {name: c["orders"] for name, c in channels.items()} == {"WEB": 30, "EDI": 15, "API": 5, "MANUAL": 2}
    assert channels["EDI"]["rows"] > 15 * 10 and channels["EDI"]["files"] == 3
    assert "channels: WEB 30 orders (30 raw rows, 1 file); EDI 15 orders" in out
    assert figures["phases"]["project: total"]["seconds"] >= figures["phases"]["project: build"]["seconds"] > 0


def test_show_prints_the_run_again_from_its_results_file(bench, small_run, capsys):
    out, results = small_run
    assert bench.main(["show", str(results)]) == 0
    shown = capsys.readouterr().out
    # The tables the run printed, from the table's header to the daily runs' summary, line for line.
    start, end = out.index("\nphase "), out.index("\nresults: ")
    for line in out[start:end].splitlines():
        assert line in shown.splitlines(), line


def test_the_bench_readme_is_rendered_from_the_results_file(bench, small_run, tmp_path, capsys):
    _, results = small_run
    readme = tmp_path / "README.md"
    assert bench.main(["report", "--results-dir", str(results.parent), "--out", str(readme)]) == 0
    assert "from 1 results file(s)" in capsys.readouterr().out
    text = readme.read_text()
    figures = json.loads(results.read_text())
    phases = figures["phases"]
    (row,) = [line for line in text.splitlines() if line.startswith("| 300 orders x 1 day |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    floor, total = phases["floor"], phases["project: total"]
    assert cells[1] == f"{floor['seconds']:,.1f} s (CPU {floor['cpu_seconds']:,.1f} s)"
    assert cells[2] == f"{phases['project: ingest']['seconds']:,.1f} s"
    assert cells[3] == f"{phases['project: build']['seconds']:,.1f} s"
    assert cells[4] == f"{total['seconds']:,.1f} s (CPU {total['cpu_seconds']:,.1f} s)"
    assert cells[5].startswith(f"{figures['ratios']['project/floor']:.2f}x (CPU ")
    assert cells[6:8] == ["not measured", "not measured"]  # --skip-peers
    assert cells[8] == f"{total['peak_rss_mb'] / 1024:,.2f} GB"
    assert cells[9] == "-"  # no daily runs
    # The row names its file, and the list below the table gives the file's name and date.
    stamp = figures["timestamp"]
    date = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]} UTC"
    assert re.search(rf"^- {re.escape(cells[10])} `[^`]*{results.name}`, {date};", text, re.MULTILINE)


def test_the_bench_readme_takes_each_figure_from_the_newest_file_that_has_it(bench, small_run, tmp_path):
    """A newer run of the same size without peers, and an older one with daily runs. A real daily run would
    double this file's time (a second build), so both files are the small run's, changed: the newer one
    renamed and restamped, the older one given two days (the first load and a day 2 at 1.5 times its seconds)."""
    _, results = small_run
    figures = json.loads(results.read_text())
    older = dict(figures, timestamp="20261101T000000Z")
    first = {"day": 1, "seconds": 10.0, "cpu_seconds": 12.0, "ok": True}
    older["incremental"] = {
        "days": [first, {**first, "day": 2, "seconds": 15.0, "cpu_seconds": 15.0}],
        "last_over_first": 1.5,
        "cpu_last_over_first": 1.25,
        "target": 1.3,
    }
    older["phases"] = {**figures["phases"], "floor": {**figures["phases"]["floor"], "seconds": 99.0}}
    newer = dict(figures, timestamp="20261231T000000Z")
    directory = tmp_path / "results"
    directory.mkdir()
    (directory / "20261101T000000Z.json").write_text(json.dumps(older))
    (directory / "20261231T000000Z.json").write_text(json.dumps(newer))
    readme = tmp_path / "README.md"
    assert bench.main(["report", "--results-dir", str(directory), "--out", str(readme)]) == 0
    text = readme.read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| 300 orders x 1 day |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert not cells[1].startswith("99.0")  # the floor of the newer file
    assert cells[9] == "day 2 / day 1: 1.50x (CPU 1.25x); median of the last 1 days 1.50x; target 1.3 [b]"
    assert cells[10] == "[a]"
    assert "- [a] `" in text and "20261231T000000Z.json`, 2026-12-31 00:00 UTC;" in text
    assert "- [b] `" in text and "20261101T000000Z.json`, 2026-11-01 00:00 UTC;" in text


def test_the_bench_readme_without_results_says_so(bench, tmp_path):
    readme = tmp_path / "README.md"
    assert bench.main(["report", "--results-dir", str(tmp_path / "none"), "--out", str(readme)]) == 0
    assert "No results file in `bench/results/` yet" in readme.read_text()
