"""tplkit lint rule functions in isolation: thresholds, severities and the text helpers."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tplkit.lint.document import parse_html
from tplkit.lint.files import Files, Locator, SourceText, suppressions
from tplkit.lint.html_rules import contrast_ratio, gmail_clipping, link_scheme, parse_color, text_part
from tplkit.lint.rendered import _LEFTOVER, _bad_seam, typography
from tplkit.lint.source import visible_text


def ctx(html: str = "<html></html>", text: str = "x", subject: str = "s", preheader: str = "p",
        locale: str = "en") -> SimpleNamespace:
    """A stand-in RenderContext: just what the rendered rules read."""
    email = SimpleNamespace(html=html, text=text, subject=subject, preheader=preheader)
    info = SimpleNamespace(file=lambda part: Path(f"/nowhere/{part}"), has_text_body=lambda: False)
    return SimpleNamespace(email=email, doc=parse_html(html), locale=locale,
                           part_file=lambda part: f"/nowhere/{part}", source=lambda: None,
                           where=lambda method, *args: None,
                           place=lambda pos, part: {"file": f"/nowhere/{part}"},
                           text_at=lambda part, *needles: {"file": f"/nowhere/{part}"},
                           info=info)


def test_contrast_ratio_matches_wcag_examples():
    """White on black is 21:1; #767676 on white just passes AA, #777777 just fails."""
    white, black = parse_color("#fff"), parse_color("black")
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    grey, lighter = parse_color("#767676"), parse_color("#777777")
    assert contrast_ratio(grey, white) >= 4.5 > contrast_ratio(lighter, white)
    assert parse_color("rgb(29, 78, 216)") == (29.0, 78.0, 216.0)
    assert parse_color("var(--x)") is None


def test_gmail_clipping_thresholds():
    """Under 90 KB nothing; 90-102 KB a warning; over 102 KB an error."""
    assert list(gmail_clipping(ctx("a" * 80_000))) == []
    (warn,) = gmail_clipping(ctx("a" * 95 * 1024))
    (err,) = gmail_clipping(ctx("a" * 103 * 1024))
    assert (warn.severity, err.severity) == ("warning", "error")


def test_link_scheme_severities():
    """javascript:, data:, empty and # hrefs are errors, http: a warning, https/mailto fine."""
    html = ('<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a><a href="">c</a>'
            '<a href="#">d</a><a href="http://x.example">e</a><a href="https://x.example">f</a>'
            '<a href="mailto:a@x.example">g</a>')
    hits = list(link_scheme(ctx(html)))
    assert [h.severity for h in hits] == ["error", "error", "error", "error", "warning"]


def test_text_part_wants_every_button_url():
    """A button URL missing from the text part is reported; plain links are not buttons."""
    html = ('<td bgcolor="#0f766e"><a href="https://x.example/go" style="color:#fff">Go</a></td>'
            '<a href="https://x.example/other">other</a>')
    (hit,) = text_part(ctx(html, text="Go somewhere\n"))
    assert "https://x.example/go" in hit.message
    assert list(text_part(ctx(html, text="Go: https://x.example/go\n"))) == []


def test_typography_per_language():
    """A space before "!" is wrong in English but French usage; repeated words are caught."""
    en = [h.message for h in typography(ctx(text="Merci ! Thanks the the team\n"))]
    fr = [h.message for h in typography(ctx(text="Merci ! Bonne journée\n", locale="fr"))]
    assert any("space before punctuation" in m for m in en)
    assert any("repeated word" in m and "the the" in m for m in en)
    assert fr == []


def test_typography_ignores_urls_and_balanced_text():
    """Brackets around a URL and URLs themselves are not typography problems."""
    text = "Help centre (https://help.example/a_(b)?x=1&&y=2)\nKind regards,\n"
    assert list(typography(ctx(text=text))) == []


@pytest.mark.parametrize("text, hit", [
    ("Hi {{ name }}", "{{ name }}"), ("Hi %(name)s", "%(name)s"), ("Hi *|FNAME|*", "*|FNAME|*"),
    ("Dear [Customer name],", "[Customer name]"), ("Dear [FIRST_NAME]", "[FIRST_NAME]"),
    ("Hi ${name}", "${name}"), ("Ticket [SR-10482] received", None), ("Total: 5 [2 items]", None),
])
def test_leftover_patterns(text, hit):
    """Placeholder syntax of Jinja, gettext, Mailchimp and bracket stand-ins is found; ids are not."""
    m = _LEFTOVER.search(text)
    assert (m.group(0) if m else None) == hit


def test_empty_value_seams():
    """A gap before punctuation, inside brackets or at a line start is bad; a clean join is not."""
    assert _bad_seam("Hello ", ", thanks")
    assert _bad_seam("order (", ") arrived")
    assert _bad_seam("", ", thanks")
    assert not _bad_seam("Hello", ", thanks")


def test_visible_text_masks_jinja_markup_and_translations():
    """Only literal visible text (and alt/title) survives; offsets are kept."""
    src = ('<mj-text css-class="x">{% trans %}Marked{% endtrans %} {{ _("also") }}\n'
           '<img alt="Logo"> Literal {# note #}<mj-style>a { color: red }</mj-style></mj-text>')
    masked = visible_text(src, markup=True)
    assert len(masked) == len(src)
    assert masked.split() == ["Logo", "Literal"]


def test_suppression_comments_parse_rules_and_reason(tmp_path):
    """{# tplkit: disable-next-line a, b -- why #} silences both rules on the next line."""
    path = tmp_path / "body.mjml"
    path.write_text("x\n{#- tplkit: disable-next-line image-alt, link-scheme -- spacer -#}\n<img>\n",
                    encoding="utf-8")
    (s,) = suppressions(SourceText(path, path.read_text(encoding="utf-8")))
    assert (s.line, s.target, s.rules, s.reason) == (2, 3, ("image-alt", "link-scheme"), "spacer")


def test_locator_searches_translations_not_msgids(tmp_path):
    """In a .po file only msgstr text is found: a msgid match belongs to the template."""
    po = tmp_path / "de.po"
    po.write_text('msgid "Hello there"\nmsgstr "Hallo zusammen"\n', encoding="utf-8")
    loc = Locator(Files(), [po])
    assert loc.find("Hello there") == (None, None, None)
    assert loc.find("Hallo zusammen") == (str(po), 2, 9)


@pytest.mark.parametrize("locale, label", [("en", "Click here"), ("de", "hier klicken"),
                                           ("uk", "Натисніть тут"), ("ar", "انقر هنا")])
def test_generic_link_text_per_language(locale, label):
    """"Click here" and its equivalents are caught in the email's language."""
    from tplkit.lint.html_rules import generic_link_text

    html = f'<a href="https://x.example">{label}</a><a href="https://x.example/o">Track your order</a>'
    (hit,) = generic_link_text(ctx(html, locale=locale))
    assert label in hit.message


def test_plural_forms_counts_written_forms_and_empty_ones(tmp_path):
    """Too few msgstr[n] lines (Babel pads them) and an empty written form are both reported,
    at the msgstr line."""
    from babel.messages.pofile import read_po

    from tplkit.lint.catalogs import CatalogContext, plural_forms

    po = tmp_path / "de.po"
    po.write_text('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
                  'msgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\n\n'
                  'msgid "b"\nmsgid_plural "bs"\nmsgstr[0] "y"\nmsgstr[1] ""\n', encoding="utf-8")
    with open(po, "rb") as f:
        catalog = read_po(f, locale="de")
    ctx = CatalogContext(None, "de", SourceText(po, po.read_text(encoding="utf-8")), catalog)
    hits = [(h.line, h.message) for h in plural_forms(ctx)]
    assert hits == [(7, "'a' has 1 plural form; the Plural-Forms header says nplurals=2"),
                    (11, "'b': plural form(s) 1 are empty")]  # the msgstr lines


def _plural_hits(name: str) -> list[tuple[int, str]]:
    from babel.messages.pofile import read_po

    from tplkit.lint.catalogs import CatalogContext, plural_forms

    po = Path(__file__).parent / "fixtures" / "plural" / name
    locale = name.split("-")[0]
    with open(po, "rb") as f:
        catalog = read_po(f, locale=locale)
    ctx = CatalogContext(None, locale, SourceText(po, po.read_text(encoding="utf-8")), catalog)
    return [(h.line, h.message) for h in plural_forms(ctx)]


@pytest.mark.parametrize("name, numbers, categories, nplurals", [
    ("es-older-rule.po", "0 and 1000000", "'other', 'many'", 3),
    ("tr-older-rule.po", "0 and 1", "'other', 'one'", 2),
    ("ru-two-forms.po", "0 and 2", "'many', 'few'", 3),
])
def test_plural_forms_names_the_rule_a_catalog_for_an_older_cldr_needs(name, numbers, categories, nplurals):
    """A header that lumps CLDR categories together is one finding at the header, naming the
    numbers, the categories and the header to write: the same with any supported Babel."""
    ((line, message),) = _plural_hits(name)
    assert line == 5
    assert f"gives {numbers} the same form" in message
    assert f"tell them apart ({categories})" in message
    assert "written for an older rule" in message
    # Babel >= 2.19 names the exact header; older Babel's own table lags CLDR, so tplkit
    # then names the categories; either way the advice is the count of forms CLDR needs
    assert f"nplurals={nplurals}" in message


@pytest.mark.parametrize("name", ["es-cldr.po", "pl-classic.po", "ar-older-order.po"])
def test_plural_forms_accepts_any_header_that_keeps_cldr_categories_apart(name):
    """A header is judged by the forms it picks, not by its spelling or Babel's table."""
    assert _plural_hits(name) == []


def test_builtin_catalogs_follow_cldr_plural_categories():
    """Every built-in catalog's Plural-Forms gives each CLDR category of its language a form."""
    import gettext

    from babel import Locale
    from babel.messages.pofile import read_po

    from tplkit.lint.catalogs import _PLURAL_PROBES

    root = Path(__file__).parent.parent / "locales"
    for po in sorted(root.glob("*/LC_MESSAGES/tplkit.po")):
        locale = po.parent.parent.name
        with open(po, "rb") as f:
            catalog = read_po(f, locale=locale)
        pick = gettext.c2py(catalog.plural_expr)
        category = Locale.parse(locale).plural_form
        by_slot: dict[int, set[str]] = {}
        for n in _PLURAL_PROBES:
            by_slot.setdefault(pick(n), set()).add(category(n))
        assert all(len(cats) == 1 for cats in by_slot.values()), (locale, by_slot)
        assert len(by_slot) == catalog.num_plurals, locale


def test_untranslated_text_reports_a_sentence_once_with_its_entities(tmp_path):
    """A sentence broken over lines or by inline markup is one finding at its first word,
    entities decoded ("It's been"); entity-only runs and escaped conditional comments are not
    text."""
    from tplkit.lint.source import untranslated_text

    path = tmp_path / "body.mjml"
    path.write_text('<mj-text>\n  It&#39;s been a long time since\n  your last order.\n</mj-text>\n'
                    '<mj-text>&nbsp;&nbsp;</mj-text><mj-raw>&lt;!--[if mso]&gt;</mj-raw>\n'
                    '<mj-text>{% trans %}Marked{% endtrans %} <b>Second</b> run</mj-text>\n',
                    encoding="utf-8")
    sf = SimpleNamespace(src=SourceText(path, path.read_text(encoding="utf-8")))
    hits = list(untranslated_text(SimpleNamespace(files=[sf])))
    assert [(h.line, h.column) for h in hits] == [(2, 3), (6, 45)]
    assert "'It's been a long time since your last order.'" in hits[0].message.replace('"', "'")
    assert "'Second run'" in hits[1].message   # inline markup does not cut a sentence
