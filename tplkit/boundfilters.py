"""The locale filters a generated render function calls most (``money``, ``number``,
``date``), bound to one locale.

A compiled template knows its locale, so ``{{ total|money(locale='de') }}`` needs neither
the keyword argument nor the per-call lookups of the general filters (the formatter cache
keyed by locale and currency, the memo key of the remembered filters).
:func:`bound` gives, for a filter and a locale, a one-argument function with the same
result as ``filter(value, locale=locale)`` for every value (``tests/test_boundfilters.py``):
the common value types take a short path, anything else goes to the filter itself.
"""
from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import formatting
from .placeholder import Money

__all__ = ["bound"]


def _money(locale: str) -> Callable[[Any], str]:
    formatters: dict[str, Callable[[Decimal], str]] = {}
    general = formatting.fmt_money

    def money(value: Any) -> str:
        if type(value) is Money and type(value.amount) is Decimal and type(value.currency) is str:
            fmt = formatters.get(value.currency)
            if fmt is None:
                fmt = formatting.money_formatter(locale, value.currency)
                if len(formatters) < 64:
                    formatters[value.currency] = fmt
            return fmt(value.amount)
        return general(value, locale=locale)
    return money


def _number(locale: str) -> Callable[[Any], str]:
    ints = formatting.integer_formatter(locale)
    general = formatting.number_filter

    def number(value: Any) -> str:
        if type(value) is int:
            return ints(value)
        return general(value, locale=locale)
    return number


def _date(locale: str) -> Callable[[Any], str]:
    memo: dict[_dt.date, str] = {}
    general = formatting.LOCALE_FILTERS["date"]

    def date(value: Any) -> str:
        if type(value) is not _dt.date:   # a datetime (its zone matters), a string, ...
            return general(value, locale=locale)
        out = memo.get(value)
        if out is None:
            out = formatting.fmt_date(value, locale=locale)
            if len(memo) >= 4096:
                memo.clear()
            memo[value] = out
        return out
    return date


_BINDERS: dict[Callable[..., str], Callable[[str], Callable[[Any], str]]] = {
    formatting.fmt_money: _money, formatting.number_filter: _number,
    formatting.LOCALE_FILTERS["date"]: _date}


@functools.lru_cache(maxsize=1024)
def _bound(binder: Callable[[str], Callable[[Any], str]], locale: str) -> Callable[[Any], str]:
    return binder(locale)


def bound(func: Callable[..., Any], locale: Any) -> Callable[[Any], str] | None:
    """``value -> func(value, locale=locale)``, or None when ``func`` has no bound form."""
    binder = _BINDERS.get(func)
    if binder is None or type(locale) is not str:
        return None
    return _bound(binder, locale)
