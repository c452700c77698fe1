"""Adversarial suite (issue 12): every way out of the sandbox, the catalogs and the file tree.

Each class of attack has a fixture project under ``tests/fixtures/hostile/`` with one template
(or catalog) per variant, and one parametrised test asserting the refusal: a
:class:`tplkit.TplkitError` subclass naming template, file and line, never a Python repr, a
foreign exception, or the content of a file outside the project. Limits are made small with
:func:`tplkit.limits.limited` so the bombs are refused quickly.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit import limits
from tplkit.cli import main
from tplkit.errors import CatalogError, HeaderError, SecurityError, TemplateSourceError, TplkitError
from tplkit.preview import PreviewApp
from tplkit.preview.server import running
from tplkit.safety import ALLOWED_HEADERS, FileOutsideProject

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
REPR = re.compile(r"<[\w.]+ object at 0x|0x[0-9a-f]{6,}|<function |<class |<built-in|<generator ")
SMALL = {"size": 20_000, "format_width": 1_000, "iterations": 5_000, "output": 200_000}


def hostile_templates(project: str) -> list[str]:
    return sorted(p.name for p in (HOSTILE / project / "templates").iterdir()
                  if p.is_dir() and not p.name.startswith("_"))


def body_of(project: str, name: str) -> str:
    return str(HOSTILE / project / "templates" / name / "body.mjml")


# --- 1. files: nothing outside the project is ever read --------------------------------------

SECRET = "TOP-SECRET-7f3a9c"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the project holding a secret file of every kind a project reads."""
    d = tmp_path / "outside"
    d.mkdir()
    for name in ("secret.txt", "secret.po", "secret.toml"):
        (d / name).write_text(f"{SECRET}\n")
    (d / "secret.mjml").write_text(f'<p>{{{{ _("{SECRET}") }}}}</p>\n')   # extractable, too
    (d / "folder").mkdir()
    (d / "folder" / "page.mjml").write_text(f"<mjml><mj-body>{SECRET}</mj-body></mjml>\n")
    (d / "folder" / "note.mjml").write_text(f"{SECRET}\n")
    (d / "folder" / "tplkit.po").write_text(f"{SECRET}\n")
    return d


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the ``files`` fixture project the tests can plant symlinks in."""
    dst = tmp_path / "project"
    shutil.copytree(HOSTILE / "files", dst)
    return dst


# (path inside the project replaced by a symlink, what it points at outside)
LINKS = {
    "subject": ("templates/letter/subject.txt", "secret.txt"),
    "preheader": ("templates/letter/preheader.txt", "secret.txt"),
    "body": ("templates/letter/body.mjml", "secret.mjml"),
    "text-body": ("templates/letter/body.txt", "secret.txt"),
    "manifest": ("templates/letter/template.toml", "secret.toml"),
    "included-component": ("templates/_components/note.mjml", "secret.mjml"),
    "layout": ("templates/_layouts/page.mjml", "secret.mjml"),
    "layouts-folder": ("templates/_layouts", "folder"),
    "components-folder": ("templates/_components", "folder"),
    "catalog": ("locales/de/LC_MESSAGES/tplkit.po", "secret.po"),
    "catalog-folder": ("locales/de/LC_MESSAGES", "folder"),
    "config": ("tplkit.toml", "secret.toml"),
}


def plant(project: Path, outside: Path, variant: str, *, relative: bool = False) -> Path:
    rel, target = LINKS[variant]
    link = project / rel
    if link.is_dir():
        shutil.rmtree(link)
    elif link.exists():
        link.unlink()
    dest = outside / target
    link.symlink_to(os.path.relpath(dest, link.parent) if relative else dest)
    return link


def render_de(project: Path) -> tplkit.RenderedEmail:
    kit = tplkit.Kit(project)
    return kit.render("letter", {"customer_name": "Olena"}, locale="de")


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
@pytest.mark.parametrize("variant", sorted(LINKS))
def test_symlink_out_of_the_project_is_refused(project, outside, variant, relative):
    """A symlink (absolute or relative) from any file or folder the project reads to a file
    outside it is refused with an error naming the link; the secret never appears."""
    link = plant(project, outside, variant, relative=relative)
    with pytest.raises(TplkitError) as info:
        render_de(project)
    err = info.value
    assert SECRET not in str(err)
    if variant not in ("config",):
        assert isinstance(err, (FileOutsideProject, TemplateSourceError, CatalogError))
    assert "outside the project" in str(err), str(err)
    assert err.file is not None and Path(err.file).is_relative_to(link) or Path(err.file) == link


@pytest.mark.parametrize("variant", ["body", "included-component", "catalog", "layouts-folder"])
def test_symlink_out_of_the_project_never_reaches_lint_build_or_preview(project, outside, variant):
    """lint, build and the preview page report a planted symlink without its target's text."""
    plant(project, outside, variant)
    res = CliRunner().invoke(main, ["--project", str(project), "lint"])
    assert res.exit_code == 1 and SECRET not in res.output and "Traceback" not in res.output
    assert "outside the project" in res.output and "internal-error" not in res.output
    res = CliRunner().invoke(main, ["--project", str(project), "build", "-o", str(project.parent / "b")])
    assert res.exit_code != 0 and SECRET not in res.output and "Traceback" not in res.output
    assert "outside the project" in res.output
    page = PreviewApp(project).handle("/t/letter?locale=de")
    assert SECRET.encode() not in page.body
    res = CliRunner().invoke(main, ["--project", str(project), "i18n", "extract"])
    assert SECRET not in res.output and "Traceback" not in res.output
    pot = project / "locales" / "tplkit.pot"
    assert not pot.exists() or SECRET not in pot.read_text()


def test_preview_watcher_does_not_walk_out_of_the_project(project, tmp_path):
    """A symlinked folder pointing out of the project is not walked by the preview's watcher."""
    from tplkit.config import Layout

    far = tmp_path / "far"
    (far / "deep").mkdir(parents=True)
    (far / "deep" / "x.mjml").write_text("x")
    (project / "templates" / "elsewhere").symlink_to(far)
    templates, _ = Layout(project).watched_files()
    assert templates and not any("elsewhere" in str(p) for p in templates)


def test_symlink_inside_the_project_is_allowed(project):
    """A symlink whose target stays inside the project is an ordinary file."""
    comp = project / "templates" / "_components"
    (comp / "real.mjml").write_text("<p>Inside {{ customer_name }}</p>\n")
    (comp / "note.mjml").unlink()
    (comp / "note.mjml").symlink_to("real.mjml")
    assert "Inside Olena" in render_de(project).text


# --- 2. translations are text, never template syntax -----------------------------------------

BREAKOUT_PAYLOADS = json.loads((HOSTILE / "breakout" / "payloads.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def breakout() -> dict[int, tplkit.RenderedEmail]:
    kit = tplkit.Kit(HOSTILE / "breakout")
    return {n: kit.render("letter", {"customer_name": "<b>x</b>", "count": n}, locale="de")
            for n in (1, 5)}


def squeeze(s: str) -> str:
    return re.sub(r"\s+", " ", s)


@pytest.mark.parametrize("index", range(len(BREAKOUT_PAYLOADS)), ids=lambda i: f"m{i:02d}")
def test_translation_that_looks_like_template_syntax_prints_as_written(breakout, index):
    """Every spelling of raw/endraw, tags, comments and slot tokens in a msgstr is printed
    literally in the text and HTML parts: nothing is evaluated (no 49)."""
    payload = squeeze(BREAKOUT_PAYLOADS[index])
    email = breakout[5]
    assert f"[{payload}]" in squeeze(email.text)
    html_text = squeeze(re.sub(r"<[^>]+>", "", email.html.replace("&#39;", "'")))
    assert f"[{payload}]" in html_text


def test_translations_never_evaluate(breakout):
    """No translation's ``{{ 7*7 }}`` became 49, and a value after a fake endraw stays escaped."""
    for email in breakout.values():
        assert "49" not in email.text and "49" not in email.html
        assert "<b>x</b>" not in email.html and "&lt;b&gt;x&lt;/b&gt;" in email.html
        assert "Hallo <b>x</b>" in email.text   # text parts are not escaped


def test_plural_translations_are_text_in_every_form(breakout):
    """Both plural forms (chosen per message at runtime) print their fake tags literally."""
    assert "[{%endraw%}{{ 7*7 }} one 1]" in breakout[1].text
    assert "[{%- endraw %}{{ 7*7 }} many 5]" in breakout[5].text


def test_plural_translations_with_a_context_are_text(breakout):
    """npgettext ({% trans "ctx" num=… %}) picks the context's forms, printed literally."""
    assert "[{%+ endraw %}{{ 7*7 }} Kiste 1]" in breakout[1].text
    assert "[{# #}{{ 7*7 }} Kisten 5]" in breakout[5].text


def test_msgctxt_entry_does_not_replace_the_plain_entry(breakout):
    """``msgctxt "button" / msgid "Open"`` and plain ``msgid "Open"`` keep their own texts
    (through {% trans "ctx" %} and pgettext alike)."""
    text = breakout[1].text
    assert "[Öffnen]" in text and "[{% endraw -%}{{ 7*7 }} Aufmachen]" in text
    assert "[{{ 7*7 }} Sichern] [Speichern]" in text


def test_subject_and_preheader_translations_are_text(breakout):
    """Header-bound parts print translated template syntax literally too."""
    assert breakout[1].subject == "[{%endraw%}{{ 7*7 }}]"
    assert breakout[1].preheader == "[{{ 7*7 }}]"


def test_lint_source_map_looks_up_translations_with_a_context():
    """lint's marking build environment answers pgettext/npgettext like the plain one (with
    origin marks), and linting the project crashes no rule."""
    from tplkit.lint import lint
    from tplkit.sourcemap import mapped_environment

    kit = tplkit.Kit(HOSTILE / "breakout")
    env = mapped_environment(kit.source.environment("de"))
    assert "Aufmachen" in env._pgettext("button", "Open")
    assert "Kisten" in env._npgettext("box", "%(num)s box", "%(num)s boxes", 5)
    findings = lint(kit)
    assert findings and not [f for f in findings if f.rule == "internal-error"]


def test_compiled_sources_hold_no_raw_blocks():
    """Literal text reaches runtime templates without {% raw %}: nothing to break out of."""
    compiled = tplkit.Kit(HOSTILE / "breakout").compile("letter", "de")
    for src in compiled.sources.values():
        assert not re.search(r"\{%[-+]?\s*(end)?raw", src)


# --- 3. template headers: an allow-list ------------------------------------------------------

HEADER_VARIANTS = [n for n in hostile_templates("headers") if n != "allowed"]


@pytest.mark.parametrize("name", HEADER_VARIANTS)
def test_routing_and_malformed_headers_are_refused_with_location(name):
    """Routing, structure and identity headers, and names or values that are not one header
    line, are a HeaderError naming the manifest and the key's line."""
    kit = tplkit.Kit(HOSTILE / "headers")
    with pytest.raises(HeaderError) as info:
        kit.render(name, {"customer_name": "Olena"})
    err = info.value
    manifest = HOSTILE / "headers" / "templates" / name / "template.toml"
    assert err.file == str(manifest) and err.template == name
    assert err.line == len(manifest.read_text().splitlines())   # the offending key, last


def test_allowed_headers_reach_the_message():
    """X-* and the listed automation headers are kept and written to the message."""
    kit = tplkit.Kit(HOSTILE / "headers")
    msg = kit.render("allowed", {"customer_name": "Olena"}).to_message(
        "help@shop.example", "olena@example.com")
    assert msg["X-Campaign"] == "returns-2026" and msg["Auto-Submitted"] == "auto-replied"
    assert msg["Precedence"] == "bulk" and msg["Bcc"] is None


def test_allow_list_holds_no_routing_header():
    """The allow-list itself has none of the headers that route or identify a message."""
    routing = {"to", "cc", "bcc", "from", "sender", "reply-to", "return-path", "resent-to",
               "disposition-notification-to", "return-receipt-to", "content-type", "message-id"}
    assert not routing & ALLOWED_HEADERS


# --- 4. resource limits ------------------------------------------------------------------------

@pytest.mark.parametrize("name", hostile_templates("limits"))
def test_unbounded_work_is_refused_with_location(name):
    """Each bomb (widths, repetition, ~, join, sum, replace, loops, big integers) is refused
    before it allocates, as a SecurityError naming template, file and line 3."""
    with limits.limited(**SMALL):
        kit = tplkit.Kit(HOSTILE / "limits")
        with pytest.raises(TemplateSourceError) as info:
            kit.render(name, {"customer_name": "Olena"})
    err = info.value
    assert "bounded work" in err.message or "adds numbers only" in err.message, err.message
    assert (err.template, err.file, err.line) == (name, body_of("limits", name), 3)


@pytest.mark.parametrize("name", [n for n in hostile_templates("limits") if n.startswith("issue-")])
def test_the_issues_examples_are_refused_under_the_default_limits(name):
    """The reported bombs ('%(a)999999s' * 9000 and the like) are refused with the default
    limits too, before formatting."""
    with pytest.raises(SecurityError) as info:
        tplkit.Kit(HOSTILE / "limits").render(name, {"customer_name": "Olena"})
    assert "bounded work" in info.value.message or "adds numbers only" in info.value.message
    assert info.value.line == 3


@pytest.mark.parametrize("name", hostile_templates("time"))
def test_deadline_is_checked_inside_each_operation(name):
    """Past the deadline, the first filter, call, operator, ~, % or loop step refuses, on its
    own line (not only every so many loop iterations)."""
    with limits.limited(seconds=-1), pytest.raises(SecurityError) as info:
        tplkit.Kit(HOSTILE / "time").render(name, {"customer_name": "Olena"})
    err = info.value
    assert "took longer than" in err.message
    assert (err.file, err.line) == (body_of("time", name), 3)


def test_limits_are_restored_after_the_block():
    """limits.limited changes the limits for its block only."""
    before = limits.current()
    with limits.limited(size=10):
        assert limits.current().size == 10
    assert limits.current() == before


def test_default_limits_let_ordinary_templates_render(kit):
    """The built-in templates render under the default limits."""
    for name in kit.template_names():
        kit.render(name, kit.template(name).sample)


# --- 5. printing only plain values ----------------------------------------------------------

@pytest.mark.parametrize("name", hostile_templates("printing"))
def test_printing_a_python_object_is_an_error_without_its_repr(name):
    """Objects, containers, generators, reprs (!r, %r, %a) and removed filters are errors
    naming the template line; no repr or address is in the message."""
    kit = tplkit.Kit(HOSTILE / "printing")
    with pytest.raises(TemplateSourceError) as info:
        kit.render(name, {"customer_name": "Olena"})
    err = info.value
    assert (err.template, err.file, err.line) == (name, body_of("printing", name), 3)
    assert not REPR.search(str(err)), str(err)
    assert re.search(r"instead of a value|Python repr|reaches into|no filter named", err.message,
                     re.IGNORECASE), err.message


@pytest.mark.parametrize(("payload", "expected"), [
    ("{{ 42 }}", "42"), ("{{ 1.5 }}", "1.5"), ("{{ 'x' ~ 1 }}", "x1"), ("{{ none }}", ""),
    ("{{ '%s-%d'|format('a', 2) }}", "a-2"), ("{{ '{0}-{1}'.format('a', 2) }}", "a-2"),
    ("{{ [1, 2]|join(', ') }}", "1, 2"), ("{{ [1, 2]|map('string')|join }}", "12"),
    ("{{ [{'id': 1}, {'id': 2}]|join(', ', attribute='id') }}", "1, 2"),
    ("{{ [3, 1]|sort|first }}", "1"), ("{{ [1, 2]|sum }}", "3"), ("{{ 'a b'|title }}", "A B"),
    ("{{ {'a': 'b c'}|urlencode }}", "a=b+c"), ("<p{{ {'title': 'x'}|xmlattr }}>", '<p title="x">'),
    ("{% trans n=3 %}{{ n }} left{% endtrans %}", "3 left"), ("{{ '<b>'|safe ~ '<i>' }}", "<b>&lt;i&gt;"),
])
def test_plain_values_still_print(payload, expected):
    """Numbers, text, joins, formats and translations of plain values print as before."""
    from tplkit.compiled import runtime_environment

    env = runtime_environment(True)
    env.add_extension("jinja2.ext.i18n")
    env.install_null_translations(newstyle=True)
    assert env.from_string(payload).render() == expected


# --- 6. malformed catalogs -------------------------------------------------------------------

CATALOG_CASES = json.loads((HOSTILE / "catalogs" / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(CATALOG_CASES))
def test_malformed_catalog_is_a_located_error(name):
    """A non-text charset, an out-of-range or non-numeric nplurals, a plural rule that is not
    data, or a translation using reprs or widths: a TplkitError naming the catalog and line."""
    case = CATALOG_CASES[name]
    po = HOSTILE / "catalogs" / name / "locales" / "de" / "LC_MESSAGES" / "tplkit.po"
    kit = tplkit.Kit(HOSTILE / "catalogs" / name)
    with pytest.raises(TplkitError) as info:
        kit.render("letter", {"customer_name": "Olena"}, locale="de")
    err = info.value
    assert case["fragment"] in str(err), str(err)
    if isinstance(err, CatalogError):
        assert (err.file, err.line) == (str(po), case["line"])
    else:   # a translation that cannot be filled in names the catalog line in its message
        assert f"{po}:{case['line']}" in err.message


@pytest.mark.parametrize("name", ["charset-rot13", "nplurals-huge", "plural-deep", "translation-repr"])
def test_malformed_catalog_is_reported_by_lint_preview_and_cli(name):
    """lint gives findings (no internal error), preview a page, the CLI one line; no traceback."""
    root = HOSTILE / "catalogs" / name
    res = CliRunner().invoke(main, ["--project", str(root), "lint"])
    assert res.exit_code == 1 and "internal-error" not in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["--project", str(root), "preview", "letter", "-l", "de"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert res.output.count("\n") <= 2
    page = PreviewApp(root).handle("/t/letter?locale=de")
    assert page.status == 200 and b"Traceback" not in page.body


# --- 7. recipients' values cannot skip escaping ---------------------------------------------

class MarkupStr(str):
    """A caller's str whose str() and __html__ claim to be markup."""

    def __str__(self):
        from markupsafe import Markup
        return Markup("<script>alert(1)</script>")

    def __html__(self):
        return "<script>alert(1)</script>"


class EqualsAnything(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__

    def __str__(self):
        return "<script>alert(2)</script>"


def test_str_subclass_cannot_skip_escaping(kit):
    """A str subclass is used for its characters only: its __str__/__html__ never run."""
    ctx = kit.template("acknowledgement").sample | {"customer_name": MarkupStr("Olena <b>")}
    email = kit.render("acknowledgement", ctx)
    assert "<script>" not in email.html and "Olena &lt;b&gt;" in email.html
    assert "<script>" not in email.text


@pytest.fixture(scope="module")
def safe_findings() -> list:
    from tplkit.lint import lint

    return [f for f in lint(tplkit.Kit(HOSTILE / "lint-safe")) if f.rule == "safe-placeholder"]


@pytest.mark.parametrize("name", hostile_templates("lint-safe"))
def test_lint_reports_safe_on_a_placeholder(safe_findings, name):
    """|safe on (or autoescape false around) a placeholder is a located safe-placeholder
    error; |safe on brand data is not."""
    mine = [(f.file, f.line) for f in safe_findings if f.template == name]
    assert mine == ([] if name == "safe-on-brand-only" else [(body_of("lint-safe", name), 3)])


def test_choice_value_printed_is_the_manifest_value():
    """A choice placeholder prints the manifest's own value, not the caller's object."""
    from tplkit.schema import Placeholder, coerce

    ph = Placeholder(name="kind", type="choice", choices=("order", "return"))
    assert type(coerce(ph, EqualsAnything("x"))) is str
    assert coerce(ph, EqualsAnything("x")) == "order" and str(coerce(ph, EqualsAnything("x"))) == "order"


# --- 8. preview server ------------------------------------------------------------------------

RAW_REQUESTS = {
    "tls-client-hello": (bytes.fromhex("16030100a5010000a10303") + os.urandom(32)
                         + b"\x00\x00\x02\x13\x01\x01\x00"),
    "garbage": b"\x00\xff\xfe garbage \x01\x02\r\n\r\n",
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "bad-version": b"GET / HTTP/9.9\r\n\r\n",
    "no-version": b"GET\r\n\r\n",
    "header-without-colon": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n",
    "long-request-line": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    "binary-path": b"GET /\xff\xfe HTTP/1.1\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(RAW_REQUESTS))
def test_preview_server_answers_garbage_with_a_4xx(name, capfd):
    """Bytes that are not an HTTP/1 request get a 4xx/5xx status line, and no traceback."""
    reply = b""
    with running(PreviewApp(HOSTILE / "files")) as server, \
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        try:
            s.sendall(RAW_REQUESTS[name])
            s.shutdown(socket.SHUT_WR)
            while chunk := s.recv(65536):
                reply += chunk
        except (ConnectionResetError, BrokenPipeError):
            # the server answered 414 after reading 64 KiB and closed with bytes unread: the
            # kernel may reset the connection before the client reads the answer
            assert name == "long-request-line"
    if not reply:
        assert name == "long-request-line" and "Traceback" not in capfd.readouterr().err
        return
    # the standard library answers a request it cannot read as HTTP/0.9: the error page alone
    answer = rb"HTTP/1\.[01] (4\d\d|505) |<!DOCTYPE HTML>.*Error code: (4\d\d|505)"
    assert re.match(answer, reply, re.DOTALL), reply[:80]
    assert "Traceback" not in capfd.readouterr().err


def test_preview_deeply_nested_context_is_a_400():
    """A context of 20,000 nested [ is a 400 page saying so, not a 500."""
    from urllib.parse import quote

    page = PreviewApp(HOSTILE / "files").handle("/t/letter?ctx=" + quote("[" * 20_000))
    assert page.status == 400 and b"nested too deeply" in page.body


def test_preview_context_with_an_unconvertible_number_is_a_problem_not_a_500():
    """JSON Python refuses to convert (a 5,000-digit integer) is shown as a context problem."""
    from urllib.parse import quote

    page = PreviewApp(HOSTILE / "files").handle("/t/letter?ctx=" + quote('{"n": ' + "9" * 5000 + "}"))
    assert page.status == 200 and b"invalid JSON" in page.body


# --- 9. the public API raises TplkitError subclasses only ------------------------------------

@pytest.mark.parametrize("name", ["a" * 100_000, "a" * 101, ["acknowledgement"], {"a": 1}, None, 42,
                                  b"acknowledgement", "../../etc/passwd", "ack\x00", "", " ",
                                  "Acknowledgement", "_layouts", "a/b", "\u0430ck"],
                         ids=lambda v: f"{type(v).__name__}-{len(v) if hasattr(v, '__len__') else v}")
def test_absurd_template_names_are_template_not_found(kit, name):
    """Names that are too long, not text, or not a template folder name: TemplateNotFound."""
    with pytest.raises(tplkit.TemplateNotFound):
        kit.render(name, {})


@pytest.mark.parametrize("locale", ["x" * 100_000, ["de"], {"de": 1}, 42, b"de", "de\x00", "../de",
                                    "de\r\nBcc: x"], ids=lambda v: type(v).__name__)
def test_absurd_locales_fall_back_with_a_warning(kit, locale):
    """A locale that is not a locale code falls back to the default, with a LocaleWarning."""
    with pytest.warns(tplkit.LocaleWarning):
        email = kit.render("acknowledgement", kit.template("acknowledgement").sample, locale=locale)
    assert email.locale == kit.default_locale


@pytest.mark.parametrize("args", [["preview", "a" * 100_000], ["preview", "../../etc/passwd"],
                                  ["preview", "acknowledgement", "-l", "x" * 10_000]],
                         ids=["long-name", "traversal", "long-locale"])
def test_cli_with_absurd_arguments_prints_one_line(args):
    """The CLI answers an absurd name with one error line, an absurd locale with the default
    locale and a note; never a traceback."""
    res = CliRunner().invoke(main, args)
    assert "Traceback" not in res.output
    if res.exit_code == 0:   # an unknown locale: the default one, said so
        assert "using 'en'" in res.output
    else:
        assert res.output.count("\n") == 1 and res.output.startswith("error: ")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "b"
    res = CliRunner().invoke(main, ["--project", str(HOSTILE / "files"), "build", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def tamper(src: Path, dst: Path, edit) -> Path:
    """Copy a build, edit one artefact (or the manifest) and re-record its hash, as an
    attacker with write access to the build folder would."""
    shutil.copytree(src, dst)
    manifest_path = dst / "tplkit-build.json"
    manifest = json.loads(manifest_path.read_text())
    rel = next(r for r in manifest["artifacts"] if ".de." in r)
    artefact = json.loads((dst / rel).read_text())
    target = edit(manifest, artefact)
    if target == "artefact":
        (dst / rel).write_text(json.dumps(artefact))
        manifest["artifacts"][rel] = hashlib.sha256((dst / rel).read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    return dst


def _set(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


TAMPERS = {
    "plural-n-text": ("artefact", ("plural", "n"), "two"),
    "plural-n-huge": ("artefact", ("plural", "n"), 10**9),
    "plural-expr-code": ("artefact", ("plural", "expr"), "__import__('os')"),
    "plural-expr-list": ("artefact", ("plural", "expr"), [1]),
    "sources-list": ("artefact", ("sources",), ["x"]),
    "source-syntax": ("artefact", ("sources", "html"), "{% if %}"),
    "source-python": ("artefact", ("sources", "html"), "{{ ''.__class__.__mro__ }}"),
    "headers-text": ("artefact", ("headers",), "Bcc: x"),
    "headers-bcc": ("artefact", ("headers",), {"Bcc": "author@evil.example"}),
    "headers-reply-to": ("artefact", ("headers",), {"X-Fine": "ok", "Reply-To": "author@evil.example"}),
    "schema-text": ("artefact", ("schema",), "x"),
    "brand-text": ("manifest", ("brand",), "x"),
    "brand-sla-text": ("manifest", ("brand", "sla_hours"), "soon"),
    "locales-number": ("manifest", ("locales",), 5),
    "templates-list": ("manifest", ("templates",), ["letter"]),
    "default-locale-list": ("manifest", ("default_locale",), ["de"]),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampered_build_fields_raise_tplkit_errors(built, tmp_path, name):
    """A build whose fields were edited (hashes re-recorded) raises only TplkitError
    subclasses from Kit.from_build and Kit.render, never ValueError/TypeError/KeyError."""
    where, path, value = TAMPERS[name]

    def edit(manifest, artefact):
        _set(artefact if where == "artefact" else manifest, path, value)
        return where

    folder = tamper(built, tmp_path / "b", edit)
    try:
        kit = tplkit.Kit.from_build(folder, check_sources=False)
        kit.template("letter")
        email = kit.render("letter", {"customer_name": "Olena"}, locale="de")
    except TplkitError as e:
        assert not REPR.search(str(e))
    else:   # an edit that is still valid data renders what the template allows, nothing more
        assert "Bcc" not in email.headers and "<class" not in email.html


@pytest.mark.parametrize("variant", ["body", "catalog"])
def test_symlink_planted_after_a_build_is_refused_when_the_build_is_loaded(project, outside, variant):
    """Loading a build checks it against its sources (the inputs' hash), file by file
    against the project's roots resolved once: a source replaced by a symlink out of the
    project after the build is refused, naming the link, and its target is never read."""
    res = CliRunner().invoke(main, ["--project", str(project), "build", "-o", str(project.parent / "b")])
    assert res.exit_code == 0, res.output
    link = plant(project, outside, variant)
    with pytest.raises(FileOutsideProject, match="outside the project") as info:
        tplkit.Kit.from_build(project.parent / "b")
    assert Path(info.value.file) == link and SECRET not in str(info.value)
