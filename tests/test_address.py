"""Forms of address (tplkit.address) and locale filters in runtime conditions (issue #17)."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

import tplkit
from tplkit import catalogs
from tplkit.i18n import ADDRESS_CONTEXTS

FIX = Path(__file__).parent / "fixtures" / "address" / "project"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def kit() -> tplkit.Kit:
    return tplkit.Kit(FIX)


@pytest.mark.parametrize("locale, lines", [
    ("pl", ["no vocative", "number in the locale", "date with an argument in the locale", "own locale kept"]),
    ("en", ["vocative: Aylin", "number: 10.5", "date: November\u00a023,\u00a02026", "own locale kept"]),
])
def test_locale_filters_in_conditions_get_the_locale(kit, locale, lines):
    """A locale filter inside {% if %} formats in the email's locale, as inside {{ }}: the
    compiled email decides like the naive pipeline; a call naming its own locale keeps it."""
    values = {"customer_name": "Aylin", "amount": "10.5", "due": "2026-11-23"}
    for email in (kit.render("locale-conditions", values, locale=locale),
                  kit.render_naive("locale-conditions", values, locale=locale)):
        assert [line for line in email.text.splitlines() if line] == lines


@pytest.mark.parametrize("gender, subject, body", [
    (None, "Otrzymaliśmy Państwa wiadomość",
     ["Mają Państwo 1 nową odpowiedź.", "Mają Państwo 3 nowe odpowiedzi."]),
    ("female", "Otrzymaliśmy Pani wiadomość",
     ["Mają Państwo 1 nową odpowiedź.", "Mają Państwo 3 nowe odpowiedzi."]),
    ("male", "Otrzymaliśmy Pana wiadomość", ["Ma Pan 1 nową odpowiedź.", "Ma Pan 3 nowe odpowiedzi."]),
])
def test_a_catalogs_gendered_variants_follow_customer_gender(kit, gender, subject, body):
    """One compiled email per locale: its runtime choice picks the msgctxt variant of the
    form of address (subject, body, plural forms), the plain entry when it is unset or the
    catalog has no variant for it (the female plural here); the naive pipeline agrees."""
    for replies, line in zip((1, 3), body, strict=True):
        values = {"replies": replies, **({"customer_gender": gender} if gender else {})}
        for email in (kit.render("addressed", values, locale="pl"),
                      kit.render_naive("addressed", values, locale="pl")):
            assert email.subject == subject
            assert [ln for ln in email.text.splitlines() if ln] == [subject, line, "Dziękujemy za wiadomość."]
            assert email.warnings == ()   # no text shown untranslated


def test_a_language_without_variants_ignores_the_form_of_address():
    """Ukrainian has no gendered variants: the email is the same whatever customer_gender says."""
    kit = tplkit.Kit()
    info = kit.template("acknowledgement")
    values = info.sample_for("uk")
    plain = kit.render("acknowledgement", values, locale="uk")
    for gender in ("female", "male"):
        email = kit.render("acknowledgement", {**values, "customer_gender": gender}, locale="uk")
        assert (email.subject, email.text, email.html) == (plain.subject, plain.text, plain.html)


def test_merging_the_pot_keeps_the_variants():
    """``tplkit i18n update`` (catalogs.merge) keeps each variant after the message it varies;
    a variant of a message no template has any more becomes obsolete with it."""
    template = catalogs.read_template(ROOT / "locales" / "tplkit.pot")
    with open(ROOT / "locales" / "pl" / "LC_MESSAGES" / "tplkit.po", "rb") as f:
        catalog = read_po(f, locale="pl")
    orphan = Message("A sentence no template has", "Zdanie", context=ADDRESS_CONTEXTS["female"])
    catalog[orphan.id] = orphan
    variants = [(m.id, m.context) for m in catalog if m.context in ADDRESS_CONTEXTS.values()]
    added, obsolete = catalogs.merge(catalog, template)
    assert added == [] and obsolete == ["A sentence no template has"]
    order = [(m.id, m.context) for m in catalog if m.id]
    assert [v for v in variants if v[0] != orphan.id] == [k for k in order if k[1] is not None]
    for msgid, context in order:
        if context is not None:   # right after its plain entry (or the other variant)
            before = order[order.index((msgid, context)) - 1]
            assert before[0] == msgid


def test_stats_count_messages_not_their_variants():
    """The Polish catalog's Pani/Pan variants are wordings of its messages: it counts as many
    messages as the .pot, as every other catalog does."""
    template = catalogs.read_template(ROOT / "locales" / "tplkit.pot")
    counts = set()
    for locale in ("pl", "uk"):
        with open(ROOT / "locales" / locale / "LC_MESSAGES" / "tplkit.po", "rb") as f:
            counts.add(catalogs.stats(read_po(f, locale=locale), template).translated)
    assert counts == {len([m for m in template if m.id])}


def test_source_map_points_at_the_plain_entry_of_a_varied_message():
    """Where lint and preview say a Polish message comes from: its plain msgstr line, not the
    line of a Pani/Pan variant that follows it."""
    from tplkit.sourcemap import msgstr_line

    po = ROOT / "locales" / "pl" / "LC_MESSAGES" / "tplkit.po"
    lines = po.read_text(encoding="utf-8").splitlines()
    file, line, _ = msgstr_line((str(po),), "We answer %(hours)s.")
    assert lines[line - 2:line] == ['msgid "We answer %(hours)s."',
                                    'msgstr "Jesteśmy do Państwa dyspozycji: %(hours)s."']
