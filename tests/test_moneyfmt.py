"""Compiled money formatters (tplkit/moneyfmt.py) give exactly Babel's format_currency output,
with tplkit's locale-style adjustments, for any amount."""
from __future__ import annotations

import random
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from tplkit.formatting import babel_money, fmt_money
from tplkit.locale_style import STYLES

# tplkit's styled locales (uk: € symbol, tr: its own pattern) and CLDR locales with other
# groupings (hi: 2-digit groups), apostrophe group separators (de_CH, fr_CH: left to Babel),
# right-to-left marks (ar, fa, he) and patterns with the symbol in front or behind
LOCALES = sorted(STYLES) + ["pt_BR", "hi", "en_IN", "de_CH", "fr_CH", "ja", "fa", "he", "nl", "sv", "bn"]
# 2 digits, none (JPY), 3 (KWD, BHD), 4 (CLF), no symbol data (XXX), a lower-case code
CURRENCIES = ["USD", "EUR", "UAH", "JPY", "KWD", "BHD", "CLF", "CHF", "INR", "TRY", "PLN", "GBP", "XXX",
              "usd"]
EDGES = ["0", "-0", "0.005", "0.015", "0.025", "-0.001", "999.995", "-999.995", "1E+30", "1e-40",
         "123456789012345678901234567890.555", "Infinity", "-Infinity", "0.5", "12345.6789",
         # around the str(value) shortcut: 15 and 16 integer digits, trailing zeros, exponents
         "999999999999999.99", "-999999999999999.5", "1000000000000000.00", "12.500", "0.10",
         "-0.00", "7", "100", "1E+2", "-1.2E-3", "0E-9"]


def _both(amount: Decimal, currency: str, locale: str) -> tuple[str, str]:
    outs = []
    for fn in (fmt_money, babel_money):
        try:
            outs.append(fn(amount, currency, locale))
        except Exception as e:  # noqa: BLE001 - the same failure is the same outcome
            outs.append(f"{type(e).__name__}: {e}")
    return outs[0], outs[1]


def test_many_amounts_in_every_locale_and_currency():
    """~84,000 (amount, currency, locale) cases, random amounts of 0-4 decimals and the
    rounding and overflow edges, format exactly as Babel formats them."""
    rng = random.Random(19)
    amounts = [Decimal(x) for x in EDGES]
    amounts += [Decimal(str(round(rng.uniform(-1e7, 1e7), rng.randint(0, 4)))) for _ in range(250)]
    amounts += [Decimal(rng.randint(0, 10**12)).scaleb(-rng.randint(0, 6)) for _ in range(50)]
    cases = 0
    for locale in LOCALES:
        for currency in CURRENCIES:
            for amount in amounts:
                ours, babel = _both(amount, currency, locale)
                assert ours == babel, (amount, currency, locale)
                cases += 1
    assert cases > 80_000


def test_style_adjustments_are_applied():
    """The compiled path keeps tplkit's adjustments: «€» in uk, the symbol after the amount in tr."""
    assert fmt_money(Decimal("1234.5"), "EUR", "uk") == "1\u00a0234,50\u00a0€"
    assert fmt_money(Decimal("1234.5"), "EUR", "tr") == "1.234,50\u00a0€"
    assert fmt_money(Decimal("-1234.5"), "USD", "en") == "-$1,234.50"
    assert fmt_money(Decimal("1234567.891"), "INR", "hi") == "₹12,34,567.89"


@settings(max_examples=400, deadline=None)
@given(amount=st.decimals(allow_nan=False, places=None), currency=st.sampled_from(CURRENCIES),
       locale=st.sampled_from(LOCALES))
def test_any_amount(amount, currency, locale):
    """For any finite or infinite amount, the compiled formatter equals Babel."""
    ours, babel = _both(amount, currency, locale)
    assert ours == babel


def test_a_narrow_decimal_context_is_honoured():
    """Under a decimal context of fewer digits than an amount, Babel rounds it: so does the
    compiled formatter (the str(value) shortcut is for the default 28-digit context)."""
    with localcontext() as ctx:
        ctx.prec = 6
        for amount in ("1234567.89", "12.345", "-98765.4321"):
            ours, babel = _both(Decimal(amount), "EUR", "de")
            assert ours == babel


INT_LOCALES = LOCALES + ["mr", "my", "ne", "ru", "es", "pl"]


def _both_int(value, locale: str) -> tuple[str, str]:
    from tplkit.formatting import babel_number, fmt_number

    outs = []
    for fn in (fmt_number, babel_number):
        try:
            outs.append(fn(value, locale))
        except Exception as e:  # noqa: BLE001 - the same failure is the same outcome
            outs.append(f"{type(e).__name__}: {e}")
    return outs[0], outs[1]


def test_integers_format_as_babel_formats_them():
    """Ints (quantities, points) through the compiled formatter equal format_decimal, also at
    the 10**18 edge where the compiled path hands over to Babel, and bools stay Babel's."""
    rng = random.Random(19)
    values = [0, 1, -1, 999, 1000, -1000, 10 ** 17, 10 ** 18 - 1, -(10 ** 18 - 1), 10 ** 18,
              -(10 ** 18), 10 ** 30, True, False] + [rng.randint(-10 ** 13, 10 ** 13) for _ in range(300)]
    for locale in INT_LOCALES:
        for value in values:
            ours, babel = _both_int(value, locale)
            assert ours == babel, (value, locale)


@settings(max_examples=300, deadline=None)
@given(value=st.integers(), locale=st.sampled_from(INT_LOCALES))
def test_any_integer(value, locale):
    """For any int the compiled number formatter equals Babel."""
    ours, babel = _both_int(value, locale)
    assert ours == babel
