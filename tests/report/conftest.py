"""Fixtures of the HTML report's tests: a small seeded demo ledger and a ledger of hostile strings,
their reports built once, and a headless Chromium (Debian's package, driven by Playwright) that
skips with the reason when the browser or the client is missing."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_helpers import CHROMIUM, CHROMIUM_FLAGS, DEMO_ROWS, DEMO_SEED, HOSTILE, REPO, write_hostile_csv

import inferonomics as inf
from inferonomics.catalog.book import PriceBook


@pytest.fixture(scope="session")
def report_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="report-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def demo_ledger(report_dir: Path) -> inf.Ledger:
    path = report_dir / "demo.parquet"
    inf.generate_demo(path, DEMO_ROWS, seed=DEMO_SEED)
    return inf.Ledger.open([path])


@pytest.fixture(scope="session")
def demo_report(demo_ledger: inf.Ledger, book: PriceBook) -> inf.HtmlReport:
    return inf.html_report(demo_ledger, book=book, sources=["demo.parquet"])


@pytest.fixture(scope="session")
def hostile_ledger(report_dir: Path) -> inf.Ledger:
    return inf.Ledger.open([write_hostile_csv(report_dir / "hostile.csv")])


@pytest.fixture(scope="session")
def hostile_report(hostile_ledger: inf.Ledger, book: PriceBook) -> inf.HtmlReport:
    return inf.html_report(hostile_ledger, book=book, by=["team"], sources=[HOSTILE[0] + ".csv"])


def _ensure_chromium() -> str | None:
    """None when Chromium can be used; else why not (after trying the project's installer)."""
    if not CHROMIUM.exists():
        script = REPO / "scripts" / "install_browser.sh"
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not CHROMIUM.exists():
            return f"{CHROMIUM} is missing and scripts/install_browser.sh could not install it"
    if shutil.which(str(CHROMIUM)) is None:
        return f"{CHROMIUM} is not executable"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium context (fresh profile, no network use) from Playwright's sync API."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install -e '.[dev]')")
    why = _ensure_chromium()
    if why:
        pytest.skip(why)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
