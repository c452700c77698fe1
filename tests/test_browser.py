"""`tplkit serve` end to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Outside CI these tests skip, with the reason, when Chromium or Playwright is missing; with
``CI=true`` they fail instead. One browser for the module; the preview server runs in-process
on an ephemeral port in a thread. Screenshots go to ``test-artifacts/``.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tplkit.preview import PreviewApp
from tplkit.preview.server import running

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
PROJECT = HERE / "fixtures" / "serve" / "project"
UPDATE_TIMEOUT_MS = 5000   # live reload polls every 0.4 s; allow for a recompile on a slow CI box


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("browser") / "project"
    shutil.copytree(PROJECT, dest)
    return dest


CATALOG_FINDING = types.SimpleNamespace(
    rule="fake-catalog-rule", severity="error", message="a finding in the Arabic catalog",
    file=None, line=3, column=None, template=None, locale="ar")


@pytest.fixture(scope="module")
def server(project):
    """The preview of a private copy of the fixture project; lint is stubbed (it has its own tests)
    with one catalog finding for ar."""
    fake = types.ModuleType("tplkit.lint")
    fake.lint = lambda kit, templates=None, locales=None: [CATALOG_FINDING]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "tplkit.lint", fake)
        with running(PreviewApp(project)) as srv:
            yield srv


def loopback_only(route) -> None:
    """Requests to anything but this machine (web fonts, remote images) are aborted: the tests
    send no traffic beyond loopback."""
    host = urlsplit(route.request.url).hostname
    if route.request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def new_page(browser, width: int = 1280, height: int = 1000, **options):
    ctx = browser.new_context(viewport={"width": width, "height": height}, **options)
    ctx.route("**/*", loopback_only)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    return ctx, pg


@pytest.fixture
def page(browser, server):
    ctx, pg = new_page(browser)
    yield pg
    ctx.close()


@pytest.fixture
def shot(screenshot):
    """``shot(page, name)``: a screenshot as ``test-artifacts/serve-<name>.png``."""
    return lambda page, name: screenshot(page, f"serve-{name}")


def test_index_then_template_then_rtl_and_mobile(page, server, shot):
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
    assert page.locator("#email").get_attribute("sandbox") == "allow-same-origin"
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


def test_bad_context_shows_inline_errors(page, server, shot):
    """A bad context lists every problem inline beside the last good preview; fixing it renders again."""
    from playwright.sync_api import expect

    page.goto(server.url + "t/hello?locale=en")
    page.fill("#ctx", '{"customer_name": "Nadia"}')
    page.click("#render")
    expect(page.locator("#subject")).to_have_text("Hello Nadia")
    page.fill("#ctx", json.dumps({"order_total": "lots", "custmer_name": "Zaid"}, indent=2))
    page.click("#render")
    problems = page.locator("#problems li")
    expect(problems).to_have_count(3)
    text = " | ".join(problems.all_inner_texts())
    assert "customer_name:" in text and "order_total:" in text and "did you mean 'customer_name'" in text
    expect(page.locator("#stale")).to_contain_text("Showing the last good rendering of hello/en")
    expect(page.frame_locator("#email").locator("body")).to_contain_text("Hello Nadia")   # the last good
    expect(page.locator("#subject")).to_have_text("Hello Nadia")
    expect(page.locator("#ctx")).to_have_value(json.dumps({"order_total": "lots", "custmer_name": "Zaid"},
                                                          indent=2))
    shot(page, "hello-bad-context")

    page.fill("#ctx", '{"customer_name": "Zaid"}')
    page.click("#render")
    expect(page.locator("#subject")).to_have_text("Hello Zaid")
    expect(page.locator("#problems")).to_have_count(0)


def test_saving_a_template_updates_the_open_page(page, server, project, shot):
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


# --- serve 2.0: frame height, views, lint, layout, send, spam, compatibility ----------------


def fitted_frame(page):
    """Wait until the page has fitted the email frame; return (frame height, email content height)."""
    page.wait_for_function("() => { const f = document.getElementById('email');"
                           " return f && f.dataset.fitted && f.contentDocument.readyState === 'complete'"
                           " && f.contentDocument.location.pathname.endsWith('/email.html'); }")
    return page.evaluate("""() => {
        const f = document.getElementById('email'), d = f.contentDocument;
        const last = d.getElementById('last-line') || d.body.lastElementChild;
        return {frame: f.clientHeight, content: d.documentElement.scrollHeight,
                inner: d.documentElement.clientHeight, width: f.clientWidth,
                lastBottom: last.getBoundingClientRect().bottom,
                scripts: d.scripts.length, sandbox: f.getAttribute('sandbox')};
    }""")


@pytest.mark.parametrize("view, width", [("desktop", 600), ("mobile", 375), ("narrow", 320)])
def test_frame_fits_the_emails_height_at_each_width(page, server, view, width, shot):
    """A tall email is shown whole (its last line inside the frame, no inner scrolling) and a short
    one leaves no gap, at 600, 375 and 320 px; the email itself runs no script."""
    page.goto(server.url + f"t/showcase?locale=en&view={view}")
    m = fitted_frame(page)
    assert m["width"] == width and m["sandbox"] == "allow-same-origin" and m["scripts"] == 0
    assert m["content"] > 1000                       # the 900 px spacer and more
    assert m["frame"] == m["content"] == m["inner"]  # nothing hidden, nothing to scroll inside
    assert m["lastBottom"] <= m["frame"]
    shot(page, f"showcase-{view}")

    page.goto(server.url + f"t/hello?locale=ar&view={view}")
    m = fitted_frame(page)
    assert m["frame"] == m["content"] and m["frame"] < 300   # a short email, a short frame
    shot(page, f"hello-ar-fitted-{view}")


def test_frame_refits_when_the_window_narrows(browser, server):
    """On a phone-sized window the desktop frame narrows and grows taller to keep the whole email."""
    ctx, page = new_page(browser, 1280, 900)
    try:
        page.goto(server.url + "t/showcase?locale=ar")
        wide = fitted_frame(page)
        page.set_viewport_size({"width": 390, "height": 800})
        page.wait_for_function(f"() => document.getElementById('email').clientHeight > {wide['frame']}"
                               " || document.getElementById('email').clientWidth < 600")
        page.wait_for_timeout(300)   # let the resize handler run (not a timing assertion)
        narrow = fitted_frame(page)
        assert narrow["width"] < 390 and narrow["frame"] == narrow["content"] >= wide["frame"]
    finally:
        ctx.close()


def test_dark_mode_views(page, server, shot):
    """Forced inversion darkens an email without dark styles; Apple-Mail-style applies the email's own."""
    page.goto(server.url + "t/hello?locale=en&mode=dark-invert")
    fitted_frame(page)
    bg = page.frame_locator("#email").locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(18, 18, 18)"
    color = page.frame_locator("#email").locator("p").first.evaluate("e => getComputedStyle(e).color")
    assert sum(int(x) for x in re.findall(r"\d+", color)[:3]) > 600   # light text on the dark canvas
    shot(page, "hello-dark-invert")

    page.goto(server.url + "t/showcase?locale=en")
    fitted_frame(page)
    card = page.frame_locator("#email").locator(".card-dark-target")
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    page.click('#modes a[data-mode="dark-own"]')
    page.wait_for_url(re.compile("mode=dark-own"))
    fitted_frame(page)
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 23, 42)"
    tx = page.frame_locator("#email").locator(".tx").first
    assert tx.evaluate("e => getComputedStyle(e).color") == "rgb(248, 250, 252)"
    shot(page, "showcase-dark-own")


def test_images_off_shows_alt_text(page, server, shot):
    """Images off: the banner is replaced by a box with its alt text, of the image's height."""
    page.goto(server.url + "t/showcase?locale=en")
    fitted_frame(page)
    email = page.frame_locator("#email")
    expect_count(email.locator("img"), 1)
    page.click('#modes a[data-mode="images-off"]')
    page.wait_for_url(re.compile("mode=images-off"))
    fitted_frame(page)
    expect_count(email.locator("img"), 0)
    box = email.locator(".tplkit-img-off")
    assert box.inner_text() == "Fixture Shop banner"
    assert box.evaluate("e => e.getBoundingClientRect().height") == 120
    shot(page, "showcase-images-off")


def expect_count(locator, n: int) -> None:
    from playwright.sync_api import expect

    expect(locator).to_have_count(n)


def test_source_copy_text_headers_and_eml(browser, server, shot):
    """The source tab copies exactly the email's HTML; text and headers tabs; the .eml downloads."""
    from playwright.sync_api import expect

    ctx, page = new_page(browser, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.goto(server.url + "t/hello?locale=ar")
        # Chromium lets only the focused page write the clipboard; with the session's other
        # pages open in the same browser, this one is not always it (a user's click is)
        page.bring_to_front()
        page.click('#tabs a[data-tab="source"]')
        page.click("#copy-source")
        expect(page.locator("#copy-status")).to_contain_text("Copied")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        served = page.request.get(server.url + "t/hello/email.html?locale=ar&marks=0").text()
        assert copied == served == page.locator("#source").text_content()
        shot(page, "hello-ar-source")
        page.click('#tabs a[data-tab="headers"]')
        expect(page.locator("#mime-headers")).to_contain_text("multipart/alternative")
        shot(page, "hello-ar-headers")
        page.click('#tabs a[data-tab="text"]')
        expect(page.locator("#text")).to_contain_text("مرحبا Layla")
        with page.expect_download() as info:
            page.click("#eml")
        assert info.value.suggested_filename == "hello-ar.eml"
        import email as _email
        import email.policy

        msg = _email.message_from_bytes(Path(info.value.path()).read_bytes(), policy=email.policy.default)
        assert msg["Subject"] == "مرحبا Layla"
    finally:
        ctx.close()


def test_lint_findings_and_untranslated_text(page, server, shot):
    """The catalog finding shows on the ar page and in the grid's catalogs row; the untranslated
    paragraph is highlighted in the Arabic email."""
    from playwright.sync_api import expect

    page.goto(server.url)
    expect(page.locator('#catalog-row td[data-locale="ar"]')).to_have_attribute("data-catalog-lint", "1")
    expect(page.locator('#catalog-row td[data-locale="en"]')).to_have_attribute("data-catalog-lint", "0")
    page.goto(server.url + "t/showcase?locale=ar")
    expect(page.locator("#catalog-findings li")).to_have_text(re.compile("a finding in the Arabic catalog"))
    expect(page.locator("#untranslated")).to_contain_text("1 untranslated message in ar")
    fitted_frame(page)
    mark = page.frame_locator("#email").locator("mark[data-tplkit-untranslated]")
    expect(mark).to_have_text("This paragraph still waits for its translation")
    assert mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 224, 71)"
    mark.scroll_into_view_if_needed()
    shot(page, "showcase-ar-untranslated")


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_phone_and_desktop_widths(browser, server, width, shot):
    """No page scrolls sideways at 390 or 1280 px, and placeholder names never break mid-word."""
    ctx, page = new_page(browser, width, 900)
    try:
        for path, name in (("", "index"), ("t/hello?locale=ar", "hello-ar"),
                           ("t/apology?locale=ar", "apology-ar"),
                           ("t/showcase?locale=ar&tab=compat", "showcase-compat")):
            page.goto(server.url + path)
            if path:
                fitted_frame(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - "
                                     "document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            lines = page.evaluate("() => [...document.querySelectorAll('code.name')].map("
                                  "e => [e.textContent, e.getClientRects().length])")
            assert all(n == 1 for _, n in lines), lines
            heights = page.evaluate("() => [...document.querySelectorAll('code.name')].map("
                                    "e => e.getBoundingClientRect().height)")
            assert all(h < 25 for h in heights), heights   # one line each
            shot(page, f"{name}-{width}px")
    finally:
        ctx.close()


def test_test_send_from_the_page(browser, project, tmp_path, shot):
    """The page's form sends the email to the project's SMTP server (aiosmtpd on loopback)."""
    from playwright.sync_api import expect
    from smtp_inbox import serving

    copy = tmp_path / "send-project"
    shutil.copytree(project, copy)
    ctx, page = new_page(browser)
    with serving() as inbox:
        config = copy / "tplkit.toml"
        config.write_text(config.read_text() + f'\n[preview]\nsmtp = "{inbox.address}"\n')
        try:
            with running(PreviewApp(copy)) as srv:
                page.goto(srv.url + "t/hello?locale=ar")
                page.fill("#send-to", "lead@example.com")
                page.click("#send-button")
                expect(page.locator("#send-result")).to_contain_text(
                    f"sent to lead@example.com via {inbox.address}")
                shot(page, "hello-ar-sent")
                page.fill("#send-to", "nobody@refused.example")
                page.click("#send-button")
                expect(page.locator("#send-result")).to_contain_text(
                    "refused recipient(s): nobody@refused.example")
        finally:
            ctx.close()
    assert len(inbox.envelopes) == 1 and inbox.message()["Subject"] == "مرحبا Layla"


def test_spam_and_compatibility_panels(page, server, shot):
    """The spam tab shows SpamAssassin's score (or how to install it); the compatibility tab lists
    caniemail's verdicts per client."""
    from playwright.sync_api import expect

    from tplkit.preview import spam

    page.goto(server.url + "t/showcase?locale=en")
    page.click('#tabs a[data-tab="spam"]')
    if spam.available():
        expect(page.locator("#spam-score")).to_contain_text("score")
        expect(page.locator("#spam-rules")).to_contain_text("HTML_MESSAGE")
    else:
        expect(page.locator("#spam-missing")).to_contain_text("apt-get install spamassassin")
    shot(page, "showcase-spam")
    page.click('#tabs a[data-tab="compat"]')
    item = page.locator('#compat li[data-slug="css-at-media-prefers-color-scheme"]')
    expect(item).to_contain_text("Gmail (web)")
    expect(item).to_contain_text("showcase/body.mjml:")
    shot(page, "showcase-compat")


def test_an_email_with_scripts_runs_none_of_them(browser, project, tmp_path, shot):
    """The same-origin frame (needed to measure the email) still runs no script: a template's
    <script> and onerror handler leave the page (and its test-send token) untouched."""
    copy = tmp_path / "hostile-project"
    shutil.copytree(project, copy)
    shutil.copytree(HERE / "fixtures" / "serve" / "views" / "hostile", copy / "templates" / "hostile")
    ctx, page = new_page(browser)
    try:
        with running(PreviewApp(copy)) as srv:
            page.goto(srv.url + "t/hostile")
            m = fitted_frame(page)
            html = page.request.get(srv.url + "t/hostile/email.html").text()
            assert "<script>" in html and "onerror=" in html   # it reached the email as written
            assert m["scripts"] == 1                           # present in the document...
            assert page.title() == "hostile · tplkit preview"  # ...but it did not run
            assert page.evaluate("() => window.pwned") is None
            assert page.frame_locator("#email").locator("body").evaluate(
                "b => b.dataset.pwned || ''") == ""
            shot(page, "hostile")
    finally:
        ctx.close()


@pytest.mark.parametrize("view, width", [("desktop", 600), ("mobile", 375), ("narrow", 320)])
def test_without_javascript_the_frame_is_tall_enough(browser, server, view, width, shot):
    """With JavaScript off the frame takes the server's height estimate: the whole email (its
    last line) is inside it at every width, and a note links to the email on its own."""
    from playwright.sync_api import expect

    ctx, page = new_page(browser)
    try:   # the real height, measured by the page's script
        page.goto(server.url + f"t/showcase?locale=ar&view={view}")
        real = fitted_frame(page)["content"]
    finally:
        ctx.close()
    ctx, page = new_page(browser, java_script_enabled=False)
    try:
        page.goto(server.url + f"t/showcase?locale=ar&view={view}")
        frame = page.locator("#email")
        assert frame.get_attribute("data-fitted") is None          # no script ran
        estimate = int(frame.get_attribute("height"))
        box = frame.bounding_box()
        last = page.frame_locator("#email").locator("#last-line").bounding_box()
        assert real > 1000 and real <= estimate <= 2 * real        # never cut off, not absurd
        assert box["height"] >= estimate and last["y"] + last["height"] <= box["y"] + box["height"]
        expect(page.locator("#noscript-note")).to_be_visible()
        assert page.locator("#email-alone").get_attribute("href").startswith("/t/showcase/email.html?")
        shot(page, f"showcase-ar-nojs-{view}")
    finally:
        ctx.close()


def test_links_and_images_panel(browser, project, tmp_path, shot):
    """The Links & images tab lists the faulty links and images of the email with their severity
    and template line, and says it fetches nothing."""
    from playwright.sync_api import expect

    copy = tmp_path / "links-project"
    shutil.copytree(project, copy)
    shutil.copytree(HERE / "fixtures" / "serve" / "views" / "badlinks", copy / "templates" / "badlinks")
    ctx, page = new_page(browser)
    # the panel uses the real lint package (the module's server fixture stubs it)
    with pytest.MonkeyPatch.context() as mp:
        mp.delitem(sys.modules, "tplkit.lint", raising=False)
        try:
            with running(PreviewApp(copy)) as srv:
                page.goto(srv.url + "t/badlinks")
                page.click('#tabs a[data-tab="links"]')
                expect(page.locator("#links-note")).to_contain_text("No URL is fetched")
                items = page.locator("#linkcheck > li")
                expect(items).to_have_count(10)
                expect(page.locator('#linkcheck > li[data-severity="error"]')).to_have_count(4)
                expect(items.first).to_contain_text("badlinks/body.mjml:10")
                expect(page.locator("#linkcheck")).to_contain_text(
                    "tel: link 'call-us' is not a phone number")
                assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
                shot(page, "badlinks-links-panel")
        finally:
            ctx.close()
