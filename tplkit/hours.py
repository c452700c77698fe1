"""Support hours in business time: when the team is next open, and when a reply is due.

The brand's ``[brand.support_hours]`` table (which the ``support_hours`` filter also shows)
says when the team works; ``[brand.response_hours]`` promises a response time per request
category. A promise is counted in *business* hours, as help-desk SLAs are: a request that
arrives on Friday evening with a 4-hour promise is due on Monday at 13:00, not on Saturday
morning. Weekends (days not in ``days``), holidays (fixed dates ``2026-04-03`` and yearly
ones ``12-25``) and the hours outside ``open``-``close`` do not count.

All computation happens in the brand's time zone with :mod:`zoneinfo`, day by day, and the
differences are taken in UTC, so a day on which clocks change has its true length (a
24/7-style 00:00-23:59 day is 23 or 25 hours long then) and local opening times stay put.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .tomlpos import toml_line

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GENERAL = "general"
_SEARCH_DAYS = 3 * 366   # a promise never reaches further than this many days ahead
_YEARLY = re.compile(r"^(\d{2})-(\d{2})$")
_UTC = _dt.UTC


def zone(name: str | _dt.tzinfo) -> _dt.tzinfo:
    """A time zone from its IANA name (``Europe/Berlin``), or ``name`` if it is one already."""
    if isinstance(name, _dt.tzinfo):
        return name
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r:.60}") from None


class SupportHours:
    """Weekly opening hours, holidays and response-time promises of one brand.

    ``Kit.support_hours`` builds one from the brand configuration; the constructor takes
    the values directly (handy in tests and for apps with their own configuration).
    """

    def __init__(self, *, days: str = "mon-fri", open: str = "09:00", close: str = "18:00",
                 timezone: str = "UTC", holidays: tuple[str, ...] | list[str] = (),
                 response_hours: Mapping[str, int] | None = None) -> None:
        self.weekdays = _parse_days(days)
        self.open = _parse_time(open, "open")
        self.close = _parse_time(close, "close")
        if self.close <= self.open:
            raise ValueError(f"close ({close}) must be later than open ({open})")
        self.tz = zone(timezone)
        self.dates: set[_dt.date] = set()
        self.yearly: set[tuple[int, int]] = set()
        for h in holidays:
            self._add_holiday(h)
        self.response_hours = dict(response_hours or {GENERAL: 24})
        for category, hours in self.response_hours.items():
            if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 30:
                raise ValueError(f"response hours of {category!r} must be a whole number from 1 to 720")

    @classmethod
    def from_brand(cls, brand: Any, file: str | None = None) -> SupportHours:
        """The brand's support hours and response-time promises (``general`` defaults to
        ``sla_hours``). A mistake raises :class:`~tplkit.ConfigError` with its file and line."""
        hours = dict(brand.support_hours or {})
        unknown = set(hours) - {"days", "open", "close", "timezone", "holidays"}
        table = "tool.tplkit.brand" if file and file.endswith("pyproject.toml") else "brand"
        if unknown:
            raise ConfigError(f"unknown brand.support_hours settings: {', '.join(sorted(unknown))}",
                              file=file, line=_line(file, f"{table}.support_hours", min(unknown)))
        promises = dict(brand.response_hours or {})
        if GENERAL in promises:
            raise ConfigError("brand.response_hours.general: the general promise is brand.sla_hours; "
                              "set it there", file=file, line=_line(file, f"{table}.response_hours", GENERAL))
        promises[GENERAL] = brand.sla_hours
        try:
            return cls(days=hours.get("days", "mon-fri"), open=hours.get("open", "09:00"),
                       close=hours.get("close", "18:00"), timezone=hours.get("timezone", "UTC"),
                       holidays=tuple(hours.get("holidays", ())), response_hours=promises)
        except (ValueError, TypeError) as e:
            key = next((k for k in ("holidays", "days", "open", "close", "timezone")
                        if k in str(e)), "timezone" if "time zone" in str(e) else None)
            where = f"{table}.response_hours" if "response hours" in str(e) else f"{table}.support_hours"
            raise ConfigError(f"brand.support_hours: {e}", file=file,
                              line=_line(file, where, key)) from None

    def _add_holiday(self, spec: Any) -> None:
        if isinstance(spec, _dt.date) and not isinstance(spec, _dt.datetime):
            self.dates.add(spec)   # a TOML date literal (holidays = [2026-04-03])
            return
        text = str(spec).strip()
        m = _YEARLY.match(text)
        try:
            if m:
                month, day = int(m.group(1)), int(m.group(2))
                _dt.date(2024, month, day)   # a leap year: 02-29 is a valid yearly holiday
                self.yearly.add((month, day))
            else:
                self.dates.add(_dt.date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"holidays: {text!r:.40} is neither a date (2026-04-03) nor a "
                             f"yearly day (12-25)") from None

    # --- the calendar ----------------------------------------------------------------------

    def is_holiday(self, day: _dt.date) -> bool:
        """Is ``day`` (a date in the brand's zone) a holiday?"""
        return day in self.dates or (day.month, day.day) in self.yearly

    def is_business_day(self, day: _dt.date) -> bool:
        """Is the team at work on ``day`` (a working weekday that is not a holiday)?"""
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def periods(self, start: _dt.datetime) -> Iterator[tuple[_dt.datetime, _dt.datetime]]:
        """The opening periods (UTC, as ``(open, close)``) from ``start``'s local day on."""
        day = _aware(start).astimezone(self.tz).date()
        for _ in range(_SEARCH_DAYS):
            if self.is_business_day(day):
                yield (_dt.datetime.combine(day, self.open, self.tz).astimezone(_UTC),
                       _dt.datetime.combine(day, self.close, self.tz).astimezone(_UTC))
            day += _dt.timedelta(days=1)

    def is_open(self, when: _dt.datetime) -> bool:
        """Is the team at work at ``when``?"""
        return self.next_opening(when) == _aware(when)

    def next_opening(self, now: _dt.datetime | None = None,
                     tz: str | _dt.tzinfo | None = None) -> _dt.datetime:
        """When the team is next at work: ``now`` itself when it is open now.

        The result is in ``tz`` (the customer's zone, an IANA name) or else the brand's.
        It is what an auto-reply's ``back_at`` says.
        """
        now = _aware(now or _dt.datetime.now(_UTC))
        for opens, closes in self.periods(now):
            if now < closes:
                return max(opens, now).astimezone(zone(tz) if tz else self.tz)
        raise ValueError(f"no opening in the next {_SEARCH_DAYS} days (every day a holiday?)")

    def hours_for(self, category: str | None = None) -> int:
        """The response time promised for ``category`` (``general`` when None)."""
        category = category or GENERAL
        try:
            return self.response_hours[category]
        except KeyError:
            raise ValueError(f"unknown request category {category!r:.40} (one of "
                             f"{', '.join(sorted(self.response_hours))})") from None

    def reply_by(self, received_at: _dt.datetime, category: str | None = None,
                 tz: str | _dt.tzinfo | None = None) -> _dt.datetime:
        """When a reply to a request received at ``received_at`` is due: the category's
        promised hours counted in business time from then (or from the next opening).

        The result is in ``tz`` (the customer's zone) or else the brand's.
        """
        return self.add_business_time(received_at, _dt.timedelta(hours=self.hours_for(category)), tz)

    def add_business_time(self, start: _dt.datetime, amount: _dt.timedelta,
                          tz: str | _dt.tzinfo | None = None) -> _dt.datetime:
        """``start`` plus ``amount`` of working time (time outside opening hours skipped)."""
        start = _aware(start)
        left = amount
        for opens, closes in self.periods(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if left <= closes - begin:
                return (begin + left).astimezone(zone(tz) if tz else self.tz)
            left -= closes - begin
        raise ValueError(f"the promise does not fit in the next {_SEARCH_DAYS} days")


def _aware(when: _dt.datetime) -> _dt.datetime:
    if not isinstance(when, _dt.datetime):
        raise TypeError(f"expected a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a datetime without a time zone is ambiguous; give it one")
    return when.astimezone(_UTC)


def _parse_days(days: str) -> frozenset[int]:
    """``mon-fri`` (a range, which may wrap: ``sun-thu``) or a single day ``sat``."""
    text = str(days).strip().lower()
    first, _, last = text.partition("-")
    try:
        a = DAYS.index(first.strip())
        b = DAYS.index(last.strip()) if last else a
    except ValueError:
        raise ValueError(f"days: {days!r:.40} is not a range of days like 'mon-fri'") from None
    return frozenset((a + i) % 7 for i in range((b - a) % 7 + 1))


def _parse_time(value: str, what: str) -> _dt.time:
    try:
        t = _dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{what}: {value!r:.20} is not a time like '09:00'") from None
    if t.tzinfo is not None:
        raise ValueError(f"{what}: give the local time without an offset (the zone is 'timezone')")
    return t


def _line(file: str | None, table: str, key: str | None) -> int | None:
    return toml_line(file, table, key) if file else None
