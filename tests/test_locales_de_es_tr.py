"""The German, Spanish and Turkish catalogs of the built-in library."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tplkit import catalogs
from tplkit.i18n import read_po

ROOT = Path(__file__).resolve().parent.parent / "locales"
LOCALES = ("de", "es", "tr")
VARIABLE = re.compile(r"%\((\w+)\)s")


def _forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_keeps_every_variable(locale):
    """Every .pot message is translated, none fuzzy, each keeps its %(name)s variables and markup."""
    catalog = read_po(catalogs.catalog_path(ROOT, locale), locale)
    assert catalogs.stats(catalog, catalogs.read_template(ROOT / "tplkit.pot")).complete
    assert not catalog.fuzzy
    for msg in catalog:
        if not msg.id:
            continue
        source = _forms(msg.id)
        for text in _forms(msg.string):
            assert set(VARIABLE.findall(text)) == set(VARIABLE.findall(source[-1])), (msg.id, text)
            assert re.findall(r"<[^>]*>", text) == re.findall(r"<[^>]*>", source[0]), (msg.id, text)
            assert "  " not in text and text == text.strip(), (msg.id, text)
    assert not [problem for problem in catalog.check()]


@pytest.mark.parametrize("hours", [1, 2, 24, 101])
def test_single_form_plural_renders_the_number(kit, hours):
    """Turkish has one plural form (nplurals=1): the runtime choice compiles and shows the number."""
    ctx = {**kit.template("acknowledgement").sample, "response_hours": hours}
    fast = kit.render("acknowledgement", ctx, locale="tr")
    slow = kit.render_naive("acknowledgement", ctx, locale="tr")
    assert fast.preheader == slow.preheader == f"{hours} saat içinde size yanıt vereceğiz."
    assert f"Ekibimizden bir temsilci {hours} saat içinde size yanıt verecektir." in fast.text


@pytest.mark.parametrize("locale", LOCALES)
def test_subjects_fit_in_sixty_characters(kit, locale):
    """Every built-in template x sample renders in the locale with a subject of at most 60 characters."""
    for name in kit.template_names():
        for sample, ctx in kit.template(name).samples.items():
            email = kit.render(name, ctx, locale=locale)
            assert email.locale == locale and not email.warnings
            assert len(email.subject) <= 60, (name, sample, email.subject)
