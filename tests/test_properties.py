"""Property-based tests over the placeholder schema (issue 7), with hypothesis.

For every built-in template, contexts are drawn from its own ``template.toml`` schema:
any valid context renders; a text value is never unescaped in the HTML part; and a text
value that the email shows appears verbatim in the plain-text part.
"""
from __future__ import annotations

import datetime as dt
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

import tplkit
from tplkit.schema import Placeholder

LOCALES = ("en", "uk", "ar")   # the source language, a three-plural-form one, a right-to-left one
MARK = "Ω"                      # brackets every generated text value, so it cannot match by chance
# letters from several scripts, markup and template characters, ordinary punctuation
ALPHABET = string.ascii_letters + string.digits + " <>&\"'/=!?-{}%#.,;:()[]" + "éїЖمř中"

KIT = tplkit.Kit()
NAMES = KIT.template_names()


def text_values(ph: Placeholder) -> st.SearchStrategy[str]:
    limit = min(ph.max_length or 60, 60) - 2
    body = st.text(alphabet=ALPHABET, min_size=1, max_size=limit)
    return body.map(lambda s: f"{MARK}{s}{MARK}")


def values_for(ph: Placeholder) -> st.SearchStrategy[Any]:
    """Valid values of one placeholder's declared type."""
    if ph.type == "list":   # of its item type (a list of urls holds urls, of objects objects)
        low = 1 if ph.min_items is None else ph.min_items
        return st.lists(values_for(ph.item()), min_size=low, max_size=max(low, min(ph.max_items or 4, 4)))
    if ph.type == "object":   # its required fields, and some optional ones
        return st.fixed_dictionaries({f.name: values_for(f) for f in ph.fields if f.required},
                                     optional={f.name: values_for(f) for f in ph.fields if not f.required})
    host = st.from_regex(r"[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?\.example", fullmatch=True)
    path = st.text(alphabet=string.ascii_letters + string.digits + "-._~/", max_size=20)
    strategies = {
        "text": text_values(ph),
        "int": st.integers(min_value=0, max_value=10**6),
        "decimal": st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False,
                               allow_infinity=False),
        "money": st.builds(lambda a, c: {"amount": str(a), "currency": c},
                           st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False,
                                       allow_infinity=False),
                           st.sampled_from(["EUR", "USD", "UAH", "JPY", "GBP"])),
        "date": st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)),
        "datetime": st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1),
                                 timezones=st.sampled_from([dt.UTC,
                                                            dt.timezone(dt.timedelta(hours=5, minutes=30)),
                                                            dt.timezone(dt.timedelta(hours=-8))])),
        "duration": st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)),
        "url": st.builds(lambda s, h, p, q: f"{s}://{h}/{p}" + (f"?q={q}" if q else ""),
                         st.sampled_from(["https", "http"]), host, path,
                         st.text(alphabet=string.ascii_letters + string.digits, max_size=8)),
        "email": st.builds(lambda local, h: f"{local}@{h}",
                           st.from_regex(r"[a-z][a-z0-9._+-]{0,12}", fullmatch=True), host),
        "choice": st.sampled_from(list(ph.choices) or [None]),
        "bool": st.booleans(),
    }
    return strategies[ph.type]


@st.composite
def contexts(draw, name: str) -> dict[str, Any]:
    """A valid context for template ``name``: every required value, some optional ones."""
    ctx = {}
    for ph in KIT.template(name).placeholders.values():
        if ph.required or draw(st.booleans()):
            ctx[ph.name] = draw(values_for(ph))
    if "rating_links" in ctx:   # one link per score: a length the schema cannot say
        count = 11 if ctx.get("rating_scale") == "nps" else 5
        ctx["rating_links"] = (ctx["rating_links"] * count)[:count]
    if "helpful_links" in ctx:   # yes and no
        ctx["helpful_links"] = (ctx["helpful_links"] * 2)[:2]
    for key in ("slot_links", "local_slots"):   # one per slot
        if key in ctx:
            ctx[key] = (ctx[key] * len(ctx["slots"]))[:len(ctx["slots"])]
    return ctx


def _markers(name: str, ctx: dict[str, Any]) -> dict[str, str]:
    """The same context with each text value replaced by a unique marker."""
    phs = KIT.template(name).placeholders
    return {k: f"{MARK}m{i}x{MARK}" for i, k in enumerate(ctx) if phs[k].type == "text"}


def _flat(s: str) -> str:
    return " ".join(s.split())


# Compiling a template for a locale the first time takes a second or two (MJML, premailer);
# after that a render is milliseconds. The first example of each test pays for compilation,
# which is why the too_slow health check is suppressed; max_examples keeps the suite fast.
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_any_valid_context_renders_safely(name, data):
    """Any context valid for the schema renders in every tested locale; text values are
    escaped in the HTML and shown verbatim (up to line wrapping) in the text part."""
    ctx = data.draw(contexts(name))
    locale = data.draw(st.sampled_from(LOCALES))
    email = KIT.render(name, ctx, locale=locale)
    assert email.subject and email.html.startswith("<!doctype html>") and email.text.strip()

    markers = _markers(name, ctx)
    probe = KIT.render(name, ctx | markers, locale=locale)
    text = _flat(email.text)
    for key, marker in markers.items():
        value = ctx[key]
        if any(c in value for c in "<>&\"'"):
            assert value not in email.html, f"{key} appears unescaped in the HTML"
        if marker in probe.html:
            assert str(escape(value)) in email.html, f"{key} is not in the HTML, escaped"
        if marker in probe.text:
            assert _flat(value) in text, f"{key} is not verbatim in the text part"


@PROPERTY
@given(ph_type=st.sampled_from(["text", "int", "decimal", "money", "date", "datetime", "duration",
                                "url", "email", "bool", "list"]), data=st.data())
def test_generated_values_are_valid_and_stable(ph_type, data):
    """Every value the strategies draw is accepted by the schema, and coercing twice is a no-op."""
    from tplkit.schema import coerce

    ph = Placeholder("x", ph_type, currency="EUR")
    value = data.draw(values_for(ph))
    once = coerce(ph, value)
    assert coerce(ph, once) == once


@PROPERTY
@given(value=st.text(max_size=60))
def test_any_text_is_accepted_or_refused_with_a_reason(value):
    """Arbitrary Unicode (controls, surrogates, bidi) is either valid text or a ValueError."""
    from tplkit.schema import coerce

    ph = Placeholder("x", "text")
    try:
        out = coerce(ph, value)
    except ValueError as e:
        assert str(e)
    else:
        assert isinstance(out, str)
        out.encode("utf-8")  # no lone surrogate survives
        assert not any(c in out for c in "\x00\r\x1b\u202e\u2028")


_ODD_VALUES = ["", "  ", " x ", "a\tb", "a\nb", "\x00", "\x7f", "é", "e\u0301", "\u202e",
               " https://x.example ", "javascript:alert(1)", "x" * 200, "x" * 100_001, 3, 2.5,
               True, None, ["a"], {"amount": "1"}, "2026-02-30", "P1D", "a@b.example"]


def _outcome(schema, context):
    try:
        return schema.validate(context, strict=True)
    except tplkit.PlaceholderError as e:
        return str(e)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_fast_validation_agrees_with_the_full_one(name, data):
    """Schema.validate's per-message shortcut (a plain dict of common values) returns what
    the full validation returns (a mapping proxy always takes the full path)."""
    import types

    schema = KIT.schema(KIT.template(name))
    ctx = data.draw(contexts(name))
    if data.draw(st.booleans()):
        ctx["not_a_placeholder"] = "x"
    assert _outcome(schema, ctx) == _outcome(schema, types.MappingProxyType(ctx))


@pytest.mark.parametrize("name", NAMES)
def test_fast_validation_leaves_odd_values_to_the_full_one(name):
    """Every odd value in every placeholder: the same result or the same error as the full
    validation."""
    import types

    info = KIT.template(name)
    schema = KIT.schema(info)
    from tplkit.schema import MAX_TEXT

    for key, ph in schema.placeholders.items():
        # a letter NFC turns into two: within max_length as given, beyond it once normalised
        grows = "\u0958" * ((ph.max_length or MAX_TEXT) // 2 + 1)
        for value in [*_ODD_VALUES, grows]:
            ctx = {**info.sample, key: value}
            assert _outcome(schema, ctx) == _outcome(schema, types.MappingProxyType(ctx)), (key, value)
