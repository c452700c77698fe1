"""Locale formatting choices (tplkit.locale_style) as the filters apply them: exact strings."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tplkit import formatting

NBSP = "\u00a0"
BACK = dt.datetime.fromisoformat("2026-11-23T09:00:00+01:00")
HOURS = {"days": "mon-fri", "open": "09:00", "close": "18:00", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize("locale, expected", [
    ("en", "9:00\u202fAM (Central European Time)"),     # CLDR: narrow no-break space
    ("uk", "09:00 за центральноєвропейським часом"),
    ("ru", "09:00 (CET)"),                          # not the region «(Центральная Европа)»
    ("de", "09:00\u00a0Uhr (MEZ)"),                 # «Uhr» with the time (unbroken), then the zone
    ("es", "9:00 (hora de Europa central)"),
    ("pl", "09:00 (czas środkowoeuropejski)"),
    ("tr", "09:00 (Orta Avrupa Saati)"),
    ("ar", "09:00 (توقيت وسط أوروبا)"),             # 24-hour, as the support hours
])
def test_time_with_its_zone(locale, expected):
    """Time-zone display and the clock per locale."""
    assert formatting.fmt_time(BACK, tz="Europe/Berlin", zone=True, locale=locale) == expected


def test_zone_names_follow_summer_time_and_bare_offsets():
    """Summer time is named as such; a bare UTC offset is shown as one."""
    summer = dt.datetime.fromisoformat("2026-07-01T09:00:00+02:00")
    assert formatting.fmt_time(summer, tz="Europe/Berlin", zone=True, locale="de") == "09:00\u00a0Uhr (MESZ)"
    assert formatting.fmt_time(summer, tz="Europe/Berlin", zone=True, locale="ru") == "09:00 (CEST)"
    assert formatting.fmt_time(BACK, zone=True, locale="ru") == "09:00 (GMT+01:00)"
    assert formatting.fmt_time(BACK, tz="Europe/Moscow", zone=True, locale="ru") == "11:00 (МСК)"


@pytest.mark.parametrize("locale, fmt, expected", [
    ("pl", "long", "23 listopada 2026 r."),
    ("pl", "full", "poniedziałek, 23 listopada 2026 r."),
    ("es", "full", "lunes 23 de noviembre de 2026"),     # no comma after the weekday
    ("es", "long", "23 de noviembre de 2026"),
    ("uk", "long", "23 листопада 2026\u202fр."),
    ("de", "full", "Montag, 23. November 2026"),
])
def test_date_patterns(locale, fmt, expected):
    """Date suffixes and punctuation per locale; words joined by no-break spaces."""
    assert formatting.fmt_date(dt.date(2026, 11, 23), fmt, locale=locale) == expected.replace(" ", NBSP)


@pytest.mark.parametrize("locale, expected", [
    ("uk", f"10,00{NBSP}€"), ("ru", f"10,00{NBSP}€"), ("de", f"10,00{NBSP}€"), ("es", f"10,00{NBSP}€"),
    ("pl", f"10,00{NBSP}€"), ("tr", f"10,00{NBSP}€"), ("en", "€10.00"),
])
def test_currency_display(locale, expected):
    """«10,00 €» in uk (CLDR: «EUR») and tr (CLDR: «€10,00») as in the other locales."""
    assert formatting.fmt_money(Decimal("10.00"), "EUR", locale=locale) == expected


@pytest.mark.parametrize("locale, expected", [
    ("en", "Mon–Fri, 9:00\u202fAM–6:00\u202fPM (Central European Time)"),
    ("uk", "пн–пт, 09:00–18:00 за центральноєвропейським часом"),
    ("ru", "пн–пт, 09:00–18:00 (CET)"),             # one dash style, not «09:00—18:00»
    ("de", "Mo.–Fr., 09:00–18:00\u00a0Uhr (MEZ)"),
    ("es", "de lunes a viernes, de 9:00 a 18:00 (hora de Europa central)"),
    ("pl", "pon.–pt., 09:00–18:00 (czas środkowoeuropejski)"),
    ("tr", "Pazartesi–Cuma, 09:00–18:00 (Orta Avrupa Saati)"),
    ("ar", "من الاثنين إلى الجمعة، من 09:00 إلى 18:00 (توقيت وسط أوروبا)"),
])
def test_support_hours_ranges(locale, expected):
    """Weekday and hour ranges in the locale's words, its clock and its zone style."""
    assert formatting.fmt_support_hours(HOURS, locale=locale) == expected


def test_a_locale_without_a_style_formats_as_cldr():
    """A locale missing from the table (fr) gets Babel's CLDR formats unchanged."""
    from babel.dates import format_date

    day = dt.date(2026, 11, 23)
    assert formatting.fmt_date(day, "full", locale="fr") == \
        format_date(day, "full", locale="fr").replace(" ", NBSP)


def test_german_auto_reply_says_uhr_once_before_the_zone():
    """The German auto-reply: «um 09:00 Uhr (MEZ) wieder für Sie da», «Uhr» not after the brackets."""
    import tplkit

    kit = tplkit.Kit()
    info = kit.template("auto-reply")
    text = " ".join(kit.render("auto-reply", info.sample_for("de"), locale="de").text.split())
    assert "am Montag, 23. November 2026 um 09:00 Uhr (MEZ) wieder für Sie da." in text.replace(NBSP, " ")
