"""Catalogs and locale negotiation (through Babel).

Catalogs are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``. A project's
catalog is layered over the built-in one: its messages win. Unlike ``Translations.load()``,
a missing catalog is never silently replaced by English: see :func:`load_catalog`.
Formatting values in a locale (CLDR) is :mod:`tplkit.formatting`.
"""
from __future__ import annotations

import codecs
import contextlib
import contextvars
import gettext as _gettext
import io
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CatalogError, TplkitError
from .safety import confine, roots_of

DOMAIN = "tplkit"
SOURCE_LOCALE = "en"


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
    has_variants: bool = field(default=False, init=False)   # any gendered variant (address_variants)

    def __post_init__(self) -> None:
        self._plural: Callable[[int], int] = plural_function(self.plural_expr, self.num_plurals)
        marks = tuple(f"{c}\x04" for c in ADDRESS_CONTEXTS.values())
        self.has_variants = any((k[0] if isinstance(k, tuple) else k).startswith(marks)
                                for k in self.messages)

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


# --- forms of address -----------------------------------------------------------------------

#: the placeholder that says how the customer is addressed (``female``/``male``; unset: the
#: language's neutral form). Templates that declare it get the catalog's gendered variants.
ADDRESS_PLACEHOLDER = "customer_gender"
#: the ``msgctxt`` of a message's variant for each value of :data:`ADDRESS_PLACEHOLDER`
ADDRESS_CONTEXTS = {"female": "customer: female", "male": "customer: male"}


def address_base(context: str | None) -> bool:
    """Whether ``context`` marks a gendered variant of the message with no context (such an
    entry is not in the ``.pot``: only languages whose sentences differ carry it)."""
    return context in ADDRESS_CONTEXTS.values()


def address_variants(catalog: Catalog, msgid: str, plural: str | None = None) -> dict[str, str]:
    """The forms of address (:data:`ADDRESS_CONTEXTS`) for which ``catalog`` has a variant of
    ``msgid``: value -> msgctxt. Polish writes «Pani»/«Pan» where the neutral form says
    «Państwo» («Otrzymaliśmy Pani zgłoszenie»); most languages have none."""
    if not catalog.has_variants:
        return {}
    found = {}
    for value, context in ADDRESS_CONTEXTS.items():
        key = message_key(msgid, context)
        if (catalog.messages.get((key, plural)) if plural is not None else catalog.messages.get(key)):
            found[value] = context
    return found


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
    from babel.messages import pofile  # Babel loads on first use: `import tplkit` stays light
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
    from babel import Locale, UnknownLocaleError  # (Babel on first use, as above)

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
