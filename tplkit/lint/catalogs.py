"""Catalog rules: one ``.po`` file of one locale, read with Babel.

Each rule is a small function ``(CatalogContext) -> Iterable[Hit]``; ``catalog-missing``
looks at the project as a whole (``ProjectContext``).
"""
from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural

from .. import i18n
from .files import SourceText
from .model import Hit

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)\b[^>]*?(/?)>")


@dataclass
class ProjectContext:
    """What project-wide rules need: the kit, its config file and its configured locales."""

    kit: Any
    config: SourceText | None
    configured: list[str]
    own_dirs: list[Path] | None = None   # a project with messages of its own: its catalogs only


@dataclass
class CatalogContext:
    """One catalog file of a locale, the messages the templates use, and where they are used."""

    kit: Any
    locale: str
    src: SourceText
    catalog: Catalog | None                           # None when the file does not parse
    error: Any = None                                 # the CatalogError then
    known: set = field(default_factory=set)           # message keys found in any template folder

    @property
    def file(self) -> str:
        return str(self.src.path)

    def messages(self) -> Iterable[Message]:
        return (m for m in self.catalog or () if m.id)


def message_key(msg: Message) -> tuple[str, str | None]:
    return (msg.id if isinstance(msg.id, str) else msg.id[0], msg.context)


def _forms(msg: Message) -> list[str]:
    if isinstance(msg.string, (tuple, list)):
        return list(msg.string)
    return [msg.string or ""]


def _ids(msg: Message) -> list[str]:
    return list(msg.id) if isinstance(msg.id, (tuple, list)) else [msg.id]


def _translated(msg: Message) -> bool:
    return not msg.fuzzy and any(_forms(msg))


def _short(msg: Message) -> str:
    text = _ids(msg)[0]
    return repr(text if len(text) <= 50 else text[:47] + "...")


# --- rules -----------------------------------------------------------------------------------

def catalog_missing(ctx: ProjectContext) -> Iterable[Hit]:
    """A configured locale without a catalog (Babel would silently fall back to English)."""
    dirs = ctx.kit.project.locale_dirs if ctx.own_dirs is None else ctx.own_dirs
    line = None
    if ctx.config is not None:
        m = re.search(r"^[ \t]*locales\s*=", ctx.config.text, re.MULTILINE)
        line = ctx.config.position(m.start())[0] if m else None
    for loc in ctx.configured:
        if loc.split("_")[0] == i18n.SOURCE_LOCALE or i18n.catalog_files(loc, dirs):
            continue
        yield Hit(f"locale {loc!r} is configured but has no catalog "
                  f"(expected locales/{loc}/LC_MESSAGES/{i18n.DOMAIN}.po; create it with "
                  f"'tplkit i18n extract' and 'tplkit i18n init {loc}')",
                  str(ctx.config.path) if ctx.config else None, line, locale=loc)


def catalog_syntax(ctx: CatalogContext) -> Iterable[Hit]:
    """A catalog Babel cannot read (every other catalog rule skips it)."""
    if ctx.error is not None:
        yield Hit(re.sub(r" on \d+$", "", ctx.error.message), ctx.file, ctx.error.line)


def _msgstr(ctx: CatalogContext, msg: Any) -> int | None:
    """Where a per-message catalog finding points: the msgstr line (as msgfmt does)."""
    return i18n.msgstr_line(ctx.src.lines, msg.lineno)


def untranslated(ctx: CatalogContext) -> Iterable[Hit]:
    """A message with an empty translation (customers would get English). Not in a catalog of
    the source language: there an empty msgstr shows the source text, which is right."""
    if ctx.locale.split("_")[0] == i18n.SOURCE_LOCALE:
        return
    for msg in ctx.messages():
        if not msg.fuzzy and not any(_forms(msg)):
            yield Hit(f"{_short(msg)} is not translated", ctx.file, _msgstr(ctx, msg))


def fuzzy(ctx: CatalogContext) -> Iterable[Hit]:
    """A fuzzy translation: tplkit ignores it, so customers get English."""
    for msg in ctx.messages():
        if msg.fuzzy:
            yield Hit(f"{_short(msg)} is marked fuzzy and will not be used", ctx.file, _msgstr(ctx, msg))


def placeholder_mismatch(ctx: CatalogContext) -> Iterable[Hit]:
    """``%(name)s`` placeholders of the translation differ from the original's."""
    for msg in ctx.messages():
        if not _translated(msg):
            continue
        wanted = set().union(*(_PLACEHOLDER.findall(s) for s in _ids(msg)))
        forms = [set(_PLACEHOLDER.findall(f)) for f in _forms(msg) if f]
        extra = set().union(*forms) - wanted
        # a plural form may leave out the number ("one hour"); every name must appear somewhere
        missing = wanted - set().union(*forms) if len(_ids(msg)) > 1 else \
            wanted - (forms[0] if forms else set())
        if extra or missing:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(f"%({n})s" for n in sorted(missing)))
            if extra:
                parts.append("unknown " + ", ".join(f"%({n})s" for n in sorted(extra)))
            yield Hit(f"translation of {_short(msg)} has {' and '.join(parts)}", ctx.file, _msgstr(ctx, msg))


# numbers whose plural category a catalog's rule is checked on: every category of every CLDR
# language shows up below 1,200, except Spanish/French/Italian "many" (exact millions)
_PLURAL_PROBES = (*range(1201), 1_000_000, 1_000_001, 2_000_000, 21_000_000)


def plural_forms(ctx: CatalogContext) -> Iterable[Hit]:
    """Wrong number of plural forms, an empty form, or a Plural-Forms header unfit for the language.

    The header is judged by what it does, not by its ``nplurals``: every CLDR category the
    installed Babel knows for the language must get a form of its own. A catalog may tell more
    numbers apart than CLDR does (one written for a newer CLDR, read with an older Babel), never
    fewer: that is a catalog written for an older CLDR, and the finding names the header to use.
    """
    if ctx.catalog is None:
        return
    header = re.search(r"Plural-Forms:", ctx.src.text)
    header_line = ctx.src.position(header.start())[0] if header else 1
    nplurals = ctx.catalog.num_plurals
    try:
        pick = gettext.c2py(ctx.catalog.plural_expr)
        slots = {n: pick(n) for n in _PLURAL_PROBES}
    except (ValueError, SyntaxError, RecursionError, OverflowError):
        slots = None
    if slots is None or not set(slots.values()) <= set(range(nplurals)):
        yield Hit(f"Plural-Forms expression {ctx.catalog.plural_expr!r} is invalid or picks a "
                  f"form outside 0..{nplurals - 1}", ctx.file, header_line)
    else:
        try:
            category = Locale.parse(ctx.locale).plural_form
        except (ValueError, LookupError):
            category = None
        clash = category and _merged_categories(slots, category)
        if clash:
            (a, cat_a), (b, cat_b) = clash
            said = "Plural-Forms header" if header else "no Plural-Forms header, so the default"
            yield Hit(f"{said} gives {a} and {b} the same form, but CLDR's plural rules for "
                      f"{ctx.locale!r} tell them apart ({cat_a!r}, {cat_b!r}): the catalog was "
                      f"written for an older rule. {_plural_advice(ctx.locale, category)}",
                      ctx.file, header_line)
    lines = ctx.src.lines
    for msg in ctx.messages():
        if not msg.pluralizable or not any(_forms(msg)) or msg.fuzzy:
            continue
        written = _written_forms(lines, msg.lineno)  # Babel pads missing forms with ""
        if written is not None and written != nplurals:
            yield Hit(f"{_short(msg)} has {written} plural form{'s' if written != 1 else ''}; "
                      f"the Plural-Forms header says nplurals={nplurals}", ctx.file, _msgstr(ctx, msg))
            continue
        empty = [i for i, f in enumerate(_forms(msg)) if not f]
        if empty:
            yield Hit(f"{_short(msg)}: plural form(s) {', '.join(map(str, empty))} are empty",
                      ctx.file, _msgstr(ctx, msg))


def _merged_categories(slots: dict[int, int], category: Any) -> tuple | None:
    """Two numbers that share a catalog form but not a CLDR plural category, or None."""
    seen: dict[int, tuple[int, str]] = {}
    for n, slot in slots.items():
        cat = category(n)
        first = seen.setdefault(slot, (n, cat))
        if first[1] != cat:
            return first, (n, cat)
    return None


def _plural_advice(locale: str, category: Any) -> str:
    """The header to write instead: Babel's gettext rule when it agrees with CLDR's categories
    (older Babel releases kept a table of their own that lagged behind CLDR for es and tr)."""
    cats = sorted(set(map(category, _PLURAL_PROBES)), key=_CLDR_ORDER.index)
    try:
        wanted = get_plural(locale)
        pick = gettext.c2py(wanted.plural_expr)
        fits = not _merged_categories({n: pick(n) for n in _PLURAL_PROBES}, category)
    except (ValueError, LookupError, SyntaxError):
        fits = False
    if fits and wanted.num_plurals == len(cats):
        return (f'Use "Plural-Forms: {wanted.plural_forms};" and give every plural message '
                f"{wanted.num_plurals} forms (msgstr[0]..msgstr[{wanted.num_plurals - 1}]).")
    return (f"Use a rule with nplurals={len(cats)} that gives each of {', '.join(cats)} a form "
            f"of its own, and give every plural message {len(cats)} forms.")


_CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


def _written_forms(lines: list[str], lineno: int | None) -> int | None:
    """How many ``msgstr[n]`` lines the entry starting at ``lineno`` really has."""
    if not lineno:
        return None
    n = 0
    for line in lines[lineno - 1:]:
        s = line.strip()
        if not s or (s.startswith("#") and n):
            break
        n += s.startswith("msgstr[")
    return n


def _tags(text: str) -> list[str]:
    return sorted(f"<{m.group(1)}{m.group(2).lower()}>" for m in _TAG.finditer(text))


def markup_mismatch(ctx: CatalogContext) -> Iterable[Hit]:
    """The translation's HTML tags differ from the original's (a lost ``</a>`` breaks the email)."""
    for msg in ctx.messages():
        if not _translated(msg):
            continue
        wanted = _tags(_ids(msg)[0])
        for form in _forms(msg):
            if form and _tags(form) != wanted:
                yield Hit(f"translation of {_short(msg)} has tags {' '.join(_tags(form)) or 'none'}; "
                          f"expected {' '.join(wanted) or 'none'}", ctx.file, _msgstr(ctx, msg))
                break


def stale_message(ctx: CatalogContext) -> Iterable[Hit]:
    """In the catalog but in no template (a template message missing from a catalog is
    ``missing-translation``). A gendered variant (:func:`tplkit.i18n.address_variants`) is
    used wherever the message it varies is."""
    for msg in ctx.messages():
        key = message_key(msg)
        if key not in ctx.known and not (i18n.address_base(key[1]) and (key[0], None) in ctx.known):
            yield Hit(f"{_short(msg)} is in the catalog but no template uses it", ctx.file, msg.lineno)


def address_variant(ctx: CatalogContext) -> Iterable[Hit]:
    """A message with a gendered variant (``msgctxt "customer: female"``/``"customer: male"``,
    see :func:`tplkit.i18n.address_variants`) for one form of address but not the other:
    that reader gets the neutral wording, which need not agree with the greeting (Polish
    «Dzień dobry, Panie Marku,» then «Państwa zgłoszenie»)."""
    found: dict[str, dict[str, Message]] = {}
    for msg in ctx.messages():
        if msg.context is not None and i18n.address_base(msg.context):
            found.setdefault(message_key(msg)[0], {})[msg.context] = msg
    for variants in found.values():
        missing = [c for c in i18n.ADDRESS_CONTEXTS.values() if c not in variants]
        if missing:
            msg = next(iter(variants.values()))
            yield Hit(f"{_short(msg)} has a {msg.context!r} variant but no {missing[0]!r} one: that "
                      f"reader gets the neutral wording, which may not agree with the greeting",
                      ctx.file, _msgstr(ctx, msg))
