"""Translation catalogs on disk: extraction, new catalogs, merging, completion (all Babel).

Extraction uses the same options as the build pass (``trimmed``), so extracted msgids match
what the templates look up at compile time. The ``tplkit i18n`` commands
(:mod:`tplkit.cli.i18n`) are thin wrappers over the functions here; a user project uses them
on its own ``templates/`` and ``locales/``, the built-in library on its own.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import write_po
from jinja2 import TemplateSyntaxError

from .errors import CatalogError, TemplateSourceError, TplkitError
from .fsutil import atomic_write
from .i18n import DOMAIN, address_base, read_po
from .safety import confine, read_bytes, roots_of

SUFFIXES = (".mjml", ".txt")
OPTIONS = {"trimmed": "true", "silent": "false"}
POT_NAME = f"{DOMAIN}.pot"
COMMENT_TAGS = ("Translators:",)   # {# Translators: ... #} before a message reaches the .pot


def template_files(template_dirs: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(folder, file) for every template source, shared ``_layouts``/``_components`` included.

    (Babel's ``extract_from_dir`` skips folders starting with ``_``, so we walk ourselves.)
    """
    out = []
    for d in template_dirs:
        d = Path(d)
        for f in sorted(d.rglob("*")):
            if f.suffix in SUFFIXES and f.is_dir() and f.parent.parent == d:
                raise TemplateSourceError("not a file", file=f, template=f.parent.name)
            if f.suffix in SUFFIXES and f.is_file():
                out.append((d, f))
    return out


def extract(template_dirs: Iterable[Path], *, project: str = "tplkit", version: str = "0.1",
            on_error: Callable[[TplkitError], None] | None = None) -> Catalog:
    """A template catalog (``.pot``) of every message in the given template folders.

    A file Jinja cannot parse raises :class:`TemplateSourceError` (file and line), or, with
    ``on_error``, is reported to it and skipped so that every broken file is found in one run.
    """
    catalog = Catalog(project=project, version=version, charset="utf-8")
    for d, f in template_files(template_dirs):
        rel = f.relative_to(d).as_posix()
        try:
            confine(f, [d.parent])   # a symlink out of the project is not read
            found = list(extract_from_file("jinja2", str(f), options=OPTIONS,
                                           comment_tags=COMMENT_TAGS, strip_comment_tags=True))
        except (TemplateSyntaxError, UnicodeDecodeError, OSError, TplkitError) as e:
            line = getattr(e, "lineno", None)
            why = getattr(e, "message", None) or e
            if isinstance(e, UnicodeDecodeError):
                data = f.read_bytes()
                start = e.start - len(data) + len(e.object) if len(e.object) != len(data) else e.start
                line = data[:max(start, 0)].count(b"\n") + 1
                why = f"not UTF-8 text (byte 0x{e.object[e.start]:02x}); save the file as UTF-8"
            err = TemplateSourceError(f"cannot extract messages: {why}",
                                      template=rel.split("/")[0], file=f, line=line)
            if on_error is None:
                raise err from None
            on_error(err)
            continue
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(f"templates/{rel}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def po_bytes(catalog: Catalog, *, ignore_obsolete: bool = False) -> bytes:
    """The catalog as ``.po``/``.pot`` text (Babel's writer, obsolete messages kept as ``#~``)."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, ignore_obsolete=ignore_obsolete)
    return buf.getvalue()


def catalog_path(locales_dir: Path, locale: str) -> Path:
    return Path(locales_dir) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_locales(locales_dir: Path) -> list[str]:
    """Locales that have a catalog in ``locales_dir`` (sorted)."""
    d = Path(locales_dir)
    if not d.is_dir():
        return []
    for c in d.iterdir():
        if catalog_path(d, c.name).exists() and not catalog_path(d, c.name).is_file():
            raise CatalogError("not a file", file=catalog_path(d, c.name), locale=c.name)
    return sorted(c.name for c in d.iterdir() if catalog_path(d, c.name).is_file())


def read_template(pot: Path) -> Catalog:
    """The ``.pot`` written by :func:`extract`; a missing one says how to make it."""
    if not Path(pot).is_file():
        raise CatalogError(f"no message template {pot}; run 'tplkit i18n extract' first", file=pot)
    return read_po(Path(pot), None)


def new_catalog(template: Catalog, locale: str) -> Catalog:
    """A fresh catalog for ``locale`` holding every message of ``template``, untranslated.

    The locale's plural rule comes from CLDR (Babel), so ``Plural-Forms`` is right from the start.
    """
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as e:
        raise CatalogError(f"unknown locale {locale!r}: {e}", locale=locale) from None
    catalog = Catalog(locale=parsed, domain=DOMAIN, project=template.project,
                      version=template.version, charset="utf-8", fuzzy=False)
    catalog.creation_date = template.creation_date
    for msg in template:
        if msg.id:
            catalog.add(msg.id, None, list(msg.locations), flags=msg.flags - {"fuzzy"},
                        auto_comments=msg.auto_comments, context=msg.context)
    return catalog


def merge(catalog: Catalog, template: Catalog) -> tuple[list[str], list[str]]:
    """Merge ``template`` into ``catalog`` in place (Babel's ``Catalog.update``).

    Translations are kept; new messages are added untranslated (no fuzzy guessing: a wrong
    guess that a translator overlooks would ship); messages no longer used become obsolete.
    Returns the added and the obsoleted msgids.
    """
    before = {_key(m) for m in catalog if m.id}
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    variants = [key for key, m in catalog.obsolete.items() if address_base(m.context)]
    place_variants(catalog, [catalog.obsolete.pop(key) for key in variants])
    after = {_key(m) for m in catalog if m.id}
    return sorted(after - before), sorted(_key(m) for m in catalog.obsolete.values()
                                          if _key(m) in before)


def place_variants(catalog: Catalog, variants: Iterable[Message]) -> None:
    """Put each gendered variant (a ``msgctxt`` of :data:`tplkit.i18n.ADDRESS_CONTEXTS`, which
    the ``.pot`` does not hold) right after the message it varies, with its locations; a
    variant of a message no template uses any more becomes obsolete."""
    wanted: dict[str, list[Message]] = {}
    for v in variants:
        wanted.setdefault(_key(v), []).append(v)
    messages = [m for m in catalog if m.id]
    for m in messages:
        catalog.delete(m.id, context=m.context)
    for m in messages:
        catalog[m.id] = m
        for v in wanted.pop(_key(m), []) if m.context is None else []:
            v.locations = list(m.locations)
            catalog[v.id] = v
    for rest in wanted.values():
        for v in rest:
            catalog.obsolete[(_key(v), v.context or "")] = v


def _key(msg) -> str:
    return msg.id[0] if isinstance(msg.id, (tuple, list)) else msg.id


@dataclass(frozen=True)
class Stats:
    """Completion of one catalog against the message template."""

    locale: str
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0

    @property
    def complete(self) -> bool:
        return self.fuzzy == 0 and self.untranslated == 0


def stats(catalog: Catalog, template: Catalog | None = None) -> Stats:
    """Translated / fuzzy / untranslated counts of ``catalog``.

    With ``template``, messages of the template that the catalog lacks (it was not updated
    yet) count as untranslated, and messages the template no longer has are not counted.
    """
    wanted = {_key(m) for m in template if m.id} if template is not None else None
    translated = fuzzy = untranslated = 0
    seen = set()
    for msg in catalog:
        if not msg.id or address_base(msg.context) or (wanted is not None and _key(msg) not in wanted):
            continue   # a gendered variant is an optional wording of a message, not a message
        seen.add(_key(msg))
        strings = msg.string if isinstance(msg.string, (tuple, list)) else (msg.string,)
        if msg.fuzzy:
            fuzzy += 1
        elif strings and all(strings):
            translated += 1
        else:
            untranslated += 1
    if wanted is not None:
        untranslated += len(wanted - seen)
    return Stats(str(catalog.locale or ""), translated, fuzzy, untranslated)


_DATE_LINES = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)


def write_catalog(path: Path, catalog: Catalog, *, keep_if_unchanged: bool = False) -> bool:
    """Write a catalog atomically (a crash never leaves half a ``.po``); True if written.

    With ``keep_if_unchanged``, a file that differs only in its header dates is left alone,
    so re-extracting unchanged templates gives no diff.
    """
    data = po_bytes(catalog)
    path = Path(path)
    if keep_if_unchanged and path.is_file() and \
            _DATE_LINES.sub(b"", read_bytes(path, roots_of(path, "locales"))) == _DATE_LINES.sub(b"", data):
        return False
    atomic_write(path, data)
    return True
