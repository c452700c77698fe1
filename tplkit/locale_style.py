"""How each locale writes dates, times, money and ranges in running text: data, not code.

Babel's CLDR data is the base; what a native writer does differently in an email is written
down here per locale and applied by the formatting filters in :mod:`tplkit.i18n`:
Polish long dates end in «r.», a Spanish weekday takes no comma before the day in running
text, Ukrainian shows «€» where CLDR has «EUR», Turkish puts the symbol after the amount,
Russian names a time zone by its abbreviation («(CET)») instead of a region, German keeps
«Uhr» with the time, Arabic uses the 24-hour clock of its support hours everywhere and says
«من الاثنين إلى الجمعة». A locale missing from :data:`STYLES` formats exactly as CLDR says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["STYLES", "DayWidth", "LocaleStyle", "ZoneWidth", "style_for"]

#: how a time zone is named (:attr:`LocaleStyle.zone`)
ZoneWidth = Literal["long", "short", "abbr"]
#: the width of day names (:attr:`LocaleStyle.day_width`), two of the widths Babel's CLDR data has
DayWidth = Literal["abbreviated", "wide"]


@dataclass(frozen=True)
class LocaleStyle:
    """One locale's formatting choices (every field optional: ``None`` means CLDR's own).

    - ``dates``: CLDR date patterns by width (``long``, ``full``) replacing the locale's.
    - ``time``: the pattern of a time of day (it fixes the 12/24-hour clock too);
      ``range_time``: the pattern of each end of a range of hours (default ``time``).
    - ``zone``: how a time zone is named: ``long`` (CLDR's name, «Central European Time»),
      ``short`` (CLDR's abbreviation, «MEZ»), ``abbr`` (the tz database's, «CET»);
      ``zone_format``: where it goes, around ``{time}`` and ``{zone}``; ``zone_names``:
      abbreviations the locale writes its own way (Russian «МСК» for the tz database's «MSK»).
    - ``currency_format``: a CLDR currency pattern; ``currency_symbols``: symbols to show
      instead of the locale's (``{"EUR": "€"}``).
    - ``days``/``hours``: a range of weekdays and of hours, around ``{first}``/``{last}``
      and ``{open}``/``{close}``; ``day_width``: ``abbreviated`` or ``wide`` day names;
      ``separator``: between the days and the hours.
    """

    dates: dict[str, str] = field(default_factory=dict)
    time: str | None = None
    range_time: str | None = None
    zone: ZoneWidth = "long"
    zone_format: str = "{time} ({zone})"
    zone_names: dict[str, str] = field(default_factory=dict)
    currency_format: str | None = None
    currency_symbols: dict[str, str] = field(default_factory=dict)
    days: str = "{first}–{last}"
    day_width: DayWidth = "abbreviated"
    hours: str = "{open}–{close}"
    separator: str = ", "


STYLES: dict[str, LocaleStyle] = {
    # «Monday, November 23, 2026 at 9:00 AM (Central European Time)»; ranges unspaced
    "en": LocaleStyle(),
    # «23 листопада 2026 р.» (CLDR); «10,00 €»; «09:00 за центральноєвропейським часом»
    "uk": LocaleStyle(currency_symbols={"EUR": "€"}, zone_format="{time} {zone}"),
    # «09:00 (CET)»: CLDR's «(Центральная Европа)» names a region, not a time; Moscow time is
    # written «МСК» in Cyrillic
    "ru": LocaleStyle(zone="abbr", zone_names={"MSK": "МСК"}),
    # «09:00 Uhr (MEZ)»: «Uhr» belongs to the time (a no-break space: a wrapped line never
    # starts with it), the zone follows it
    "de": LocaleStyle(time="HH:mm\u00a0'Uhr'", range_time="HH:mm", hours="{open}–{close}\u00a0Uhr",
                      zone="short"),
    # «lunes 23 de noviembre de 2026», «de lunes a viernes, de 9:00 a 18:00»
    "es": LocaleStyle(dates={"full": "EEEE d 'de' MMMM 'de' y"}, days="de {first} a {last}",
                      day_width="wide", hours="de {open} a {close}"),
    # «23 listopada 2026 r.», «poniedziałek, 23 listopada 2026 r.»
    "pl": LocaleStyle(dates={"long": "d MMMM y 'r.'", "full": "EEEE, d MMMM y 'r.'"}),
    # «10,00 €» in running text; «Pazartesi–Cuma»
    "tr": LocaleStyle(currency_format="#,##0.00\u00a0¤", day_width="wide"),
    # one clock in the whole email (the support hours are 24-hour); «من الاثنين إلى الجمعة»
    "ar": LocaleStyle(time="HH:mm", days="من {first} إلى {last}", day_width="wide",
                      hours="من {open} إلى {close}", separator="، "),
}

_DEFAULT = LocaleStyle()


def style_for(locale: str) -> LocaleStyle:
    """The style of ``locale`` (``pt_BR`` falls back to ``pt``), else CLDR's plain formats."""
    return STYLES.get(locale) or STYLES.get(locale.split("_")[0]) or _DEFAULT
