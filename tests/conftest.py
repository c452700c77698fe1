"""Shared fixtures. Area-specific fixtures live in their own test modules."""
from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

import tplkit

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


@pytest.fixture(scope="session")
def kit() -> tplkit.Kit:
    """The built-in library (compiled templates are cached across the session)."""
    return tplkit.Kit()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory) -> tuple[bytes, bytes]:
    """A throwaway RSA key made by openssl: (private PEM, DNS TXT record)."""
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key.read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


# --- headless Chromium (the browser tests) --------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")   # Debian's package; Playwright drives it (no `playwright install`)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = HERE.parent / "test-artifacts"


def _browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; outside CI it skips, saying why, when Chromium
    or Playwright is missing, and with ``CI=true`` it fails instead."""
    reason = _browser_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # the waits of expect() are bounds, not timings: a loaded CI machine (four suite passes,
    # Celery workers, a JVM) can take longer than Playwright's default 5 s to repaint a panel
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(page, name)``: the whole page saved as ``test-artifacts/<name>.png`` (``name``
    may hold a folder), for a person to look at."""
    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
