"""Right-to-left text parts read correctly through the Unicode bidi algorithm (python-bidi,
the Rust unicode-bidi crate): phone numbers, emails, URLs, ticket and order ids, codes and
the address keep their left-to-right order inside Arabic lines."""
from __future__ import annotations

import re

import pytest
from bidi import get_display

ISOLATES = re.compile("[\u2066-\u2069]")


def _visual(text: str) -> list[str]:
    """Each line as a right-to-left plain-text viewer shows it, isolate marks removed."""
    return [ISOLATES.sub("", get_display(line, base_dir="R")) for line in text.split("\n")]


def _ltr_values(kit, ctx: dict) -> set[str]:
    """The left-to-right runs an email may hold: the brand's contacts and the sample's ids,
    codes, emails, phones and URLs."""
    brand = kit.brand
    runs = {brand.phone, brand.email, brand.address, brand.kb_url, *brand.social.values()}
    for value in ctx.values():
        if isinstance(value, str) and re.fullmatch(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*", value) and \
                (re.search(r"\d", value) or "@" in value or "://" in value):
            runs.add(value)
    return {r for r in runs if r}


def _misread(kit, email, ctx) -> list[str]:
    lines = email.text.split("\n")
    visual = _visual(email.text)
    bad = []
    for value in _ltr_values(kit, ctx):
        for logical, shown in zip(lines, visual, strict=True):
            if value in ISOLATES.sub("", logical) and value not in shown:
                bad.append(f"{value!r} shows as {shown!r}")
    return bad


@pytest.mark.parametrize("name", ["acknowledgement", "apology", "auto-reply", "escalation",
                                  "feedback-request", "follow-up"])
def test_arabic_text_parts_keep_ltr_runs_in_order(kit, name):
    """Every sample of every template in Arabic: each LTR value reads left to right."""
    info = kit.template(name)
    checked = 0
    for sample in info.samples:
        ctx = info.sample_for("ar", sample)
        email = kit.render(name, ctx, locale="ar")
        assert email.locale == "ar"
        assert not _misread(kit, email, ctx), (sample, _misread(kit, email, ctx))
        checked += sum(v in email.text for v in _ltr_values(kit, ctx))
    assert checked >= 8


def test_without_isolates_the_bidi_algorithm_garbles_them(kit):
    """The oracle is live: the same Arabic text part with its isolates stripped misreads the
    phone number (the issue's "0142 555 1+") and the footer's phone."""
    info = kit.template("escalation")
    ctx = info.sample_for("ar")
    email = kit.render("escalation", ctx, locale="ar")
    stripped = type(email)(**{**email.__dict__, "text": ISOLATES.sub("", email.text)})
    bad = _misread(kit, stripped, ctx)
    assert any(ctx["contact_phone"] in b for b in bad) and any(kit.brand.phone in b for b in bad), bad


def test_ltr_text_parts_carry_no_isolates(kit):
    """Left-to-right locales are untouched: no invisible bidi controls in their text parts."""
    for locale in ("en", "de", "uk"):
        info = kit.template("escalation")
        assert not ISOLATES.search(kit.render("escalation", info.sample_for(locale), locale=locale).text)


def test_compiled_and_naive_rtl_text_are_equal(kit):
    """The isolates come from the template (static), so compiled and per-message pipelines agree."""
    for name in ("escalation", "feedback-request", "apology"):
        ctx = kit.template(name).sample_for("ar")
        assert kit.render(name, ctx, locale="ar").text == kit.render_naive(name, ctx, locale="ar").text
