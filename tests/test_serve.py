"""`tplkit serve`: routes, pages, safety headers, live reload and the command itself (no browser)."""
from __future__ import annotations

import email
import email.policy
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import types
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from markupsafe import escape

import tplkit
from tplkit.cli import main
from tplkit.errors import PlaceholderError
from tplkit.preview import PreviewApp
from tplkit.preview.server import running
from tplkit.preview.watch import fingerprint

PROJECT = Path(__file__).parent / "fixtures" / "serve" / "project"
REPO = Path(__file__).parent.parent


@dataclass
class FakeFinding:
    rule: str
    severity: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    template: str | None
    locale: str | None


FAKE_FINDINGS = [
    FakeFinding("fake-rule", "warning", "a finding for hello in Arabic", "hello/body.mjml", 6, 1,
                "hello", "ar"),
    FakeFinding("fake-wide", "error", "a finding for hello in every locale", "hello/template.toml", 1,
                None, "hello", None),
]


def fake_lint_module(findings=FAKE_FINDINGS, fail: bool = False) -> types.ModuleType:
    """A stand-in for ``tplkit.lint`` with the documented ``lint(kit, templates, locales)`` API."""
    mod = types.ModuleType("tplkit.lint")

    def lint(kit, templates=None, locales=None):
        if fail:
            raise RuntimeError("rule exploded")
        return [f for f in findings if (not templates or f.template in templates or f.template is None)
                and (not locales or f.locale is None or f.locale in locales)]

    mod.lint = lint
    return mod


@pytest.fixture(scope="module")
def app():
    """One preview app over the fixture project (read-only tests share its compiled cache)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "tplkit.lint", fake_lint_module())
        yield PreviewApp(PROJECT)


@pytest.fixture(scope="module")
def fixture_kit():
    return tplkit.Kit(PROJECT)


@pytest.fixture
def project(tmp_path) -> Path:
    """A private copy of the fixture project, for tests that edit files."""
    dest = tmp_path / "project"
    shutil.copytree(PROJECT, dest)
    return dest


def esc(value) -> str:
    """``value`` as the pages' autoescaping Jinja writes it."""
    return str(escape(value))


def text(resp) -> str:
    return resp.body.decode("utf-8")


def grid(body: str) -> dict[tuple[str, str], tuple[str, int]]:
    """``(template, locale) -> (status, lint count)`` from the index page's grid."""
    out = {}
    for row in re.finditer(r'<tr data-template="([^"]+)">(.*?)</tr>', body, re.DOTALL):
        for cell in re.finditer(r'data-locale="([^"]+)" data-status="([^"]+)"\s+data-lint="(\d+)"',
                                row.group(2)):
            out[(row.group(1), cell.group(1))] = (cell.group(2), int(cell.group(3)))
    return out


def edit(path: Path, old: str, new: str) -> None:
    """Change a file and move its mtime forward (so coarse timestamps still differ)."""
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


# --- the index -------------------------------------------------------------------------------


def test_index_lists_every_template_with_category_and_description(app, fixture_kit):
    """The index has every template (built-in and the project's) with its category and description."""
    body = text(app.handle("/"))
    assert {"hello", "broken", "acknowledgement", "feedback-request"} <= set(fixture_kit.template_names())
    for name in fixture_kit.template_names():
        assert f'<a href="/t/{name}">{name}</a>' in body
        if name == "bad-manifest":
            continue   # see test_broken_manifest_is_shown_on_index_and_page
        info = fixture_kit.template(name)
        assert esc(info.description) in body and f'<td class="cat">{esc(info.category)}</td>' in body
    assert re.search(r'href="/t/hello">hello</a>\s*<span class="badge">project</span>', body)


def test_index_grid_shows_render_status_and_lint_counts(app, fixture_kit):
    """Each template x locale cell says whether it renders and how many lint findings it has."""
    cells = grid(text(app.handle("/")))
    assert set(cells) == {(n, loc) for n in fixture_kit.template_names() for loc in ("en", "ar")}
    assert cells[("hello", "ar")] == ("ok", 2)      # its own finding + the template-wide one
    assert cells[("hello", "en")] == ("ok", 1)
    assert cells[("broken", "en")][0] == "error" and cells[("broken", "ar")][0] == "error"
    assert cells[("acknowledgement", "ar")] == ("ok", 0)
    assert cells[("bad-manifest", "en")][0] == "error"
    body = text(app.handle("/"))
    assert re.search(r'data-status="error"\s+data-lint="0" title="[^"]*broken/body\.mjml:5: template syntax',
                     body)


# --- a template page -------------------------------------------------------------------------


def test_template_page_shows_the_email_as_an_inbox_would(app, fixture_kit):
    """Subject, preheader, From/To and the text part on the page are those of the rendered email."""
    body = text(app.handle("/t/hello?locale=ar"))
    em = fixture_kit.render("hello", fixture_kit.template("hello").sample, locale="ar")
    assert em.subject == "مرحبا Layla" and em.preheader == "رسالة قصيرة منا"
    assert f'<span class="subject" id="subject">{esc(em.subject)}</span>' in body
    assert f'<span class="preheader" id="preheader">{esc(em.preheader)}</span>' in body
    assert "<th>From</th><td>Fixture Shop &lt;help@fixture.example&gt;</td>" in body
    assert "<th>To</th><td>customer@example.com</td>" in body
    assert f'<pre class="text" id="text" dir="rtl" lang="ar">{esc(em.text)}</pre>' in body


def test_email_is_isolated_in_a_sandboxed_iframe_with_strict_csp(app, fixture_kit):
    """The HTML is only in an iframe sandboxed without scripts (same origin, so the page can measure
    its height), served from its own URL with a CSP that forbids scripts and repeats the sandbox."""
    body = text(app.handle("/t/hello?locale=ar"))
    frames = re.findall(r"<iframe[^>]*>", body)
    assert len(frames) == 1
    assert 'sandbox="allow-same-origin"' in frames[0] and "allow-scripts" not in body
    src = html.unescape(re.search(r'src="([^"]+)"', frames[0]).group(1))
    assert src == "/t/hello/email.html?locale=ar"
    resp = app.handle(src)
    assert resp.status == 200
    assert text(resp) == fixture_kit.render("hello", fixture_kit.template("hello").sample, locale="ar").html
    csp = resp.all_headers()["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert csp.endswith("; sandbox allow-same-origin") and "allow-scripts" not in csp
    assert resp.all_headers()["X-Content-Type-Options"] == "nosniff"
    page_csp = app.handle("/t/hello").all_headers()["Content-Security-Policy"]
    assert "script-src 'self'" in page_csp and "unsafe-inline" not in page_csp


def test_rtl_locale_is_displayed_right_to_left(app):
    """An Arabic page shows subject, preheader and text right-to-left; English stays left-to-right."""
    ar = text(app.handle("/t/hello?locale=ar"))
    assert '<section class="inbox" id="inbox" dir="rtl" lang="ar">' in ar
    assert 'data-locale="ar">ar</a>' in ar and 'class="on" data-locale="ar"' in ar
    en = text(app.handle("/t/hello?locale=en"))
    assert '<section class="inbox" id="inbox" dir="ltr" lang="en">' in en
    assert 'dir="rtl"' in en   # only on the switcher's "ar" link
    assert en.count('dir="rtl"') == 1


def test_eml_download_is_the_multipart_message(app, fixture_kit):
    """The .eml link downloads the multipart/alternative message with the rendered parts."""
    body = text(app.handle("/t/hello?locale=ar&sample=big-order"))
    href = html.unescape(re.search(r'<a id="eml" href="([^"]+)" download>', body).group(1))
    resp = app.handle(href)
    assert resp.content_type == "message/rfc822"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="hello-ar.eml"'
    msg = email.message_from_bytes(resp.body, policy=email.policy.default)
    em = fixture_kit.render("hello", fixture_kit.template("hello").samples["big-order"], locale="ar")
    assert msg["Subject"] == em.subject == "مرحبا Omar"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    assert msg.get_payload()[0].get_content().replace("\r\n", "\n").rstrip() == em.text.rstrip()


def test_sample_switcher_and_placeholder_table(app, fixture_kit):
    """Every sample is a link; choosing one renders it; the placeholder table lists every placeholder."""
    body = text(app.handle("/t/hello?locale=en&sample=big-order"))
    assert 'data-sample="default"' in body and 'class="on">big-order</a>' in body
    em = fixture_kit.render("hello", fixture_kit.template("hello").samples["big-order"], locale="en")
    assert "€1,250.00" in em.text and esc(em.text) in body
    table = re.search(r'<table class="placeholders".*?</table>', body, re.DOTALL).group(0)
    assert '<code class="name">customer_name</code>' in table
    assert '<code class="name">order_total</code>' in table
    assert '<td data-label="type">money</td>' in table and "Who the email is for." in table
    assert app.handle("/t/hello?sample=nope").status == 404


def test_desktop_and_mobile_widths(app):
    """The iframe is 600 px wide by default, 375 px in the mobile view and 320 px in the narrow one."""
    assert 'width="600"' in text(app.handle("/t/hello"))
    for view, px in (("mobile", 375), ("narrow", 320)):
        page = text(app.handle(f"/t/hello?view={view}"))
        assert f'width="{px}"' in page and f'class="frame {view} mode-email"' in page
        assert f"view={view}" in re.search(r"<iframe[^>]*>", page).group(0)
    assert app.handle("/t/hello?view=tablet").status == 404


def test_edited_context_rerenders(app):
    """A context submitted as JSON re-renders the email with those values."""
    ctx = json.dumps({"customer_name": "Zaid", "order_total": "3.00 EUR"})
    body = text(app.handle(f"/t/hello?locale=ar&ctx={quote(ctx)}"))
    assert "مرحبا Zaid" in body and 'id="problems"' not in body
    assert esc(ctx) in body   # the editor keeps what was typed


def test_context_problems_are_shown_inline_all_of_them(app, fixture_kit):
    """A bad context lists every placeholder problem on the page, beside the last good email."""
    bad = {"order_total": "lots", "custmer_name": "Zaid"}
    with pytest.raises(PlaceholderError) as exc:
        fixture_kit.render("hello", bad, locale="en")
    resp = app.handle(f"/t/hello?ctx={quote(json.dumps(bad))}")
    body = text(resp)
    assert resp.status == 200 and "<iframe" in body
    assert "Showing the last good rendering of hello/en" in body
    problems = re.search(r'<div class="error" id="problems">(.*?)</div>', body, re.DOTALL).group(1)
    assert f"{len(exc.value.problems)} problems with this context" in problems
    assert len(exc.value.problems) == 3
    for p in exc.value.problems:
        assert f"<li>{esc(str(p))}</li>" in problems
    assert re.search(r'<tr class="bad">\s*<td data-label="name"><code class="name">customer_name</code>'
                     r'<div class="why">', body)
    frame = app.handle(f"/t/hello/email.html?ctx={quote(json.dumps(bad))}")
    assert frame.status == 200 and frame.headers["X-Tplkit-Stale"] == "last good rendering"
    assert "Hello Layla" in text(frame)


def _json_error(ctx: str) -> str:
    """Where and why the standard library's parser rejects ``ctx`` (its words and its position
    changed in Python 3.13: a trailing comma is now reported at the comma)."""
    try:
        json.loads(ctx)
    except json.JSONDecodeError as e:
        return f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
    raise AssertionError(f"{ctx!r} parses")


@pytest.mark.parametrize("ctx, message", [
    ('{\n  "customer_name": "Zaid",\n}', None),
    ('{"customer_name": "Zaid" "ticket_id": 1}', None),
    ('["Zaid"]', "the context must be a JSON object"),
])
def test_unparsable_context_is_an_inline_error(app, ctx, message):
    """Invalid JSON (with line and column) or a non-object is reported inline, and the text is kept."""
    body = text(app.handle(f"/t/hello?ctx={quote(ctx)}"))
    assert esc(message or _json_error(ctx)) in body and esc(ctx) in body


def test_lint_findings_for_the_combination(app):
    """The page lists the lint findings of its template and locale (and template-wide ones)."""
    ar = text(app.handle("/t/hello?locale=ar"))
    assert "a finding for hello in Arabic" in ar and "a finding for hello in every locale" in ar
    assert '<code class="file">hello/<wbr>body.mjml:6</code>' in ar
    en = text(app.handle("/t/hello?locale=en"))
    assert "a finding for hello in Arabic" not in en and "a finding for hello in every locale" in en
    assert 'id="findings-none"' in text(app.handle("/t/acknowledgement?locale=en"))


def test_broken_template_shows_its_error_and_the_rest_works(app):
    """A template that does not compile shows file and line on its page; others still render."""
    body = text(app.handle("/t/broken?locale=ar"))
    err = re.search(r'<section class="error" id="template-error">(.*?)</section>', body, re.DOTALL).group(1)
    assert f'<div class="where">{PROJECT / "templates" / "broken" / "body.mjml"}:5</div>' in err
    assert "template syntax error" in err
    assert '<span class="hit"><span class="ln">5</span>' in err    # the offending line is shown
    assert '<code class="name">customer_name</code>' in body        # the manifest still is
    assert app.handle("/t/hello").status == 200 and "<iframe" in text(app.handle("/t/hello"))


def test_broken_manifest_is_shown_on_index_and_page(app):
    """A manifest with a TOML error is marked broken on the index and its page names file and line."""
    manifest = PROJECT / "templates" / "bad-manifest" / "template.toml"
    index = text(app.handle("/"))
    row = re.search(r'<tr data-template="bad-manifest">(.*?)</tr>', index, re.DOTALL).group(1)
    assert '<td class="cat bad">broken</td>' in row and f"{manifest}:2:12: invalid TOML" in row
    body = text(app.handle("/t/bad-manifest?locale=ar"))
    assert f'<div class="where">{manifest}:2:12</div>' in body
    assert '<span class="hit"><span class="ln">2</span>category = test' in body


def test_unexpected_exception_in_one_template_is_contained(monkeypatch):
    """An unexpected exception while rendering one template is shown on its page; others render."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", None)
    real = tplkit.Kit.render

    def render(self, name, *args, **kwargs):
        if name == "hello":
            raise RuntimeError("boom")
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(tplkit.Kit, "render", render)
    app = PreviewApp(PROJECT)
    resp = app.handle("/t/hello")
    assert resp.status == 200 and "internal error: RuntimeError: boom" in text(resp)
    assert "<iframe" in text(app.handle("/t/acknowledgement"))


# --- lint availability -----------------------------------------------------------------------


def test_lint_unavailable_degrades_gracefully(monkeypatch):
    """Without tplkit.lint, pages say "lint unavailable" instead of failing."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", None)
    body = text(PreviewApp(PROJECT).handle("/t/hello"))
    assert re.search(r'<p class="note" id="lint-note">lint unavailable \(', body)


def test_lint_failure_is_a_note(monkeypatch):
    """A lint crash becomes a note on the page; the email is still shown."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", fake_lint_module(fail=True))
    body = text(PreviewApp(PROJECT).handle("/t/hello"))
    assert "lint failed: RuntimeError: rule exploded" in body and "<iframe" in body


def test_real_lint_runs_on_the_preview():
    """With the real tplkit.lint, the page shows exactly the findings lint(kit) returns for the
    combination: the template's, its locale's catalog and the project-wide ones."""
    try:
        from tplkit.lint import lint
    except ImportError:
        pytest.skip("tplkit.lint is not available in this tree")
    app = PreviewApp(PROJECT)
    body = text(app.handle("/t/hello?locale=ar"))
    assert "lint failed" not in body and "lint unavailable" not in body
    _, kit, _ = app.state()
    folders = {n: kit.store.folder(n).resolve() for n in kit.template_names() if n != "bad-manifest"}

    def owner(f):
        return f.template or next((n for n, d in folders.items()
                                   if f.file and Path(f.file).is_relative_to(d)), None)

    findings = [f for f in lint(kit) if f.locale in (None, "ar") and owner(f) in ("hello", None)]
    assert body.count("<li class=") == len(findings)
    for f in findings:
        assert esc(f.message) in body


# --- safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/t/../tplkit.toml", "/t/..%2f..%2fetc%2fpasswd", "/t/%2e%2e/email.html", "/static/../app.py",
    "/static/..%2fapp.py", "/templates/hello/body.mjml", "/t/hello/body.mjml", "/t/hello/../../tplkit.toml",
    "/locales/ar/LC_MESSAGES/tplkit.po", "/t/_layouts", "/t/HELLO", "/t/hello?locale=../../etc",
    "/t/hello/email.html/x", "//etc/passwd",
])
def test_only_fixed_routes_are_served(app, path):
    """Paths that name files, traverse folders or use unknown names get 404 and no file contents."""
    resp = app.handle(path)
    assert resp.status == 404
    assert b"company_name" not in resp.body and b"msgstr" not in resp.body and b"<mj-" not in resp.body


@pytest.fixture
def live_server():
    """The real HTTP server on 127.0.0.1, an ephemeral port, in a thread (shut down afterwards)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "tplkit.lint", fake_lint_module())
        with running(PreviewApp(PROJECT)) as server:
            yield server


def raw_get(server, target: str, host: str | None = None) -> tuple[int, bytes]:
    """Send a request line exactly as given (no client-side path normalisation)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{server.port}'}\r\n"
                  f"Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_http_server_serves_pages_and_refuses_traversal(live_server):
    """Over real HTTP: pages and the email work, raw traversal paths and other methods do not."""
    assert raw_get(live_server, "/t/hello?locale=ar")[0] == 200
    assert raw_get(live_server, "/_version")[0] == 200
    for target in ("/../../../../etc/passwd", "/static/../../tplkit.toml", "/t/hello/../../tplkit.toml"):
        status, body = raw_get(live_server, target)
        assert status == 404 and b"root:" not in body and b"company_name" not in body
    req = urllib.request.Request(live_server.url + "t/hello", method="POST", data=b"x")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 405


def test_http_server_checks_host_header(live_server):
    """On loopback, a foreign Host header (DNS rebinding) is refused; localhost names are accepted."""
    assert raw_get(live_server, "/_version", host="attacker.example")[0] == 400
    assert raw_get(live_server, "/_version", host=f"localhost:{live_server.port}")[0] == 200


# --- live reload -----------------------------------------------------------------------------


def test_fingerprint_watches_templates_catalogs_and_config(project):
    """Template edits change the version; catalog and config edits also ask for a fresh Kit."""
    fp0 = fingerprint(project)
    (project / "templates" / "hello" / ".body.mjml.swp").write_text("x")
    (project / "templates" / "hello" / "body.mjml~").write_text("x")
    assert fingerprint(project) == fp0                 # editor temp files are ignored
    edit(project / "templates" / "hello" / "subject.txt", "Hello", "Hi")
    fp1 = fingerprint(project)
    assert fp1.version != fp0.version and fp1.settings == fp0.settings
    edit(project / "locales" / "ar" / "LC_MESSAGES" / "tplkit.po", "مرحبا", "أهلا")
    fp2 = fingerprint(project)
    assert fp2.version != fp1.version and fp2.settings != fp1.settings
    edit(project / "tplkit.toml", "Fixture Shop", "Other Shop")
    fp3 = fingerprint(project)
    assert fp3.version != fp2.version and fp3.settings != fp2.settings


def test_saved_files_show_up_without_restart(project, monkeypatch):
    """Editing a template, a catalog and the config changes the next page, with the same app."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", None)
    app = PreviewApp(project)
    page = text(app.handle("/t/hello?locale=ar"))
    version = re.search(r'data-version="(\w+)"', page).group(1)
    assert "مرحبا Layla" in page and "Fixture Shop &lt;" in page

    edit(project / "templates" / "hello" / "subject.txt", "{% trans", "[{{ customer_name }}] {% trans")
    page = text(app.handle("/t/hello?locale=ar"))
    assert re.search(r'id="subject">\[Layla\] مرحبا Layla<', page)
    assert json.loads(app.handle("/_version").body)["version"] != version

    edit(project / "locales" / "ar" / "LC_MESSAGES" / "tplkit.po", '"مرحبا %(name)s"', '"أهلا %(name)s"')
    assert "أهلا Layla" in text(app.handle("/t/hello?locale=ar"))

    edit(project / "tplkit.toml", "Fixture Shop", "Renamed Shop")
    assert "<th>From</th><td>Renamed Shop &lt;help@fixture.example&gt;</td>" in text(
        app.handle("/t/hello?locale=ar"))


def test_new_and_broken_templates_while_serving(project, monkeypatch):
    """A template added while serving appears; one broken while serving shows its error; others render."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", None)
    app = PreviewApp(project)
    assert app.handle("/t/hello2").status == 404
    shutil.copytree(project / "templates" / "hello", project / "templates" / "hello2")
    assert app.handle("/t/hello2").status == 200

    edit(project / "templates" / "hello" / "body.mjml", "{% endtrans %}</p>\n          {% if",
         "{% endtrans %}</p>\n          {{ customer_name|nosuchfilter }}{% if")
    body = text(app.handle("/t/hello"))
    assert f"{project / 'templates' / 'hello' / 'body.mjml'}:7" in body and "nosuchfilter" in body
    assert "<iframe" in text(app.handle("/t/hello2"))


def test_broken_config_is_shown_until_fixed(project, monkeypatch):
    """A config file that fails to load is shown with file and line; fixing it brings the site back."""
    monkeypatch.setitem(sys.modules, "tplkit.lint", None)
    app = PreviewApp(project)
    assert app.handle("/t/hello").status == 200
    cfg = project / "tplkit.toml"
    edit(cfg, 'email = "help@fixture.example"', 'email = "help@fixture.example')
    resp = app.handle("/t/hello")
    assert resp.status == 500 and f"{cfg}:8:" in text(resp) and "invalid TOML" in text(resp)
    assert app.handle("/_version").status == 200
    edit(cfg, 'email = "help@fixture.example', 'email = "help@fixture.example"')
    assert app.handle("/t/hello").status == 200


# --- the command -----------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_command_prints_url_and_stops_on_ctrl_c(stop):
    """`tplkit serve PROJECT --port 0` prints its loopback URL, serves, and exits 0 on Ctrl-C or SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-m", "tplkit", "serve", str(PROJECT), "--port", "0", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        line = proc.stdout.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        with urllib.request.urlopen(url + "_version", timeout=10) as r:
            assert "version" in json.loads(r.read())
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip() == "stopped" and "Traceback" not in err


def test_serve_command_errors_are_one_line(tmp_path):
    """A missing project folder or a port in use is one error line, not a traceback."""
    res = CliRunner().invoke(main, ["serve", str(tmp_path / "nope")])
    assert res.exit_code == 1 and res.output.startswith("error: project folder does not exist")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        res = CliRunner().invoke(main, ["serve", str(PROJECT), "--port", str(s.getsockname()[1])])
    assert res.exit_code == 1 and res.output.startswith("error: cannot listen on 127.0.0.1:")
