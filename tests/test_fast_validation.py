"""The generated fast validator (Schema.quick) agrees with Schema.validate on any context:
it returns validate's result or None (then validate runs), never a different value."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tplkit import PlaceholderError
from tplkit.schema import Placeholder, Schema

SCHEMA = Schema({
    "n": Placeholder("n", "int"), "day": Placeholder("day", "date"),
    "total": Placeholder("total", "money", currency="EUR"), "link": Placeholder("link", "url"),
    "opt_n": Placeholder("opt_n", "int", required=False),
    "opt_day": Placeholder("opt_day", "date", required=False),
})
VALUES = st.one_of(
    st.integers(min_value=-(10 ** 19), max_value=10 ** 19), st.booleans(), st.none(),
    st.floats(allow_nan=True), st.dates().map(str), st.dates(), st.datetimes(),
    st.sampled_from(["2026-11-27", " 2026-11-27", "2026-11-27 ", "20261127", "2026-W48-5", "", "  ",
                     "2026-02-30", "12", "1e3", "https://x.example/a", "javascript:x", "12.50 EUR",
                     {"amount": "3.10", "currency": "USD"}, {"amount": "x"}]),
    st.text(max_size=12))


@settings(max_examples=2000, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: VALUES for k in SCHEMA.placeholders}))
def test_quick_equals_validate(ctx):
    """Whatever the values, quick() gives validate()'s values or defers (None)."""
    try:
        expected = SCHEMA.validate(ctx)
    except PlaceholderError:
        expected = None
    got = SCHEMA.quick(ctx)
    if got is not None:
        assert got == expected
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


def test_fast_paths_are_taken():
    """quick() accepts plain ints, ISO dates, money and URLs and fills in the optional ones."""
    ctx = {"n": 3, "day": "2026-11-27", "total": "3.10 EUR", "link": "https://x.example/"}
    assert SCHEMA.quick(ctx) == {"n": 3, "day": dt.date(2026, 11, 27), "total": SCHEMA.validate(ctx)["total"],
                                 "link": "https://x.example/", "opt_n": None, "opt_day": None}
