"""`tplkit serve`'s Links & images panel without a browser: each problem of the fixture
email's links and images, at its template line, agreeing with lint's rendered rules."""
from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

import tplkit
from tplkit.preview import PreviewApp, linkcheck

HERE = Path(__file__).parent
PROJECT = HERE / "fixtures" / "serve" / "project"
BADLINKS = HERE / "fixtures" / "serve" / "views" / "badlinks"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The preview fixture project plus the ``badlinks`` template."""
    dest = tmp_path_factory.mktemp("links") / "p"
    shutil.copytree(PROJECT, dest)
    shutil.copytree(BADLINKS, dest / "templates" / "badlinks")
    return dest


@pytest.fixture(scope="module")
def report(project):
    kit = tplkit.Kit(project)
    info = kit.template("badlinks")
    email = kit.render("badlinks", info.sample, locale="en")
    return linkcheck.check(kit, info, "en", dict(info.sample), email.html)


def line_of(text: str) -> int:
    """The line of body.mjml that holds ``text``."""
    lines = (BADLINKS / "body.mjml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def problems(report, url: str) -> list[tuple[str, str]]:
    return [(p.severity, p.message) for e in report.elements if e.url == url for p in e.problems]


def test_each_problem_is_listed_at_its_template_line(report):
    """Every faulty link and image is listed with its problem and the body.mjml line writing it."""
    assert (report.links, report.images) == (10, 2)   # 9 in the text and the button
    where = {(e.kind, e.url, e.label): (Path(e.file).name, e.line) for e in report.elements}
    expected = {
        ("link", "#", "the FAQ"): 'href="#"',
        ("link", "http://fixture.shop/help", "the help centre"): "http://",
        ("link", "mailto:support@", "support"): "mailto:",
        ("link", "tel:call-us", "our hotline"): "tel:",
        ("link", "https://example.com/track", "track your parcel"): "example.com",
        ("link", "https://fixture.shop/unsubscribe", "click here"): "unsubscribe",
        ("image", "https://cdn.fixture.shop/badge.png", ""): "badge.png",
    }
    for key, text in expected.items():
        assert where[key] == ("body.mjml", line_of(text)), key
    assert problems(report, "#") == [("error", "a link has an empty href '#'")]
    assert problems(report, "mailto:support@") == [
        ("error", "mailto: address 'support@' is not a valid email address")]
    assert problems(report, "tel:call-us")[0][0] == "error"
    assert problems(report, "http://fixture.shop/help") == [
        ("warning", "a link uses http: (http://fixture.shop/help); use https:")]
    assert problems(report, "https://example.com/track") == [
        ("warning", "example.com looks like a placeholder, not the real site")]
    assert ("warning", "link text 'click here' does not say where it leads") in \
        problems(report, "https://fixture.shop/unsubscribe")
    assert ("warning", "the same text 'click here' links to 2 different URLs") in \
        problems(report, "https://fixture.shop/offers")
    badge = problems(report, "https://cdn.fixture.shop/badge.png")
    assert badge[0] == ("error", "image 'badge.png' has no alt attribute (alt=\"\" if decorative)")
    assert badge[1][1].startswith("image has no pixel width or height")
    # the logo (alt, 120x40) and the account button have nothing to report
    assert not problems(report, "https://cdn.fixture.shop/logo.png")
    assert not problems(report, "https://fixture.shop/account")
    assert [e.severity for e in report.elements] == sorted(
        (e.severity for e in report.elements), key=linkcheck.SEVERITY_ORDER.__getitem__)


def test_panel_agrees_with_lints_rendered_rules(project, report):
    """What lint's link-scheme, image-alt and generic-link-text rules find, the panel lists with
    the same message at the same line (one implementation of those checks)."""
    from tplkit.lint import lint

    kit = tplkit.Kit(project)
    rules = {"link-scheme", "image-alt", "generic-link-text"}
    found = {(f.message, f.line) for f in lint(kit, templates=["badlinks"], locales=["en"])
             if f.rule in rules}
    listed = {(p.message, e.line) for e in report.elements for p in e.problems}
    assert len(found) == 4 and found <= listed   # the two "click here" share a line


@pytest.mark.parametrize(("href", "problem"), [
    ("mailto:help@fixture.shop", None),
    ("mailto:help@fixture.shop,sales@fixture.shop?subject=Order%2012", None),
    ("mailto:help%40fixture.shop", None),
    ("mailto:", "mailto: link without an address"),
    ("mailto:help@localhost", "mailto: address 'help@localhost' has no full domain"),
    ("mailto:help at fixture.shop", "mailto: address 'help at fixture.shop' is not a valid email address"),
])
def test_mailto_addresses_are_parsed_by_the_email_package(href, problem):
    """mailto: addresses are checked with Python's email address parser (percent-decoded)."""
    assert linkcheck.mailto_problem(href) == problem


@pytest.mark.parametrize(("href", "severity"), [
    ("tel:+49-30-1234567", None), ("tel:+1%20(555)%20010-0199", None),
    ("tel:030 1234567", "warning"), ("tel:call-us", "error"), ("tel:+1", "error"),
])
def test_tel_numbers(href, severity):
    """tel: must be a number (RFC 3966 separators allowed); one without +country is a warning."""
    msg = linkcheck.tel_problem(href)
    assert (msg is None) == (severity is None)
    if severity == "warning":
        assert "no country code" in msg
    elif severity == "error":
        assert "is not a phone number" in msg


@pytest.mark.parametrize(("url", "flagged"), [
    ("https://example.com/x", True), ("https://help.example.org", True), ("https://shop.example", True),
    ("http://localhost:8000/a", True), ("https://127.0.0.1/a", True), ("https://shop.test/x", True),
    ("https://fixture.shop/TODO", True), ("https://your-domain.com/", True),
    ("https://fixture.shop/orders", False), ("https://examples.com/", False),
    ("https://myexample.com/", False),
])
def test_placeholder_urls(url, flagged):
    """Reserved documentation/test hosts, loopback and TODO-like words are flagged; real hosts not."""
    assert (linkcheck.placeholder_problem(url) is not None) == flagged


def test_template_page_shows_the_panel(project):
    """The tab lists each element with its file:line, and says that no URL is fetched."""
    app = PreviewApp(project)
    page = app.handle("/t/badlinks?tab=links").body.decode("utf-8")
    assert ('<a href="/t/badlinks?locale=en&amp;tab=links" data-tab="links" class="on">'
            'Links &amp; images</a>') in page
    assert "10 links and 2 images checked" in page and "No URL is fetched" in page
    items = page.split('<ul class="linkcheck" id="linkcheck">', 1)[1].split("</ul>\n</section>")[0]
    assert items.count('<li data-severity="error" data-kind="link">') == 3
    assert items.count('data-kind="image"') == 1
    assert f"templates/badlinks/body.mjml:{line_of('tel:')}" in html.unescape(
        items.replace("<wbr>", ""))
    assert "the same URL is also linked as" in html.unescape(items)
    clean = app.handle("/t/hello?tab=links").body.decode("utf-8")
    assert 'id="linkcheck-none"' in clean and "0 links and 0 images checked" in clean
