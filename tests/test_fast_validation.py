"""The generated fast validator (Schema.quick) agrees with the full validation
(Schema.validate_all) on any context: it returns its result or None (then the full
validation runs), never a different value."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tplkit import PlaceholderError
from tplkit.coercion import _URLS_OK, checked_url
from tplkit.schema import Money, Placeholder, Record, Schema
from tplkit.validatorgen import PLAIN_URL

LINE = (Placeholder("name"), Placeholder("qty", "int"), Placeholder("price", "money", currency="EUR"),
        Placeholder("day", "date", required=False), Placeholder("note", max_length=5, required=False),
        Placeholder("kind", "text", default="x", required=False))
SCHEMA = Schema({
    "n": Placeholder("n", "int"), "day": Placeholder("day", "date"),
    "total": Placeholder("total", "money", currency="EUR"), "link": Placeholder("link", "url"),
    "opt_n": Placeholder("opt_n", "int", required=False),
    "opt_day": Placeholder("opt_day", "date", required=False),
    "name": Placeholder("name", max_length=8), "mail": Placeholder("mail", "email", required=False),
    "cost": Placeholder("cost", "money", required=False),   # no currency of its own
    "lines": Placeholder("lines", "list", item_type="object", fields=LINE, min_items=1, max_items=3,
                         required=False),
    "tags": Placeholder("tags", "list", required=False),
    "links": Placeholder("links", "list", item_type="url", required=False),
    "buyer": Placeholder("buyer", "object", fields=LINE[:3], required=False),
    "greeting": Placeholder("greeting", default="Hi"),
}, defaults={"greeting": "Hi"})
TEXTS = st.sampled_from(["Olena", "O'Brien <b>", " pad ", "Ärger", "e\u0301", "a\u202eb", "a\nb", "a\tb",
                         "\u2028", "", "  ", "123456789", "\ud800", "x@y.example", " x@y.example ",
                         "a@b", "x@y.example?bcc=z", "Zoë@пример.укр"])
URLS = st.sampled_from(["https://x.example/a?b=1#c", "HTTP://X.EXAMPLE", "https://", "https:///x",
                        "https://x.example/a b", "https://x.example/\"", "https://[::1]/", "https://ex]",
                        "mailto:a@b.example", "tel:+1", "javascript:alert(1)", " https://x.example ",
                        "https://пример.рф/", "https://x.example/`", "https://x.example/\\",
                        "http://?x", "https://#x", "https://x.example/<"])
AMOUNTS = st.sampled_from(["3.10", " 3.10 ", "1e3", "NaN", "sNaN", "-Infinity", "1_000.5", "999999999999999",
                           "1000000000000000", "-0", "x", "", "12.345", "٣.١"])
MONEY = st.one_of(
    st.fixed_dictionaries({"amount": AMOUNTS}, optional={"currency": st.sampled_from(
        ["USD", "EUR", "usd", "EURO", "EUR\n", "", None, 978]), "extra": st.just(1)}),
    st.fixed_dictionaries({"amount": st.one_of(st.integers(-10, 10), st.floats(), st.decimals())}),
    st.sampled_from(["12.50 EUR", "USD 3", "12.50", " ", {"currency": "EUR"}]))
SCALARS = st.one_of(
    st.integers(min_value=-(10 ** 19), max_value=10 ** 19), st.booleans(), st.none(),
    st.floats(allow_nan=True), st.dates().map(str), st.dates(), st.datetimes(),
    st.sampled_from(["2026-11-27", " 2026-11-27", "2026-11-27 ", "20261127", "2026-W48-5", "", "  ",
                     "2026-02-30", "12", "1e3"]),
    TEXTS, URLS, MONEY, st.text(max_size=12))
GOOD_LINE = {"name": "Mug", "qty": 2, "price": {"amount": "9.99", "currency": "USD"}, "kind": "k"}
GOOD = {"n": 3, "day": "2026-11-27", "total": {"amount": "3.10"}, "link": "https://x.example/",
        "name": "Olena", "mail": " olena@x.example ", "cost": {"amount": "2", "currency": "UAH"},
        "lines": [GOOD_LINE, GOOD_LINE], "tags": ["a", "b"], "links": ["http://y.example"],
        "buyer": {"name": "B", "qty": 1, "price": "1 EUR"}}


@st.composite
def _changed(draw: st.DrawFn, good: dict, values: dict) -> dict:
    """``good`` with up to one key dropped and up to three set to other values (so that
    most drawn contexts are valid, or nearly)."""
    out = dict(good)
    for key in draw(st.lists(st.sampled_from(sorted(good)), max_size=1)):
        out.pop(key, None)
    for key in draw(st.lists(st.sampled_from(sorted(values)), max_size=3)):
        out[key] = draw(values[key])
    return out


LINE_VALUES = {"name": st.one_of(TEXTS, SCALARS), "qty": st.one_of(st.integers(-3, 3), SCALARS),
               "price": st.one_of(MONEY, SCALARS), "day": SCALARS, "note": TEXTS,
               "kind": st.one_of(st.none(), TEXTS), "nope": st.just(1)}
LINES = _changed(GOOD_LINE, LINE_VALUES)
VALUES = {
    **{k: SCALARS for k in SCHEMA.placeholders},
    "name": st.one_of(TEXTS, SCALARS), "mail": st.one_of(TEXTS, SCALARS), "link": st.one_of(URLS, SCALARS),
    "total": st.one_of(MONEY, SCALARS), "cost": st.one_of(MONEY, SCALARS),
    "lines": st.one_of(st.lists(st.one_of(LINES, LINES, SCALARS), max_size=4), SCALARS, LINES),
    "tags": st.one_of(st.lists(st.one_of(TEXTS, SCALARS), max_size=3), SCALARS),
    "links": st.one_of(st.lists(st.one_of(URLS, SCALARS), max_size=3), SCALARS),
    "buyer": st.one_of(LINES, SCALARS),
    "nope": st.integers(),   # no placeholder: refused when strict
}
CONTEXTS = _changed(GOOD, VALUES)


def _shape(v: Any) -> Any:
    """A value with every type spelt out (Money, Record and list contents included)."""
    if isinstance(v, Record):
        return ("Record", {k: _shape(x) for k, x in vars(v).items()})
    if isinstance(v, Money):
        return ("Money", _shape(v.amount), v.currency, type(v.currency))
    if isinstance(v, list):
        return ("list", [_shape(x) for x in v])
    if isinstance(v, Decimal):
        return ("Decimal", str(v))
    return (type(v), v)


def _full(ctx: dict, strict: bool) -> Any:
    try:
        return SCHEMA.validate_all(ctx, strict=strict)
    except PlaceholderError:
        return None


@settings(max_examples=4000, deadline=None)
@given(CONTEXTS, st.booleans())
def test_quick_equals_full_validation(ctx, strict):
    """Whatever the values (and keys), quick() gives the full validation's values, types
    included, or defers (None)."""
    _URLS_OK.clear()
    expected = _full(ctx, strict)
    got = SCHEMA.quick(ctx, strict)
    if got is not None:
        assert _shape(got) == _shape(expected)


def test_fast_paths_are_taken():
    """quick() accepts plain ints, ISO dates, money, URLs, emails and lists of objects, and
    fills in the optional ones and the defaults."""
    ctx = GOOD
    got = SCHEMA.quick(ctx)
    assert got is not None
    assert _shape(got) == _shape(SCHEMA.validate_all(ctx))
    assert got["day"] == dt.date(2026, 11, 27) and got["mail"] == "olena@x.example"
    assert got["total"] == Money(Decimal("3.10"), "EUR") and got["cost"] == Money(Decimal("2"), "UAH")
    assert got["lines"] == [Record(name="Mug", qty=2, price=Money(Decimal("9.99"), "USD"), day=None,
                                   note=None, kind="k")] * 2
    assert got["greeting"] == "Hi" and got["opt_n"] is None


def test_defers_when_not_sure():
    """A value outside the fast subset goes to its converter, or the whole context to the
    full validation (a blank date is "not given" there)."""
    ctx = {"n": 3, "day": "2026-11-27", "total": "3 EUR", "link": "https://пример.рф/", "name": "x",
           "lines": [{"name": "a", "qty": 1, "price": "1 EUR"}]}   # kind: the field's default
    assert _shape(SCHEMA.quick(ctx)) == _shape(SCHEMA.validate_all(ctx))
    blank = {**ctx, "opt_day": "  "}
    assert SCHEMA.quick(blank) is None
    assert SCHEMA.validate(blank)["opt_day"] is None
    # an unknown key, with as many keys as placeholders given (None is "not given")
    assert SCHEMA.quick({**ctx, "opt_n": None, "nope": 1}) is None
    assert SCHEMA.quick({**ctx, "opt_n": None, "nope": 1}, strict=False) is not None
    assert SCHEMA.quick({**ctx, "opt_n": None}) is not None
    # found by hypothesis: the count of values not given was a name the money check also used
    assert SCHEMA.quick({**{k: v for k, v in GOOD.items() if k != "mail"}, "nope": 0}) is None


URL_PIECES = ["http", "https", "HtTp", "s", ":", "//", "/", "?", "#", "[", "]", "@", "a", "x.example", " ",
              "\t", '"', "<", ">", "`", "\\", "%20", "é", "{", "|", "~", "^", "'", "\x7f", "\x00", "."]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=10).map("".join))
def test_plain_url_is_accepted_as_is(s):
    """A string the inline URL pattern accepts is a URL the full checks accept unchanged."""
    if PLAIN_URL(s) is not None:
        _URLS_OK.clear()
        assert checked_url(s.strip()) == s and s.isascii() and s.isprintable()
