"""Money formatters compiled from Babel's own currency pattern, once per (locale, currency).

``babel.numbers.format_currency`` re-reads the locale's pattern, symbols and the currency's
precision on every call (15-25 µs); amounts in a batch are mostly unique per message, so a
memo of results rarely helps. :func:`compile_money` reads all of that once and returns a
function that does only the per-amount work, the same steps as
``NumberPattern.apply`` (scale, sign, normalise, quantise to the currency's digits, group,
prefix/suffix with the symbol), with identical output. Patterns it does not cover
(scientific, significant digits, per-amount currency names ``¤¤¤``, quotes or symbols that
Babel's quote removal or tplkit's symbol swap could touch inside the number) and
non-finite amounts go to the caller's ``fallback`` (Babel itself).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, getcontext
from typing import Any

from babel.numbers import (
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)

__all__ = ["compile_integer", "compile_money"]


def compile_money(locale: Any, currency: str, fmt: str | None, symbols: Mapping[str, str],
                  fallback: Callable[[Decimal], str]) -> Callable[[Decimal], str]:
    """A formatter of Decimal amounts in ``currency`` for the Babel ``locale``: what
    ``format_currency(amount, currency, format=fmt, locale=locale)`` gives, with the
    locale style's symbol (``symbols[currency]``) in place of Babel's."""
    pattern = parse_pattern(fmt) if fmt else locale.currency_formats["standard"]
    group = get_group_symbol(locale, numbering_system="latn")
    point = get_decimal_symbol(locale, numbering_system="latn")
    babel_symbol = get_currency_symbol(currency, locale)
    own_symbol = symbols.get(currency)
    affixes = [pattern.prefix[0], pattern.prefix[1], pattern.suffix[0], pattern.suffix[1]]
    number_chars = set("0123456789" + group + point)
    if (pattern.exp_prec or "@" in pattern.pattern or pattern.scale or pattern.number_pattern == ""
            or any("¤¤¤" in a for a in affixes) or "'" in group + point
            or (own_symbol and set(babel_symbol) & number_chars)):
        return fallback
    done = []
    for a in affixes:
        a = a.replace("¤¤", currency.upper()).replace("¤", babel_symbol)
        if "'" in a:
            return fallback   # Babel's quote removal runs over the whole text: leave it to Babel
        if own_symbol:
            a = a.replace(babel_symbol, own_symbol)
        done.append(a)
    prefix, neg_prefix, suffix, neg_suffix = done
    digits = get_currency_precision(currency)
    quantum = Decimal(1).scaleb(-digits)
    min_int = pattern.int_prec[0]
    first, other = pattern.grouping
    scale = pattern.scale

    grouped = _grouper(group, min_int, first, other)
    short = min_int <= 1   # str(value) already has the one integer digit the pattern needs

    def format_money(value: Decimal) -> str:
        # the common case, an amount written with at most the currency's decimals: its
        # digits are str(value)'s (nothing to round: at most 15 + 4 digits, and the decimal
        # context keeps 28 unless changed), only grouped and padded with zeros
        text = str(value)
        signed = text[:1] == "-"
        whole, _, frac = (text[1:] if signed else text).partition(".")
        if (short and len(whole) <= 15 and len(frac) <= digits and whole.isdigit()
                and (frac.isdigit() or not frac) and getcontext().prec >= 28):
            n = len(whole)
            if n > first:   # one separator inline (up to 999,999), more by grouped()
                whole = whole[:-first] + group + whole[-first:] if n <= first + other else grouped(whole)
            if digits:
                whole += point + frac if len(frac) == digits else point + frac + "0" * (digits - len(frac))
            return neg_prefix + whole + neg_suffix if signed else prefix + whole + suffix
        if not value.is_finite():
            return fallback(value)
        value = value.scaleb(scale)
        rounded = abs(value).normalize().quantize(quantum)
        whole, _, frac = f"{rounded:f}".partition(".")
        whole = grouped(whole)
        if digits:
            whole += point + frac
        if value.is_signed():
            return neg_prefix + whole + neg_suffix
        return prefix + whole + suffix

    return format_money


def _grouper(group: str, min_int: int, first: int, other: int) -> Callable[[str], str]:
    """``NumberPattern._format_int``: digits padded to ``min_int`` and grouped (``first``
    digits, then ``other``: 12,34,567 in hi)."""
    def grouped(whole: str) -> str:
        if len(whole) < min_int:
            whole = "0" * (min_int - len(whole)) + whole
        if len(whole) > first:
            tail = group + whole[-first:]
            whole = whole[:-first]
            while len(whole) > other:
                tail = group + whole[-other:] + tail
                whole = whole[:-other]
            whole += tail
        return whole
    return grouped


#: integers below this (in absolute value) go through the compiled formatter; Babel's
#: quantisation to 3 decimals stays exact for them in the default 28-digit context
INT_LIMIT = 10 ** 18


def compile_integer(locale: Any, fallback: Callable[[Any], str]) -> Callable[[int], str]:
    """A formatter of ints for the Babel ``locale``: what ``format_decimal(n, locale=locale)``
    gives for an int of fewer than 19 digits (no fraction: the pattern's 0-3 decimals of an
    integer are none); other values go to ``fallback``."""
    pattern = locale.decimal_formats[None]
    group = get_group_symbol(locale, numbering_system="latn")
    point = get_decimal_symbol(locale, numbering_system="latn")
    affixes = [pattern.prefix[0], pattern.prefix[1], pattern.suffix[0], pattern.suffix[1]]
    if (pattern.exp_prec or "@" in pattern.pattern or pattern.scale or pattern.number_pattern == ""
            or pattern.frac_prec[0] or "'" in group + point or any("'" in a or "¤" in a for a in affixes)):
        return fallback
    prefix, neg_prefix, suffix, neg_suffix = affixes
    grouped = _grouper(group, pattern.int_prec[0], *pattern.grouping)

    def format_integer(value: int) -> str:
        if type(value) is not int or not -INT_LIMIT < value < INT_LIMIT:
            return fallback(value)
        if value < 0:
            return neg_prefix + grouped(str(-value)) + neg_suffix
        return prefix + grouped(str(value)) + suffix

    return format_integer
