"""Catalog rules: one ``.po`` file of one locale, read with Babel.

Each rule is a small function ``(CatalogContext) -> Iterable[Hit]``; ``catalog-missing``
looks at the project as a whole (``ProjectContext``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message

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


@dataclass
class CatalogContext:
    """One catalog file of a locale, the messages the templates use, and where they are used."""

    kit: Any
    locale: str
    src: SourceText
    catalog: Catalog | None                           # None when the file does not parse
    error: Any = None                                 # the CatalogError then
    known: set = field(default_factory=set)           # message keys found in any template folder
    missing: list = field(default_factory=list)       # (key, text, file, line) used but not in the locale

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
    dirs = ctx.kit.project.locale_dirs
    line = None
    if ctx.config is not None:
        m = re.search(r"^[ \t]*locales\s*=", ctx.config.text, re.MULTILINE)
        line = ctx.config.position(m.start())[0] if m else None
    for loc in ctx.configured:
        if loc.split("_")[0] == i18n.SOURCE_LOCALE or i18n.catalog_files(loc, dirs):
            continue
        yield Hit(f"locale {loc!r} is configured but has no catalog "
                  f"(expected locales/{loc}/LC_MESSAGES/{i18n.DOMAIN}.po)",
                  str(ctx.config.path) if ctx.config else None, line, locale=loc)


def catalog_syntax(ctx: CatalogContext) -> Iterable[Hit]:
    """A catalog Babel cannot read (every other catalog rule skips it)."""
    if ctx.error is not None:
        yield Hit(re.sub(r" on \d+$", "", ctx.error.message), ctx.file, ctx.error.line)


def untranslated(ctx: CatalogContext) -> Iterable[Hit]:
    """A message with an empty translation (customers would get English)."""
    for msg in ctx.messages():
        if not msg.fuzzy and not any(_forms(msg)):
            yield Hit(f"{_short(msg)} is not translated", ctx.file, msg.lineno)


def fuzzy(ctx: CatalogContext) -> Iterable[Hit]:
    """A fuzzy translation: tplkit ignores it, so customers get English."""
    for msg in ctx.messages():
        if msg.fuzzy:
            yield Hit(f"{_short(msg)} is marked fuzzy and will not be used", ctx.file, msg.lineno)


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
            yield Hit(f"translation of {_short(msg)} has {' and '.join(parts)}", ctx.file, msg.lineno)


def plural_forms(ctx: CatalogContext) -> Iterable[Hit]:
    """Wrong number of plural forms, an empty form, or a Plural-Forms header unfit for the language."""
    from babel.messages.plurals import get_plural

    if ctx.catalog is None:
        return
    header = re.search(r"Plural-Forms:", ctx.src.text)
    header_line = ctx.src.position(header.start())[0] if header else 1
    try:
        expected = get_plural(ctx.locale).num_plurals
    except (ValueError, LookupError):
        expected = None
    nplurals = ctx.catalog.num_plurals
    if header is None and expected not in (None, 2):
        yield Hit(f"no Plural-Forms header; {ctx.locale!r} needs nplurals={expected}", ctx.file, 1)
    elif expected is not None and nplurals != expected:
        yield Hit(f"Plural-Forms header says nplurals={nplurals}, but {ctx.locale!r} has "
                  f"{expected} plural forms", ctx.file, header_line)
    else:
        import gettext

        try:
            fn = gettext.c2py(ctx.catalog.plural_expr)
            used = {fn(n) for n in range(1001)}
        except (ValueError, SyntaxError, RecursionError):
            used = None
        if used is None or not used <= set(range(nplurals)):
            yield Hit(f"Plural-Forms expression {ctx.catalog.plural_expr!r} is invalid or picks a "
                      f"form outside 0..{nplurals - 1}", ctx.file, header_line)
    lines = ctx.src.lines
    for msg in ctx.messages():
        if not msg.pluralizable or not any(_forms(msg)) or msg.fuzzy:
            continue
        written = _written_forms(lines, msg.lineno)  # Babel pads missing forms with ""
        if written is not None and written != nplurals:
            yield Hit(f"{_short(msg)} has {written} plural form{'s' if written != 1 else ''}; "
                      f"the Plural-Forms header says nplurals={nplurals}", ctx.file, msg.lineno)
            continue
        empty = [i for i, f in enumerate(_forms(msg)) if not f]
        if empty:
            yield Hit(f"{_short(msg)}: plural form(s) {', '.join(map(str, empty))} are empty",
                      ctx.file, msg.lineno)


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
                          f"expected {' '.join(wanted) or 'none'}", ctx.file, msg.lineno)
                break


def stale_message(ctx: CatalogContext) -> Iterable[Hit]:
    """In the catalog but in no template, or used by a template but missing from the catalog."""
    for msg in ctx.messages():
        if message_key(msg) not in ctx.known:
            yield Hit(f"{_short(msg)} is in the catalog but no template uses it", ctx.file, msg.lineno)
    for _key, text, file, line in ctx.missing:
        yield Hit(f"{text!r} is used by a template but missing from the {ctx.locale!r} catalog "
                  f"({Path(ctx.file).name})", file, line)
