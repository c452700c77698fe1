"""Catalogs, locale negotiation and locale-aware formatting (all through Babel).

Catalogs are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``. A project's
catalog is layered over the built-in one: its messages win. Unlike ``Translations.load()``,
a missing catalog is never silently replaced by English: see :func:`load_catalog`.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import functools
import gettext as _gettext
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .declension import vocative
from .errors import CatalogError, TplkitError
from .locale_style import ZoneWidth, style_for
from .safety import confine, roots_of

DOMAIN = "tplkit"
SOURCE_LOCALE = "en"
RTL_LANGUAGES = {"ar", "he", "fa", "ur", "ps", "sd", "yi", "dv", "ug", "ckb"}


def catalog_files(locale: str, dirs: Sequence[Path]) -> list[Path]:
    """The catalog files of ``locale`` in ``dirs``; something else in a catalog's place (a
    folder) is an error, not a silently missing catalog."""
    out = []
    for d in dirs:
        path = d / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            out.append(path)
        elif path.exists():
            raise CatalogError("not a file", file=path, locale=locale)
    return out


def available_locales(dirs: Sequence[Path], default: str = SOURCE_LOCALE) -> list[str]:
    """Every locale that has a catalog in any of ``dirs``, plus the default locale."""
    found = {default, SOURCE_LOCALE}
    for d in dirs:
        if d.is_dir():
            for child in d.iterdir():
                if (child / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
                    found.add(child.name)
    return sorted(found)


@dataclass
class Catalog:
    """Merged translations of one locale."""

    locale: str
    messages: dict[Any, Any] = field(default_factory=dict)   # msgid or (s, p) -> str or tuple
    plural_expr: str = "(n != 1)"
    num_plurals: int = 2
    files: list[Path] = field(default_factory=list)
    origins: dict[Any, tuple[str, int]] = field(default_factory=dict)   # key -> (file, line)

    def __post_init__(self) -> None:
        self._plural: Callable[[int], int] = plural_function(self.plural_expr, self.num_plurals)

    def plural_index(self, n: Any) -> int:
        """Index of the plural form to use for ``n`` according to the catalog's Plural-Forms."""
        try:
            return self._plural(abs(int(n)))
        except (TypeError, ValueError, OverflowError):
            return self.num_plurals - 1

    def gettext(self, msgid: str, context: str | None = None) -> str:
        return self.messages.get(message_key(msgid, context)) or msgid

    def origin(self, key: Any, context: str | None = None) -> tuple[str | None, int | None]:
        """Catalog file and line of a message (``msgid`` or ``(singular, plural)``)."""
        found = ((message_key(key[0], context), key[1]) if isinstance(key, tuple)
                 else message_key(key, context))
        return self.origins.get(found, (None, None))

    def plural_forms(self, singular: str, plural: str,
                     context: str | None = None) -> tuple[tuple[str, ...], Callable[[Any], int]]:
        """The translated forms and the function choosing among them.

        An untranslated (or partly translated) plural message falls back to the English
        forms *and* the English rule, so the numbers always agree with the words.
        """
        forms = self.messages.get((message_key(singular, context), plural))
        if forms and all(forms) and len(forms) == self.num_plurals:
            return tuple(forms), self.plural_index
        return (singular, plural), english_plural

    @property
    def translated(self) -> int:
        return sum(1 for v in self.messages.values() if v and (not isinstance(v, tuple) or all(v)))


def message_key(msgid: str, context: str | None) -> str:
    """The key of a message: its msgid, prefixed by ``msgctxt`` and EOT as gettext does, so
    an entry with a context never replaces the plain entry with the same msgid."""
    return msgid if context is None else f"{context}\x04{msgid}"


MAX_PLURALS = 6          # CLDR's most (ar: zero, one, two, few, many, other)
MAX_PLURAL_EXPR = 400    # characters; real rules are under 200


def plural_function(expr: str, nplurals: int) -> Callable[[int], int]:
    """The plural rule of a ``Plural-Forms`` header as a function (Python's gettext parser),
    with :class:`CatalogError` for rules that are not data: bad syntax, too long or too deep,
    or more forms than any language has."""
    if not isinstance(nplurals, int) or not 1 <= nplurals <= MAX_PLURALS:
        raise CatalogError(f"Plural-Forms: nplurals={nplurals} (a language has 1 to {MAX_PLURALS} forms)")
    if not isinstance(expr, str) or len(expr) > MAX_PLURAL_EXPR:
        raise CatalogError(f"Plural-Forms: the plural expression is longer than {MAX_PLURAL_EXPR} characters")
    try:
        func = _gettext.c2py(expr)
    except (ValueError, RecursionError, SyntaxError, MemoryError) as e:
        raise CatalogError(f"Plural-Forms: invalid plural expression ({e})") from None

    def index(n: int) -> int:
        i = func(n)
        return i if 0 <= i < nplurals else nplurals - 1

    return index


def english_plural(n: Any) -> int:
    try:
        return 0 if abs(int(n)) == 1 else 1
    except (TypeError, ValueError, OverflowError):
        return 1


_cache: dict[tuple, Catalog] = {}
_cache_lock = threading.Lock()


def read_po(path: Path, locale: str | None, roots: Sequence[Path] | None = None):
    """Read one ``.po`` file with Babel, turning its errors into :class:`CatalogError`.

    The file is read only if its real path lies inside ``roots`` (default: the folder
    holding its ``locales/``), so a symlinked catalog cannot pull in another file."""
    import io

    from babel.messages import pofile
    from babel.messages.pofile import PoFileError

    try:
        data = confine(path, roots if roots is not None else roots_of(path, "locales"),
                       locale=locale).read_bytes().removeprefix(b"\xef\xbb\xbf")   # a BOM
        plural_line = _check_po_header(path, data, locale)   # before Babel decodes or allocates
        catalog = pofile.read_po(io.BytesIO(data), locale=locale, abort_invalid=True)
        try:
            plural_function(catalog.plural_expr, catalog.num_plurals)
        except CatalogError as err:
            raise CatalogError(err.message, file=path, line=plural_line, locale=locale) from None
        _check_po_lines(path, data, locale)   # what Babel accepted but would mangle
        return catalog
    except PoFileError as e:
        line = getattr(e, "lineno", None)  # Babel counts lines from 0
        raise CatalogError(f"invalid catalog: {str(e).rsplit(' on ', 1)[0]}", file=path,
                           line=None if line is None else line + 1, locale=locale) from None
    except CatalogError:
        raise
    except TplkitError as e:   # FileOutsideProject: reported as this catalog's problem
        raise CatalogError(e.message, file=path, locale=locale) from None
    except UnicodeDecodeError as e:
        try:   # Babel decodes line by line: find the byte in the whole file
            data.decode(e.encoding)
            line = None
        except (UnicodeDecodeError, LookupError) as whole:
            line = data[:getattr(whole, "start", 0)].count(b"\n") + 1
        raise CatalogError(f"not {e.encoding} text (byte 0x{e.object[e.start]:02x}); save the file "
                           f"as UTF-8", file=path, line=line, locale=locale) from None
    except OSError as e:
        raise CatalogError(f"cannot read catalog: {e.strerror or e}", file=path, locale=locale) from None
    except (ValueError, LookupError, TypeError, RecursionError, MemoryError) as e:
        raise CatalogError(f"cannot read catalog: {type(e).__name__}: {e}", file=path,
                           locale=locale) from None


_CHARSET = re.compile(rb"charset\s*=\s*([A-Za-z0-9._:-]*)", re.I)
_PLURAL_HEADER = re.compile(rb"Plural-Forms:([^\"\\]*(?:\\.[^\"\\]*)*)", re.I)
_NPLURALS = re.compile(r"nplurals\s*=\s*([^;\s]*)")


def _check_po_header(path: Path, data: bytes, locale: str | None) -> int | None:
    """The charset and the plural rule are data: a text encoding Python knows, and a
    ``Plural-Forms`` rule :func:`plural_function` accepts. Checked on the raw bytes, before
    Babel decodes the file or sizes its plural forms."""
    import codecs

    def line_of(pos: int) -> int:
        return data.count(b"\n", 0, pos) + 1

    for m in _CHARSET.finditer(data[:4096]):
        name = m.group(1).decode("ascii")
        try:
            ok = codecs.lookup(name)._is_text_encoding
        except LookupError:
            ok = False
        if not ok:
            raise CatalogError(f"charset {name!r} is not a text encoding Python knows (use UTF-8)",
                               file=path, line=line_of(m.start()), locale=locale)
    header = _PLURAL_HEADER.search(data[:8192])
    if header is None:
        return None
    n = _NPLURALS.search(header.group(1).decode("utf-8", "replace"))
    if n is None or not (n.group(1).isdigit() and 1 <= int(n.group(1)[:4]) <= MAX_PLURALS):
        raise CatalogError(f"Plural-Forms: nplurals={n.group(1)[:20] if n else '?'} (a language has "
                           f"1 to {MAX_PLURALS} forms)", file=path, line=line_of(header.start()),
                           locale=locale)
    return line_of(header.start())


# a keyword with a complete "string", or a "string" continuation line
_PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')


def _check_po_lines(path: Path, data: bytes, locale: str | None) -> None:
    """Refuse lines Babel would silently mangle (``msgstr "unterminated``, a missing quote)."""
    for n, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#") and not _PO_LINE.match(line):
            raise CatalogError(f"invalid catalog line {line[:60]!r}: expected msgid/msgstr and a "
                               f"quoted string, or a quoted continuation", file=path, line=n,
                               locale=locale)


def load_catalog(locale: str, dirs: Sequence[Path], roots: Sequence[Path] | None = None) -> Catalog:
    """The merged catalog for ``locale``.

    The source locale (``en``) needs no catalog. Any other locale without a catalog raises
    :class:`CatalogError` instead of rendering English without a word.
    """
    files = catalog_files(locale, dirs)
    key = (locale, tuple((str(f), f.stat().st_mtime_ns) for f in files))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    if not files:
        if locale.split("_")[0] == SOURCE_LOCALE:
            cat = Catalog(locale)
        else:
            raise CatalogError(f"no catalog for locale {locale!r} "
                               f"(expected locales/{locale}/LC_MESSAGES/{DOMAIN}.po)", locale=locale)
    else:
        first: Catalog | None = None
        for path in files:
            po = read_po(path, locale, roots)
            if first is None:
                try:
                    first = Catalog(locale, plural_expr=po.plural_expr, num_plurals=po.num_plurals)
                except CatalogError as e:
                    raise CatalogError(e.message, file=path, locale=locale) from None
            cat = first
            for msg in po:
                if not msg.id or msg.fuzzy:
                    continue
                if isinstance(msg.id, (tuple, list)):
                    forms = tuple(msg.string or ())
                    if forms and all(forms):
                        pkey = (message_key(msg.id[0], msg.context), msg.id[1])
                        cat.messages[pkey] = forms
                        cat.origins[pkey] = (str(path), msg.lineno)
                elif msg.string:
                    skey = message_key(msg.id, msg.context)
                    cat.messages[skey] = msg.string
                    cat.origins[skey] = (str(path), msg.lineno)
            cat.files.append(path)
        cat.__post_init__()
    with _cache_lock:
        _cache[key] = cat
    return cat


# --- messages shown untranslated ---------------------------------------------------------------

_fallbacks: contextvars.ContextVar[dict[str, None] | None] = contextvars.ContextVar(
    "tplkit_fallbacks", default=None)


@contextlib.contextmanager
def collect_fallbacks() -> Iterator[dict[str, None]]:
    """Collect (in order, once each) the messages looked up meanwhile that the catalog does
    not translate, so the compiled email can say which text is in the source language."""
    found: dict[str, None] = {}
    token = _fallbacks.set(found)
    try:
        yield found
    finally:
        _fallbacks.reset(token)


def note_fallback(catalog: Catalog, msgid: str, translated: bool) -> None:
    """Record ``msgid`` as shown untranslated in ``catalog``'s locale (see :func:`collect_fallbacks`)."""
    if not translated and catalog.locale.split("_")[0] != SOURCE_LOCALE:
        found = _fallbacks.get()
        if found is not None:
            found[msgid] = None


def fallback_note(locale: str, messages: Sequence[str]) -> str:
    """The warning a rendered email carries when some of its text is not translated."""
    if not messages:
        return ""
    shown = ", ".join(repr(m if len(m) <= 40 else m[:37] + "...") for m in messages[:5])
    more = f" and {len(messages) - 5} more" if len(messages) > 5 else ""
    n = len(messages)
    return (f"{n} message{'s' if n != 1 else ''} not translated to {locale!r}, shown in the "
            f"source language ({SOURCE_LOCALE}): {shown}{more}")


# --- negotiation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Negotiated:
    """Which locale will be used for a request, and whether it is what was asked for."""

    requested: str | None
    locale: str
    exact: bool
    note: str = ""


def negotiate(requested: str | None, available: Iterable[str], default: str) -> Negotiated:
    """Pick a locale: ``uk-UA`` -> ``uk_UA`` -> ``uk`` -> default.

    A miss is reported in ``note`` (the caller warns); it is never silent.
    """
    from babel import Locale, UnknownLocaleError

    available = list(available)
    if not requested:
        return Negotiated(requested, default, True)
    try:
        loc = Locale.parse(str(requested).strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Negotiated(requested, default, False,
                          f"unknown locale {requested!r}; using {default!r}")
    candidates = [str(loc)]
    if loc.script:
        candidates.append(f"{loc.language}_{loc.script}")
    candidates.append(loc.language)
    for cand in candidates:
        if cand in available:
            return Negotiated(requested, cand, True)
    return Negotiated(requested, default, False,
                      f"no templates in locale {requested!r}; using {default!r} "
                      f"(available: {', '.join(available)})")


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
        return _integer_formatter(locale)(value)
    return babel_number(value, locale)


def babel_number(value: Any, locale: str) -> str:
    """:func:`fmt_number` through ``babel.numbers.format_decimal`` on every call."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_babel(locale))


@functools.lru_cache(maxsize=256)
def _integer_formatter(locale: str) -> Callable[[int], str]:
    from .moneyfmt import compile_integer

    return compile_integer(_babel(locale), functools.partial(babel_number, locale=locale))


def fmt_money(value: Any, currency: str | None = None, locale: str = SOURCE_LOCALE) -> str:
    """An amount with its currency as the locale writes it in running text (CLDR, adjusted
    by :mod:`tplkit.locale_style`: «10,00 €» in uk and tr). Formatted by a formatter compiled
    once per (locale, currency) from Babel's pattern (:mod:`tplkit.moneyfmt`)."""
    amount = getattr(value, "amount", value)
    currency = currency or getattr(value, "currency", None)
    if isinstance(currency, str):   # Decimal(str(d)) is d itself (same digits, sign and exponent)
        return _money_formatter(locale, currency)(amount if type(amount) is Decimal else Decimal(str(amount)))
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
def _money_formatter(locale: str, currency: str) -> Callable[[Decimal], str]:
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
        return abbr
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


def _number_filter(value: Any, locale: str = SOURCE_LOCALE) -> str:
    """``number``: an int through its compiled formatter (cheaper than the memo's key),
    anything else through the memo."""
    if type(value) is int:
        return _integer_formatter(locale)(value)
    return _remembered_number(value, locale=locale)


LOCALE_FILTERS: dict[str, Callable[..., str]] = {
    # money: amounts are mostly unique per message and the compiled formatter costs less
    # than the memo's key (tplkit/moneyfmt.py)
    "number": _number_filter, "money": fmt_money,
    "date": _remembered(fmt_date), "datetime": _remembered(fmt_datetime),
    "time": _remembered(fmt_time), "duration": _remembered(fmt_duration), "list": fmt_list,
    "support_hours": fmt_support_hours, "vocative": _remembered(vocative),
}

# The filter a bare ``{{ placeholder }}`` of each type is shown with.
TYPE_FORMAT = {"int": "number", "decimal": "number", "money": "money", "date": "date",
               "datetime": "datetime", "duration": "duration", "list": "list"}


def msgstr_line(lines: Sequence[str], lineno: int | None) -> int | None:
    """The line of the ``msgstr`` (or first ``msgstr[n]``) of the catalog entry whose
    ``msgid`` is on line ``lineno`` (Babel's ``Message.lineno``): where msgfmt points, and the
    line a translator edits."""
    if not lineno:
        return None
    for n in range(lineno - 1, len(lines)):
        if lines[n].lstrip().startswith("msgstr"):
            return n + 1
    return lineno
