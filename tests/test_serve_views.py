"""`tplkit serve` 2.0 without a browser: client views, untranslated marks, all lint findings,
test send to a real SMTP server, SpamAssassin and caniemail panels."""
from __future__ import annotations

import colorsys
import html
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from markupsafe import escape

import tplkit
from tplkit.preview import PreviewApp, compat, spam, views
from tplkit.preview.server import running

sys.path.insert(0, str(Path(__file__).parent))
from smtp_inbox import serving

PROJECT = Path(__file__).parent / "fixtures" / "serve" / "project"
FIXTURES = Path(__file__).parent / "fixtures" / "serve" / "views"


@pytest.fixture(scope="module")
def app():
    """The preview of the fixture project, with the real linter."""
    return PreviewApp(PROJECT)


@pytest.fixture(scope="module")
def kit():
    return tplkit.Kit(PROJECT)


def body(resp) -> str:
    return resp.body.decode("utf-8")


# --- views --------------------------------------------------------------------------------


def test_force_dark_inverts_lightness_and_keeps_hue():
    """Forced dark turns white backgrounds near-black, dark text light, and keeps a colour's hue."""
    out = views.force_dark('<html><head></head><body style="background-color:#ffffff">'
                           '<td bgcolor="#FFF"><p style="color:#111827">x</p>'
                           '<a style="color: rgb(29, 78, 216)">y</a></td></body></html>')
    assert 'style="background-color:#000000"' in out and 'bgcolor="#000000"' in out
    assert 'style="color:#d8dfee"' in out   # #111827 (lightness 0.11) -> 0.89
    blue = re.search(r"color: (#[0-9a-f]{6})", out).group(1)
    h1, l1, s1 = colorsys.rgb_to_hls(29 / 255, 78 / 255, 216 / 255)
    h2, l2, s2 = colorsys.rgb_to_hls(*(int(blue[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert abs(h1 - h2) < 0.01 and abs((1 - l1) - l2) < 0.01 and abs(s1 - s2) < 0.02
    assert "<head><style>html,body{background-color:#121212" in out


def test_own_dark_applies_the_emails_dark_media_queries(app):
    """The Apple Mail view turns the email's prefers-color-scheme: dark rules on (light ones off)."""
    src = body(app.handle("/t/showcase/email.html?locale=en&marks=0"))
    dark = body(app.handle("/t/showcase/email.html?locale=en&mode=dark-own&marks=0"))
    assert "@media (prefers-color-scheme: dark)" in src and views.has_own_dark(src)
    assert "@media (prefers-color-scheme: dark)" not in dark
    assert dark == src.replace("@media (prefers-color-scheme: dark)", "@media all")
    assert views.own_dark("@media (prefers-color-scheme: light) {a{}}") == "@media not all {a{}}"
    page = body(app.handle("/t/hello?mode=dark-own"))
    assert 'id="no-own-dark"' in page    # hello has no dark styles: the page says so


def test_images_off_replaces_each_image_by_its_alt_text(app, kit):
    """Images off: no <img> left, each is a box of the image's size showing its alt text."""
    out = body(app.handle("/t/showcase/email.html?mode=images-off&marks=0"))
    assert "<img" not in out and kit.render("showcase", {"customer_name": "L"}).html.count("<img") == 1
    box = re.search(r'<span class="tplkit-img-off"[^>]*>([^<]*)</span>', out)
    assert box.group(1) == "Fixture Shop banner" and "height:120px" in box.group(0)
    no_alt = views.images_off('<img src="x.png" width="50" height="20">')
    assert "data-tplkit-no-alt" in no_alt and "width:50px" in no_alt and "height:20px" in no_alt
    assert 'alt="&lt;b&gt;"' not in views.images_off('<img alt="&lt;b&gt;">')
    assert "&lt;b&gt;</span>" in views.images_off('<img alt="&lt;b&gt;">')   # alt text stays text


def test_untranslated_messages_are_listed_and_highlighted(app):
    """In Arabic the one untranslated paragraph is listed on the page and marked in the email."""
    page = body(app.handle("/t/showcase?locale=ar"))
    note = re.search(r'<div class="note" id="untranslated">(.*?)</div>', page, re.DOTALL).group(1)
    assert "1 untranslated message in ar" in note
    assert "<q>This paragraph still waits for its translation.</q>" in note
    frame = body(app.handle("/t/showcase/email.html?locale=ar"))
    marks = re.findall(r"<mark data-tplkit-untranslated[^>]*>(.*?)</mark>", frame)
    assert marks == ["This paragraph still waits for its translation"]
    assert "<mark" not in body(app.handle("/t/showcase/email.html?locale=ar&marks=0"))
    assert "<mark" not in body(app.handle("/t/showcase/email.html?locale=en"))
    assert 'id="untranslated"' not in body(app.handle("/t/hello?locale=ar"))


def test_mark_untranslated_only_touches_body_text():
    """Text in <title>, <style> and attributes is never wrapped; entities are matched as text."""
    doc = ('<html><head><title>Wait for it</title><style>/* Wait for it */</style></head>'
           '<body><p title="Wait for it">Wait for it &amp; more</p></body></html>')
    out, n = views.mark_untranslated(doc, ["Wait for it & more"])
    assert n == 1 and out.count("<mark") == 1
    assert "<title>Wait for it</title>" in out and 'title="Wait for it"' in out
    assert re.search(r"<mark[^>]*>Wait for it &amp; more</mark></p>", out)
    assert views.fragments("Hello %(name)s, your order <b>%(id)s</b> is late") == [
        "your order", "is late", "Hello"]


def test_tabs_show_source_headers_and_text(app, kit):
    """HTML source (escaped, with a copy button), the .eml's headers and the text part are tabs."""
    em = kit.render("hello", kit.template("hello").sample, locale="ar")
    src = body(app.handle("/t/hello?locale=ar&tab=source"))
    assert f'<pre class="source" id="source">{escape(em.html)}</pre>' in src
    assert 'id="copy-source"' in src
    heads = body(app.handle("/t/hello?locale=ar&tab=headers"))
    rows = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>",
                           re.search(r'<table class="mime".*?</table>', heads, re.DOTALL).group(0)))
    assert rows["Subject"] == em.subject and rows["Content-Type"].startswith("multipart/alternative")
    assert rows["From"] == "Fixture Shop &lt;help@fixture.example&gt;" and "Message-ID" in rows
    assert f'<pre class="text" id="text" dir="rtl" lang="ar">{html.escape(em.text, quote=False)}' in body(
        app.handle("/t/hello?locale=ar"))
    assert app.handle("/t/hello?tab=nope").status == 404 and app.handle("/t/hello?mode=nope").status == 404


# --- lint ---------------------------------------------------------------------------------


@pytest.fixture
def es_project(tmp_path) -> Path:
    """The fixture project plus an es catalog written for Babel's older Spanish plural rule
    (a catalog finding) that lacks the templates' messages (findings in template files)."""
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    (project / "locales" / "es" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(FIXTURES / "es-older-rule.po", project / "locales" / "es" / "LC_MESSAGES" / "tplkit.po")
    config = project / "tplkit.toml"
    config.write_text(config.read_text().replace('locales = ["en", "ar"]', 'locales = ["en", "ar", "es"]'))
    return project


def test_catalog_findings_reach_the_page_and_the_grid(es_project):
    """Findings in the es .po are listed on every es page and counted in the grid's catalogs row;
    a message missing from it is listed (and counted) with the template that uses it."""
    from tplkit.lint import lint

    app = PreviewApp(es_project)
    _, kit, _ = app.state()
    every = lint(kit)
    po = [f for f in every if f.locale == "es" and f.file and f.file.endswith(".po")]
    assert {f.rule for f in po} == {"plural-forms", "stale-message"}
    hello_dir = kit.store.folder("hello").resolve()
    hello = [f for f in every if (not f.locale or "es" in f.locales) and (
        f.template == "hello" or (f.file and Path(f.file).is_relative_to(hello_dir)))]
    assert any(f.rule == "missing-translation" and "is not translated to 'es'" in f.message
               for f in hello)
    page = body(app.handle("/t/hello?locale=es"))
    listed = re.search(r'<ul class="findings" id="catalog-findings">(.*?)</ul>', page, re.DOTALL).group(1)
    assert listed.count("<li ") == len(po)
    for f in po:
        assert escape(f.message) in listed
    assert "locales/es/LC_MESSAGES/tplkit.po:5" in listed.replace("<wbr>", "")
    own = re.search(r'<ul class="findings" id="findings">(.*?)</ul>', page, re.DOTALL).group(1)
    assert own.count("<li ") == len(hello)
    assert escape("'Hello %(name)s' is not translated to 'es'") in own
    assert 'id="catalog-findings"' not in body(app.handle("/t/hello?locale=ar"))
    index = body(app.handle("/"))
    row = re.search(r'<tr class="catalogs" id="catalog-row">(.*?)</tr>', index, re.DOTALL).group(1)
    assert re.search(rf'data-locale="es" data-catalog-lint="{len(po)}"', row)
    assert re.search(r'data-locale="ar" data-catalog-lint="0"', row)
    cell = re.search(r'<tr data-template="hello">.*?data-locale="es" data-status="ok"\s+data-lint="(\d+)"',
                     index, re.DOTALL)
    assert int(cell.group(1)) == len(hello)


def test_page_lists_exactly_the_linters_findings_for_the_combination(app):
    """Every finding lint(kit) reports for hello/ar (template, its locale, catalog ar, project) is on
    the page, and no other."""
    from tplkit.lint import lint

    _, kit, _ = app.state()
    folder = kit.store.folder("showcase").resolve()
    every = lint(kit)
    mine = [f for f in every if (f.template == "showcase" or (f.file and Path(f.file).is_relative_to(folder)))
            and (not f.locale or "ar" in f.locales)]   # one finding per defect: "ar, en"
    catalog = [f for f in every if not f.template and "ar" in f.locales
               and not (f.file and Path(f.file).is_relative_to(folder))]
    general = [f for f in every if not f.template and not f.locale]
    page = body(app.handle("/t/showcase?locale=ar"))
    lint_part = page[page.index("<h2>Lint</h2>"):]
    assert lint_part.count("<li class=") == len(mine) + len(catalog) + len(general)
    for f in mine + catalog + general:
        assert f'data-rule="{f.rule}"' in lint_part
    cell = re.search(r'<tr data-template="showcase">.*?data-locale="ar" data-status="ok"\s+data-lint="(\d+)"',
                     body(app.handle("/")), re.DOTALL)
    assert int(cell.group(1)) == len(mine)


# --- last good preview ------------------------------------------------------------------------


def test_broken_template_keeps_the_last_good_preview(tmp_path):
    """When a template stops compiling, its page shows the error beside the last good email."""
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    app = PreviewApp(project)
    assert app.handle("/t/hello?locale=en").status == 200
    bodyfile = project / "templates" / "hello" / "body.mjml"
    bodyfile.write_text(bodyfile.read_text().replace("{% if order_total %}", "{% if order_total %"))
    page = body(app.handle("/t/hello?locale=en"))
    assert 'id="template-error"' in page and "Showing the last good rendering of hello/en" in page
    assert 'id="subject">Hello Layla<' in page
    frame = app.handle("/t/hello/email.html?locale=en")
    assert frame.status == 200 and frame.headers["X-Tplkit-Stale"] == "last good rendering"


# --- test send ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    with serving() as inbox:
        yield inbox


@pytest.fixture
def send_project(tmp_path, smtp) -> Path:
    """The fixture project with ``[preview] smtp`` pointing at the loopback test server."""
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    config = project / "tplkit.toml"
    config.write_text(config.read_text() + f'\n[preview]\nsmtp = "{smtp.address}"\n')
    return project


def post(server, target: str, fields: dict, origin: str | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(server.url.rstrip("/") + target, data=data, method="POST")
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_test_send_reaches_the_configured_smtp_server(send_project, smtp):
    """The page's form sends the shown email (locale, sample) to the configured server; shows the result."""
    app = PreviewApp(send_project)
    with running(app) as server:
        url = server.url + "t/hello?locale=ar&sample=big-order"
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        form = re.search(r'<form id="send-form".*?</form>', page, re.DOTALL).group(0)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
        fields = {k: html.unescape(v) for k, v in fields.items()}
        assert f"<code id=\"smtp\">{smtp.address}</code>" in page
        before = len(smtp.envelopes)
        status, result = post(server, "/t/hello/send", {**fields, "to": "lead@example.com"},
                              origin=server.url.rstrip("/"))
    assert status == 200
    assert re.search(rf'<p class="ok" id="send-result">sent to lead@example.com via {smtp.address} '
                     r"\(Message-ID &lt;[^&]+&gt;\)</p>", result)
    assert len(smtp.envelopes) == before + 1 and smtp.envelopes[-1].rcpt_tos == ["lead@example.com"]
    msg = smtp.message()
    assert msg["Subject"] == "مرحبا Omar" and msg["To"] == "lead@example.com"
    assert msg["From"] == "Fixture Shop <help@fixture.example>"


def test_test_send_refusals_are_shown_and_nothing_is_sent(send_project, smtp):
    """A refused recipient and a bad address are reported on the page; a foreign or tokenless form
    is refused before anything is sent."""
    app = PreviewApp(send_project)
    with running(app) as server:
        base = {"token": app.token, "locale": "en"}
        status, page = post(server, "/t/hello/send", {**base, "to": "nobody@refused.example"})
        assert status == 200 and '<p class="error" id="send-result">not sent: SMTP server' in page
        assert "refused recipient(s): nobody@refused.example" in page
        before = len(smtp.envelopes)
        status, page = post(server, "/t/hello/send", {**base, "to": "a@example.com\r\nBcc: x@evil.example"})
        assert status == 200 and 'id="send-result">not sent:' in page
        assert post(server, "/t/hello/send", {"locale": "en", "to": "a@example.com"})[0] == 403
        assert post(server, "/t/hello/send", {**base, "to": "a@example.com"},
                    origin="http://attacker.example")[0] == 403
        assert post(server, "/t/hello", {**base, "to": "a@example.com"})[0] == 405
        assert len(smtp.envelopes) == before


def test_test_send_defaults_to_loopback(kit):
    """Without a [preview] table the test send goes to localhost:25, never elsewhere."""
    from tplkit.preview.sending import smtp_settings

    assert smtp_settings(kit)["smtp"] == "localhost:25"


# --- spam score ---------------------------------------------------------------------------


SPAM_OUTPUT = FIXTURES / "spamassassin-t.txt"


def test_spamassassin_report_is_parsed():
    """Score, threshold, verdict and every rule (wrapped descriptions joined) from a real -t output."""
    report = spam.parse_report(SPAM_OUTPUT.read_text())
    assert (report.score, report.required, report.is_spam, report.version) == (0.7, 5.0, False, "4.0.1")
    assert [r.name for r in report.rules] == ["NO_RECEIVED", "NO_RELAYS", "HTML_FONT_LOW_CONTRAST",
                                              "HTML_MESSAGE", "HTML_IMAGE_RATIO_06", "T_REMOTE_IMAGE"]
    assert report.rules[2].description == "BODY: HTML font color similar or identical to background"
    with pytest.raises(spam.SpamCheckError, match="gave no score"):
        spam.parse_report("Subject: x\n\nbody\n")


def test_spam_panel_shows_spamassassins_score_for_the_eml(app, kit):
    """The spam tab runs the real spamassassin -t -L on the .eml and shows its score and rules."""
    if not spam.available():
        why = "SpamAssassin is not installed (apt-get install spamassassin; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    page = body(app.handle("/t/hello?tab=spam"))
    score = re.search(r'<p id="spam-score" class="good">SpamAssassin [\d.]+: '
                      r'score\s*<strong>(-?[\d.]+)</strong>', page)
    assert score, page[page.find('id="panel-spam"'):][:500]
    eml = app.handle("/t/hello/email.eml").body
    direct = subprocess.run(["spamassassin", "-t", "-L"], input=eml, capture_output=True, check=True).stdout
    assert float(score.group(1)) == spam.parse_report(direct.decode()).score
    assert "<code>HTML_MESSAGE</code>" in page


def test_spam_panel_without_spamassassin_says_how_to_install(app, monkeypatch):
    """Without the spamassassin program, the panel tells how to install it."""
    monkeypatch.setenv("PATH", "/nonexistent")
    page = body(app.handle("/t/hello?tab=spam"))
    assert '<p class="note" id="spam-missing">SpamAssassin is not installed. On Debian or Ubuntu: ' \
           "sudo apt-get install spamassassin" in page


# --- client compatibility -----------------------------------------------------------------


def test_compat_snapshot_is_dated_and_licensed():
    """The vendored caniemail data says which package version and date it is, and ships its licence."""
    snap = compat.snapshot()
    assert re.fullmatch(r"caniemail@\d+\.\d+\.\d+", snap.package)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", snap.fetched)
    assert re.match(r"\d{4}-\d\d-\d\d", snap.last_update_date)
    assert "MIT License" in compat.LICENSE.read_text() and "Avi Goldman" in compat.LICENSE.read_text()


def test_compat_hints_name_clients_support_and_template_line(app):
    """caniemail's verdicts for the reported clients, with the line of the template that wrote it."""
    hints = {h.slug: h for h in compat.check(
        '<html><body><div style="border-radius: 6px; display: flex">x</div></body></html>',
        [FIXTURES / "compat-source.mjml"])}
    radius = hints["css-border-radius"]
    outlook = next(c for c in radius.clients if c.client == "Outlook (Windows)")
    assert outlook.support == "unsupported" and "RoundRect" in " ".join(outlook.notes)
    assert radius.source == (str(FIXTURES / "compat-source.mjml"), 3) and radius.html_line == 1
    assert "css-display-flex" in hints
    feature = compat.features()["css-border-radius"]["stats"]["outlook"]["windows"]
    assert list(feature.values())[-1].startswith("n")
    assert all(c.client != "Outlook (macOS)" for c in radius.clients)   # supported there
    page = body(app.handle("/t/showcase?tab=compat"))
    assert re.search(r'<li data-slug="css-at-media-prefers-color-scheme"><a href="https://www.caniemail.com/'
                     r'features/css-at-media-prefers-color-scheme/"', page)
    assert re.search(r'from <code>templates/showcase/body.mjml:\d+</code>', page.replace("<wbr>", ""))
    assert "Gmail (web)" in page


def test_compat_refresh_command_usage():
    """The refresh command explains itself when called wrongly (refreshing needs npm and the registry)."""
    done = subprocess.run([sys.executable, "-m", "tplkit.preview.compat"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "usage: python -m tplkit.preview.compat refresh [VERSION]" in done.stderr


def test_compat_slim_keeps_reported_clients_only():
    """Refreshing keeps the features' titles, links, notes and the reported families' stats."""
    data = {"last_update_date": "2026-01-02", "api_version": "1", "data": [
        {"slug": "css-x", "title": "x", "url": "u", "category": "css", "notes_by_num": {"1": "n"},
         "stats": {"gmail": {"ios": {"1": "y"}}, "orange": {"ios": {"1": "n"}}}}]}
    out = compat.slim(data, "caniemail@9.9.9", "2026-02-03")
    assert out["snapshot"] == {"package": "caniemail@9.9.9", "last_update_date": "2026-01-02",
                               "fetched": "2026-02-03", "api_version": "1"}
    assert out["features"]["css-x"]["stats"] == {"gmail": {"ios": {"1": "y"}}}
    assert json.loads(json.dumps(out)) == out


def test_wrapping_filter_escapes_and_only_adds_break_chances():
    """wbr() escapes its value and adds <wbr> only after URL/path/list separators."""
    from tplkit.preview.app import wbr

    assert str(wbr("https://x.example/a?b=1&c=2")) == (
        "https://<wbr>x.example/<wbr>a?<wbr>b=<wbr>1&amp;<wbr>c=<wbr>2")
    assert str(wbr("<script>x|y</script>")) == "&lt;script&gt;x|<wbr>y&lt;/<wbr>script&gt;"
    assert str(wbr("customer_name")) == "customer_name"
