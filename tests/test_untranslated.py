"""Untranslated text is never silent: email.warnings, preview, serve and lint all say so."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main
from tplkit.lint import lint

PROJECT = Path(__file__).parent / "fixtures" / "untranslated"
BODY = PROJECT / "templates" / "order-shipped" / "body.mjml"
CTX = {"customer_name": "Olena"}


@pytest.fixture(scope="module")
def kit():
    return tplkit.Kit(PROJECT)


def test_email_warnings_name_every_message_shown_in_the_source_language(kit):
    """German layout around English template text is reported in email.warnings."""
    email = kit.render("order-shipped", CTX, locale="de")
    assert "Hello Olena," in email.text and "Servicezeiten:" in email.text   # the mix
    assert len(email.warnings) == 1
    note = email.warnings[0]
    assert note.startswith("4 messages not translated to 'de', shown in the source language (en):")
    for msg in ("'Your order has shipped'", "'Good news'", "'Hello %(name)s,'",
                "'Good news: your order is on its way.'"):
        assert msg in note
    assert kit.render("order-shipped", CTX, locale="en").warnings == ()


def test_a_project_catalog_removes_the_warning(tmp_path):
    """Once the project translates its messages, the German email carries no warning."""
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    po = project / "locales" / "de" / "LC_MESSAGES" / "tplkit.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Your order has shipped"\nmsgstr "Ihre Bestellung ist unterwegs"\n\n'
                  'msgid "Good news"\nmsgstr "Gute Nachrichten"\n\n'
                  'msgid "Hello %(name)s,"\nmsgstr "Hallo %(name)s,"\n\n', encoding="utf-8")
    email = tplkit.Kit(project).render("order-shipped", CTX, locale="de")
    assert email.subject == "Ihre Bestellung ist unterwegs" and "Hallo Olena," in email.text
    assert email.warnings == (("1 message not translated to 'de', shown in the source language "
                              "(en): 'Good news: your order is on its way.'"),)


def test_lint_reports_each_untranslated_message_at_its_line_and_each_missing_catalog_once(kit):
    """missing-translation per message and locale at the template line; catalog-missing once."""
    found = lint(kit)
    rows = {(f.rule, Path(f.file).relative_to(PROJECT).as_posix(), f.line, f.locale) for f in found}
    expected = {("catalog-missing", "tplkit.toml", 2, loc) for loc in ("de", "uk")}
    for loc in ("de", "uk"):
        expected |= {("missing-translation", "templates/order-shipped/subject.txt", 1, loc),
                     ("missing-translation", "templates/order-shipped/preheader.txt", 1, loc),
                     ("missing-translation", "templates/order-shipped/body.mjml", 3, loc),
                     ("missing-translation", "templates/order-shipped/body.mjml", 4, loc)}
    assert rows == expected
    assert all(f.severity == "error" for f in found)
    hello = next(f for f in found if f.line == 3 and f.locale == "de")
    assert hello.message.startswith("'Hello %(name)s,' is not translated to 'de'")


def test_preview_cli_prints_the_fallback_warning():
    """`tplkit preview --locale de` prints a warning line naming the untranslated messages."""
    res = CliRunner().invoke(main, ["--project", str(PROJECT), "preview", "order-shipped", "-l", "de"])
    assert res.exit_code == 0, res.output
    assert "warning: 4 messages not translated to 'de'" in res.stderr
    assert "Traceback" not in res.output


def test_serve_page_lists_the_untranslated_messages(monkeypatch):
    """The preview server's template page names the messages shown untranslated in de."""
    import types

    from tplkit.preview import PreviewApp

    fake = types.ModuleType("tplkit.lint")
    fake.lint = lambda kit, templates=None, locales=None: []
    monkeypatch.setitem(sys.modules, "tplkit.lint", fake)
    body = PreviewApp(PROJECT).handle("/t/order-shipped?locale=de").body.decode()
    note = body.split('id="untranslated"')[1].split("</div>")[0]
    assert "4 untranslated messages in de" in note
    for msg in ("Your order has shipped", "Good news", "Hello %(name)s,"):
        assert f"<q>{msg}</q>" in note


def test_lint_of_selected_templates_and_locales_reports_their_untranslated_messages(kit):
    """`tplkit lint order-shipped -l de` (and the preview server's per-page lint) list the
    template's untranslated German messages, and nothing for other locales."""
    found = [f for f in lint(kit, templates=["order-shipped"], locales=["de"])
             if f.rule == "missing-translation"]
    assert sorted((Path(f.file).name, f.line) for f in found) == [
        ("body.mjml", 3), ("body.mjml", 4), ("preheader.txt", 1), ("subject.txt", 1)]
    assert {f.locale for f in found} == {"de"}
