"""The benchmark (make bench): bad arguments stop it before it generates anything, and a
small run prints every phase and agrees with the marts. Its figures are read, not asserted."""

from __future__ import annotations

import importlib.util
import json
import sys
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
    ],
)
def test_bad_arguments_stop_the_bench_before_it_generates(bench, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        bench.main([*args, "--skip-peers", "--keep", str(tmp_path / "work")])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "work").exists()


def test_a_small_bench_prints_every_phase_and_agrees_with_the_marts(bench, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path / "results")
    assert bench.main(["--orders", "300", "--skip-peers", "--keep", str(tmp_path / "work")]) == 0
    out = capsys.readouterr().out
    for phase in ("floor", "project: ingest", "project: build", "project: total", "project/floor"):
        assert f"\n{phase} " in out, phase
    assert "POS orders: marts 300, floor 300 ✓" in out
    (results,) = (tmp_path / "results").glob("*.json")
    figures = json.loads(results.read_text())
    assert figures["failures"] == []
    assert figures["input"]["pos_rows"] > 300
    assert figures["phases"]["project: total"]["seconds"] >= figures["phases"]["project: build"]["seconds"] > 0
