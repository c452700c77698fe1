"""`tplkit serve` end to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Outside CI these tests skip, with the reason, when Chromium or Playwright is missing; with
``CI=true`` they fail instead. One browser for the module; the preview server runs in-process
on an ephemeral port in a thread. Screenshots go to ``test-artifacts/``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import types
from pathlib import Path

import pytest

from tplkit.preview import PreviewApp
from tplkit.preview.server import running

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HERE = Path(__file__).parent
PROJECT = HERE / "fixtures" / "serve" / "project"
ARTIFACTS = HERE.parent / "test-artifacts"
UPDATE_TIMEOUT_MS = 5000   # live reload polls every 0.4 s; allow for a recompile on a slow CI box


def _unavailable() -> str | None:
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
    """One headless Chromium for the whole module."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(PROJECT, dest)
    return dest


@pytest.fixture(scope="module")
def server(project):
    """The preview of a private copy of the fixture project; lint is stubbed (it has its own tests)."""
    fake = types.ModuleType("tplkit.lint")
    fake.lint = lambda kit, templates=None, locales=None: []
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "tplkit.lint", fake)
        with running(PreviewApp(project)) as srv:
            yield srv


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"serve-{name}.png"), full_page=True)


def test_index_then_template_then_rtl_and_mobile(page, server):
    """Index -> template -> Arabic (right-to-left) -> mobile width, as a user clicks through."""
    from playwright.sync_api import expect

    page.goto(server.url)
    expect(page.locator('tr[data-template="hello"] td.cell[data-locale="ar"]')).to_have_attribute(
        "data-status", "ok")
    expect(page.locator('tr[data-template="broken"] td.cell[data-locale="en"]')).to_have_attribute(
        "data-status", "error")
    shot(page, "index")

    page.click('a[href="/t/hello"]')
    expect(page.locator("#subject")).to_have_text("Hello Layla")
    email = page.frame_locator("#email")
    expect(email.locator("body")).to_contain_text("Hello Layla")
    assert page.locator("#email").get_attribute("sandbox") == ""
    assert page.locator("#email").evaluate("e => e.clientWidth") == 600
    shot(page, "hello-en")

    page.click('#locales a[data-locale="ar"]')
    expect(page.locator("#subject")).to_have_text("مرحبا Layla")
    expect(email.locator("body")).to_contain_text("مرحبا Layla")
    assert page.locator("#text").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("#inbox").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert email.locator("html").get_attribute("dir") == "rtl"
    shot(page, "hello-ar")

    page.click('#views a[data-view="mobile"]')
    expect(page.locator("#email")).to_have_attribute("width", "375")
    assert page.locator("#email").evaluate("e => e.clientWidth") == 375
    assert page.url.endswith("locale=ar&view=mobile")
    shot(page, "hello-ar-mobile")


def test_bad_context_shows_inline_errors(page, server):
    """Typing a bad context and pressing Render lists every problem inline; fixing it renders again."""
    from playwright.sync_api import expect

    page.goto(server.url + "t/hello?locale=en")
    page.fill("#ctx", json.dumps({"order_total": "lots", "custmer_name": "Zaid"}, indent=2))
    page.click("#render")
    problems = page.locator("#problems li")
    expect(problems).to_have_count(3)
    text = " | ".join(problems.all_inner_texts())
    assert "customer_name:" in text and "order_total:" in text and "did you mean 'customer_name'" in text
    expect(page.locator("#email")).to_have_count(0)
    expect(page.locator("#ctx")).to_have_value(json.dumps({"order_total": "lots", "custmer_name": "Zaid"},
                                                          indent=2))
    shot(page, "hello-bad-context")

    page.fill("#ctx", '{"customer_name": "Zaid"}')
    page.click("#render")
    expect(page.locator("#subject")).to_have_text("Hello Zaid")
    expect(page.locator("#problems")).to_have_count(0)


def test_saving_a_template_updates_the_open_page(page, server, project):
    """Saving subject.txt refreshes the open page by itself; breaking body.mjml shows the error there."""
    from playwright.sync_api import expect

    page.goto(server.url + "t/hello?locale=ar")
    expect(page.locator("#subject")).to_have_text("مرحبا Layla")
    subject = project / "templates" / "hello" / "subject.txt"
    body = project / "templates" / "hello" / "body.mjml"
    original_subject, original_body = subject.read_text(), body.read_text()
    try:
        subject.write_text("[{{ customer_name }}] " + original_subject)
        expect(page.locator("#subject")).to_have_text("[Layla] مرحبا Layla", timeout=UPDATE_TIMEOUT_MS)
        shot(page, "hello-ar-live-update")

        body.write_text(original_body.replace("{% if order_total %}", "{% if order_total %"))
        expect(page.locator("#template-error .where")).to_have_text(f"{body}:7", timeout=UPDATE_TIMEOUT_MS)
        shot(page, "hello-ar-broken")
    finally:
        subject.write_text(original_subject)
        body.write_text(original_body)
    expect(page.locator("#subject")).to_have_text("مرحبا Layla", timeout=UPDATE_TIMEOUT_MS)
