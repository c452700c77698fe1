"""The locale filters bound to one locale (tplkit/boundfilters.py) give what the filters
give when called with ``locale=...``, for any value, and the generated code uses them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tplkit.boundfilters import bound
from tplkit.filters import RUNTIME_FILTERS
from tplkit.schema import Money

LOCALES = ["en", "de", "uk", "tr", "hi", "ar", "ja", "de_CH"]
CURRENCIES = ["USD", "EUR", "UAH", "JPY", "BHD", "usd", "", "XXX"]
AMOUNTS = st.one_of(st.decimals(allow_nan=True, places=None), st.decimals(places=2, min_value=-10 ** 16,
                                                                          max_value=10 ** 16),
                    st.floats(allow_nan=False), st.integers())
VALUES = st.one_of(
    st.builds(Money, AMOUNTS, st.sampled_from(CURRENCIES)),
    st.builds(Money, AMOUNTS, st.just(None)),
    AMOUNTS, st.dates(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, dt.timezone(dt.timedelta(hours=5))])),
    st.booleans(), st.none(), st.text(max_size=5), st.sampled_from(["2026-11-27", "12.50 EUR", [1, 2]]))


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> str:
    try:
        return "ok:" + repr(fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the same failure is the same outcome
        return f"{type(e).__name__}: {e}"


@settings(max_examples=3000, deadline=None)
@given(name=st.sampled_from(["money", "number", "date"]), locale=st.sampled_from(LOCALES), value=VALUES)
def test_bound_filter_equals_the_filter(name, locale, value):
    """money, number and date bound to a locale: the same text (or error) for any value."""
    func = RUNTIME_FILTERS[name]
    fast = bound(func, locale)
    assert fast is not None
    assert _outcome(fast, value) == _outcome(func, value, locale=locale)


def test_same_date_twice_and_unbound_filters():
    """A date is remembered per locale, and filters without a bound form say so."""
    date = bound(RUNTIME_FILTERS["date"], "uk")
    assert date is not None and date(dt.date(2026, 11, 27)) == date(dt.date(2026, 11, 27)) \
        == RUNTIME_FILTERS["date"](dt.date(2026, 11, 27), locale="uk")
    assert bound(RUNTIME_FILTERS["datetime"], "en") is None
    assert bound(RUNTIME_FILTERS["money"], None) is None
    money = bound(RUNTIME_FILTERS["money"], "de")
    assert money is not None and money(Money(Decimal("1234.5"), "EUR")) == "1.234,50\u00a0€"


class _Line:
    """An order line whose price is a new Money object at every access (so that a freed
    one's id could come back for the next line if the per-item texts did not hold it)."""

    def __init__(self, cents: int) -> None:
        self.cents = cents

    @property
    def price(self) -> Money:
        return Money(Decimal(self.cents).scaleb(-2), "EUR")


def test_items_formatted_once_for_both_loops_stay_their_own():
    """The HTML and the text loop share each item's money text: every line still shows its
    own amount, as plain Jinja renders it, also when the values are made on the fly."""
    from tplkit import compiled as tcd
    from tplkit.schema import Placeholder, Schema

    loop = ("{% for i in items %}{{ i.price|money(locale='de') }} {{ i.cents|number(locale='de') }};"
            "{% endfor %}")
    c = tcd.Compiled(template="t", locale="de", schema=Schema({"items": Placeholder("items", "list")}),
                     sources={"subject": "", "preheader": "", "html": loop, "text": loop + "\n"})
    values = {"items": [_Line(n) for n in (123456, 5, 123456, 99, 7000000)]}
    parts = c.render_parts(values)
    assert "_lm[" in c.code   # the shared texts are used
    assert parts == c.render_jinja(values)
    assert parts["html"].startswith("1.234,56\u00a0€ 123.456;0,05\u00a0€ 5;1.234,56\u00a0€ 123.456;")
