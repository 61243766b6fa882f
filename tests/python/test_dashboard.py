"""The dashboard (dashboard/app.py) in a real Chromium: every section renders from the BI database.

A drop is built and exported as a user's would be, the dashboard is served by Streamlit as
`make dashboard` serves it, and headless Chromium (Debian's, driven by Playwright) loads the
page, waits for it to finish running and takes screenshots into test-output/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM_FLAGS, PROJECT_ROOT, dbt_runner

from loaders.cli import main as loader_main
from recon_tools import bi
from recon_tools.generate_drop import generate

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.dbt,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make system-deps)"),
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
pytest.importorskip("streamlit", reason="streamlit is a dev dependency")

SCREENSHOTS = PROJECT_ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bi_database(tmp_path_factory: pytest.TempPathFactory, dbt_dirs: dict[str, Path]) -> Path:
    """Three days of orders, the last with a burst of invalid POS lines (an error-rate alert)."""
    tmp = tmp_path_factory.mktemp("dashboard")
    drop, db = tmp / "drop", tmp / "recon.duckdb"
    generate(drop, days=3, orders_per_day=200, seed=3, extras=False)
    last = drop / "pos" / "pos_orders_20261118.csv"
    lines = last.read_text().splitlines(keepends=True)
    lines[1:60] = [line.replace(",USD,", ",XXX,") for line in lines[1:60]]
    last.write_text("".join(lines))
    assert loader_main(["ingest", "--from", str(drop), "--db", str(db), "--quiet"]) == 0
    result = dbt_runner(dbt_dirs)(db, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    bi_db = tmp / "bi.duckdb"
    assert bi.main(["init", "--bi-dir", str(tmp / "bi"), "--out", str(bi_db), "--db", str(db), "--quiet"]) == 0
    return bi_db


@pytest.fixture(scope="module")
def dashboard_url(bi_database: Path) -> Iterator[str]:
    """The dashboard served as `make dashboard` serves it, on a free loopback port."""
    port = free_port()
    env = {**os.environ, "RECON_BI_DB": str(bi_database), "HOME": str(bi_database.parent)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("streamlit")),
            "run",
            str(PROJECT_ROOT / "dashboard" / "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the dashboard did not start: {server.stdout.read()}") from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def render(url: str, screenshot: Path, width: int = 1400) -> str:
    """Load the page in Chromium, wait until Streamlit has finished running the app, screenshot it."""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 4200})
            page.goto(url)
            page.get_by_text("Validation findings").wait_for(timeout=60_000)
            page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
            page.wait_for_timeout(1500)  # charts draw after the data arrives
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
            return page.inner_text("body")
        finally:
            browser.close()


def test_the_dashboard_shows_every_section_in_chromium(dashboard_url):
    text = render(dashboard_url, SCREENSHOTS / "dashboard.png")
    for heading in (
        "Alerts",
        "Match rate by business date",
        "Missing orders by store",
        "Amount mismatches",
        "Validation findings",
        "By rule",
        "By source and business date",
        "Operations",
        "Open review items by age",
        "Escalations",
        "Notifications sent",
    ):
        assert heading in text, heading
    assert "2026-11-18" in text
    assert "Downtown" in text or "Airport" in text  # store names, not only ids
    assert "pos_currency" in text  # the burst of invalid currencies, in the chart by rule
    # (tables are drawn on a canvas: their cells are not page text; the screenshots show them)
    assert "POS 2026-11-18: error rate" in text  # the alert it raises
    # ... and the escalation: one rule fails on many of the file's orders
    assert "Escalated (rule_affects_many_orders): pos_currency_known fails on" in text
    assert "Traceback" not in text and "Error" not in text.replace("error", "")
    assert (SCREENSHOTS / "dashboard.png").stat().st_size > 50_000


def test_the_dashboard_fits_a_narrow_screen(dashboard_url):
    text = render(dashboard_url, SCREENSHOTS / "dashboard-narrow.png", width=700)
    assert "Missing orders by store" in text


def test_without_a_bi_database_the_dashboard_says_what_to_run(tmp_path):
    port = free_port()
    env = {**os.environ, "RECON_BI_DB": str(tmp_path / "absent.duckdb"), "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [
            *(str(Path(sys.executable).with_name("streamlit")), "run", str(PROJECT_ROOT / "dashboard" / "app.py")),
            *("--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port)),
            *("--browser.gatherUsageStats", "false"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text("No BI database at").wait_for(timeout=60_000)
            assert "make bi" in page.inner_text("body")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
