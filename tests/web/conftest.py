"""A real browser for the web tests: Debian's Chromium driven by Playwright (never a downloaded browser), started
once for the browser tests' module, and axe-core from the npm registry for the accessibility check.

Without Chromium (``scripts/install-system-deps.sh`` installs it when run as root) or npm, the browser tests are
skipped with the reason; everything else runs. Screenshots go to ``test-output/web/``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("COCKPIT_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE_VERSION = "4.14.1"
CACHE = ROOT / ".cache"
SHOTS = ROOT / "test-output" / "web"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module (all browser tests are in ``test_browser.py``, so: once per session). Not longer:
    Playwright's sync API keeps its event loop marked as running in this thread while it is open, which would
    break the asyncio (Pilot) tests that the same worker runs next."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run scripts/install-system-deps.sh as root (Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses to run as root
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js, installed from the npm registry into a cache folder once (a lock keeps two workers from
    installing at the same time)."""
    folder = CACHE / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the accessibility check needs axe-core from the npm registry")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.exists():
            result = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(folder),
                                     f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
            if result.returncode != 0 or not script.exists():
                pytest.skip(f"npm could not install axe-core {AXE_VERSION}: {result.stderr.strip()[-300:]}")
    return script


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
