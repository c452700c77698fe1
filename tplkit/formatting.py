"""Locale-aware formatting (CLDR through Babel): numbers, money, dates, times, durations,
lists and support hours as each locale writes them, the filters templates call
(:data:`LOCALE_FILTERS`), and a locale's text direction and ``lang`` tag.

Babel (and :mod:`tplkit.moneyfmt`, built on it) is imported inside the functions that use it:
``import tplkit`` loads this module but no Babel, whose CLDR data loads on the first format.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .declension import vocative
from .i18n import SOURCE_LOCALE
from .locale_style import ZoneWidth, style_for

RTL_LANGUAGES = {"ar", "he", "fa", "ur", "ps", "sd", "yi", "dv", "ug", "ckb"}


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"


def html_lang(locale: str) -> str:
    """BCP 47 tag for ``<html lang>``: ``pt_BR`` -> ``pt-BR``."""
    return locale.replace("_", "-")


# --- formatting filters (CLDR through Babel) --------------------------------------------------
# Every filter takes ``locale=``; the build pass fills it in, so runtime templates call
# e.g. ``{{ amount|money(locale='uk') }}``.

@functools.lru_cache(maxsize=256)
def _babel(locale: str):
    """The Babel ``Locale`` for a locale name, parsed once (Babel parses a name on every
    formatting call, a large part of its cost)."""
    from babel import Locale

    return Locale.parse(locale)


def fmt_number(value: Any, locale: str = SOURCE_LOCALE) -> str:
    """A number as the locale writes it (CLDR); ints through a formatter compiled once per
    locale (:func:`tplkit.moneyfmt.compile_integer`)."""
    if type(value) is int:
        return integer_formatter(locale)(value)
    return babel_number(value, locale)


def babel_number(value: Any, locale: str) -> str:
    """:func:`fmt_number` through ``babel.numbers.format_decimal`` on every call."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_babel(locale))


@functools.lru_cache(maxsize=256)
def integer_formatter(locale: str) -> Callable[[int], str]:
    """The formatter of ints for ``locale`` (compiled once, :func:`tplkit.moneyfmt.compile_integer`)."""
    from .moneyfmt import compile_integer

    return compile_integer(_babel(locale), functools.partial(babel_number, locale=locale))


def fmt_money(value: Any, currency: str | None = None, locale: str = SOURCE_LOCALE) -> str:
    """An amount with its currency as the locale writes it in running text (CLDR, adjusted
    by :mod:`tplkit.locale_style`: «10,00 €» in uk and tr). Formatted by a formatter compiled
    once per (locale, currency) from Babel's pattern (:mod:`tplkit.moneyfmt`)."""
    amount = getattr(value, "amount", value)
    currency = currency or getattr(value, "currency", None)
    if isinstance(currency, str):   # Decimal(str(d)) is d itself (same digits, sign and exponent)
        return money_formatter(locale, currency)(amount if type(amount) is Decimal else Decimal(str(amount)))
    return babel_money(Decimal(str(amount)), currency, locale)


def babel_money(amount: Decimal, currency: Any, locale: str) -> str:
    """:func:`fmt_money` through ``babel.numbers.format_currency`` on every call: what the
    compiled formatters must equal, and their fallback."""
    from babel.numbers import format_currency, get_currency_symbol

    style = style_for(locale)
    text = format_currency(amount, currency,  # Babel checks it
                           format=style.currency_format,
                           locale=_babel(locale))
    code = str(currency)
    symbol = style.currency_symbols.get(code)
    if symbol:
        text = text.replace(get_currency_symbol(code, locale=_babel(locale)), symbol)
    return text


@functools.lru_cache(maxsize=1024)
def money_formatter(locale: str, currency: str) -> Callable[[Decimal], str]:
    """The formatter of amounts in ``currency`` for ``locale``, with the locale style
    (compiled once, :func:`tplkit.moneyfmt.compile_money`)."""
    from .moneyfmt import compile_money

    style = style_for(locale)
    return compile_money(_babel(locale), currency, style.currency_format, style.currency_symbols,
                         functools.partial(_babel_money_args, currency=currency, locale=locale))


def _babel_money_args(amount: Decimal, *, currency: str, locale: str) -> str:
    return babel_money(amount, currency, locale)


def fmt_date(value: Any, format: str = "long", tz: str | None = None,
             locale: str = SOURCE_LOCALE) -> str:
    """A date in the locale's words, kept on one line: its spaces are no-break spaces
    (typography wants "27 листопада 2026 р." or "November 27, 2026" unbroken, and the
    plain-text part is wrapped at 78 columns). ``tz``: the day of a datetime in that zone."""
    from babel.dates import format_date, get_timezone

    if tz and isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(get_timezone(tz))
    pattern = style_for(locale).dates.get(format, format)
    return format_date(value, format=pattern, locale=_babel(locale)).replace(" ", "\u00a0")


def fmt_datetime(value: Any, format: str = "medium", tz: str | None = None,
                 locale: str = SOURCE_LOCALE) -> str:
    """A date and time in the locale's words (``format``: short, medium, long, full or a
    CLDR pattern); in zone ``tz`` when given."""
    from babel.dates import format_datetime, get_timezone

    return format_datetime(value, format=format, tzinfo=get_timezone(tz) if tz else None,
                           locale=_babel(locale))


def fmt_time(value: Any, format: str = "short", tz: str | None = None, zone: bool = False,
             locale: str = SOURCE_LOCALE) -> str:
    """The time of day of a datetime (``9:00 AM``, ``09:00``), without the date; in zone
    ``tz`` when given. ``zone=True`` names the zone after it as the locale does (see
    :mod:`tplkit.locale_style`): ``9:00 AM (Central European Time)``, ``09:00 Uhr (MEZ)``,
    ``09:00 (CET)``; ``(GMT+01:00)`` for a bare UTC offset."""
    from babel.dates import format_time, get_timezone

    loc = _babel(locale)
    style = style_for(locale)
    tzinfo = get_timezone(tz) if tz else None
    pattern = style.time if style.time and format == "short" else format
    text = format_time(value, format=pattern, tzinfo=tzinfo, locale=loc)
    if zone and isinstance(value, _dt.datetime) and value.tzinfo is not None:
        at = value.astimezone(tzinfo) if tzinfo is not None else value
        text = style.zone_format.format(time=text, zone=_zone_name(at, style.zone, locale))
    return text


def _zone_name(value: Any, width: ZoneWidth, locale: str) -> str:
    """A time zone's name: ``long`` from CLDR (generic: «Central European Time» in winter and
    summer), ``short`` from CLDR («MEZ»/«MESZ»), ``abbr`` from the tz database («CET»).
    ``value`` is an aware datetime (its date picks summer or winter time) or a zone name (a
    timetable: its standard time is named). A CLDR short name that is only a UTC offset gives
    way to the tz database's abbreviation."""
    from babel.dates import get_timezone, get_timezone_name

    if isinstance(value, str):
        value = _dt.datetime(2026, 1, 15, 12, tzinfo=get_timezone(value))
    named = getattr(value.tzinfo, "key", None) or getattr(value.tzinfo, "zone", None)
    if not named:   # a bare UTC offset: «GMT+01:00» in the locale's words
        return get_timezone_name(value, width="long", locale=_babel(locale))
    if width == "long":
        return get_timezone_name(value.tzinfo, width="long", locale=_babel(locale))
    abbr = value.tzname() or ""
    if width == "abbr":
        return style_for(locale).zone_names.get(abbr, abbr)
    name = get_timezone_name(value, width=width, locale=_babel(locale))
    if re.fullmatch(r"[+-]?\d{4}|GMT[+-][\d:]+", name) and abbr.isalpha():
        return abbr
    return name


def fmt_duration(value: Any, threshold: float = 0.85, locale: str = SOURCE_LOCALE) -> str:
    """A duration in the locale's words, declined (``2 hours``, ``2 години``); ``threshold``
    is when a unit rounds up to the next (Babel's)."""
    from babel.dates import format_timedelta

    if not isinstance(value, _dt.timedelta):
        value = _dt.timedelta(seconds=float(value))
    return format_timedelta(value, threshold=threshold, locale=_babel(locale))


def fmt_list(value: Any, style: str = "standard", locale: str = SOURCE_LOCALE) -> str:
    """Items joined as the locale does (``kettle, mug, and teapot``); ``style``: standard, or,
    unit, ... (CLDR list patterns)."""
    from babel.lists import format_list

    return format_list([str(v) for v in value], style=style,  # type: ignore[arg-type] # Babel checks it
                       locale=_babel(locale))


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def fmt_support_hours(hours: Any, locale: str = SOURCE_LOCALE) -> str:
    """``{days: "mon-fri", open: "09:00", close: "18:00", timezone: "Europe/Berlin"}`` ->
    ``Mon–Fri, 9:00 AM–6:00 PM (Central European Time)`` in the locale's words, with its
    range wording, clock and zone style (:mod:`tplkit.locale_style`)."""
    from babel.dates import format_time, get_day_names

    if not hours:
        return ""
    loc, style = _babel(locale), style_for(locale)
    first, _, last = str(hours.get("days", "mon-fri")).partition("-")
    names = get_day_names(style.day_width, locale=loc)
    days = names[_DAYS.index(first)]
    if last:
        days = style.days.format(first=days, last=names[_DAYS.index(last)])
    pattern = style.range_time or style.time or "short"
    t_open, t_close = (format_time(_dt.time.fromisoformat(hours.get(k, d)), format=pattern, locale=loc)
                       for k, d in (("open", "09:00"), ("close", "17:00")))
    text = f"{days}{style.separator}{style.hours.format(open=t_open, close=t_close)}"
    tz = hours.get("timezone")
    if tz:
        text = style.zone_format.format(time=text, zone=_zone_name(tz, style.zone, locale))
    return text


def _remembered(fn: Callable[..., str]) -> Callable[..., str]:
    """``fn`` keeping its recent results: CLDR formatting through Babel costs 5-25 µs a
    call, and a batch repeats values (the same return date, the same amount). The key
    holds the value's type and, for a datetime, its time zone and offset, which equality
    ignores (9:00+01:00 equals 8:00Z but prints differently); an unhashable value (a list)
    is formatted every time."""
    memo: dict[tuple, str] = {}

    @functools.wraps(fn)
    def call(value: Any, *args: Any, **kwargs: Any) -> str:
        zone = (value.tzinfo, value.utcoffset()) if isinstance(value, _dt.datetime) else None
        try:
            key = (type(value), value, zone, args, tuple(sorted(kwargs.items())))
            out = memo.get(key)
        except TypeError:   # unhashable
            return fn(value, *args, **kwargs)
        if out is None:
            out = fn(value, *args, **kwargs)
            if len(memo) >= 4096:
                memo.clear()
            memo[key] = out
        return out
    return call


_remembered_number = _remembered(fmt_number)


def number_filter(value: Any, locale: str = SOURCE_LOCALE) -> str:
    """``number``: an int through its compiled formatter (cheaper than the memo's key),
    anything else through the memo."""
    if type(value) is int:
        return integer_formatter(locale)(value)
    return _remembered_number(value, locale=locale)


LOCALE_FILTERS: dict[str, Callable[..., str]] = {
    # money: amounts are mostly unique per message and the compiled formatter costs less
    # than the memo's key (tplkit/moneyfmt.py)
    "number": number_filter, "money": fmt_money,
    "date": _remembered(fmt_date), "datetime": _remembered(fmt_datetime),
    "time": _remembered(fmt_time), "duration": _remembered(fmt_duration), "list": fmt_list,
    "support_hours": fmt_support_hours, "vocative": _remembered(vocative),
}

# The filter a bare ``{{ placeholder }}`` of each type is shown with.
TYPE_FORMAT = {"int": "number", "decimal": "number", "money": "money", "date": "date",
               "datetime": "datetime", "duration": "duration", "list": "list"}

