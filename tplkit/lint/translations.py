"""The ``missing-translation`` rule: text of the project's own templates that a locale it
renders in does not translate, reported at the template line that uses it.

Without it a project with ``locales = ["de"]`` and no catalog of its own renders German
layout text around English template text, silently: the built-in catalogs exist, so
nothing looks missing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import i18n
from .model import Hit


@dataclass
class TranslationContext:
    """One rendered locale, its merged catalog, and the messages of the linted templates
    as ``(key, text, file, line)``."""

    kit: Any
    locale: str
    catalog: i18n.Catalog
    messages: list[tuple[Any, str, str | None, int | None]]
    own_catalog: bool          # does the project have a catalog file for this locale?
    listed: frozenset = frozenset()   # keys in the project's catalog, translated or not


def missing_translation(ctx: TranslationContext) -> Iterable[Hit]:
    """A message of the templates with no translation in the locale's catalogs (one listed
    in the project's catalog with an empty, fuzzy or broken translation is reported there,
    by ``untranslated``, ``fuzzy`` or ``plural-forms``)."""
    where = f"locales/{ctx.locale}/LC_MESSAGES/{i18n.DOMAIN}.po"
    how = f"translate it in {where}" if ctx.own_catalog else \
        f"create {where} with 'tplkit i18n extract' and 'tplkit i18n init {ctx.locale}'"
    for key, text, file, line in ctx.messages:
        if key in ctx.catalog.messages or key in ctx.listed:
            continue
        short = text if len(text) <= 50 else text[:47] + "..."
        yield Hit(f"{short!r} is not translated to {ctx.locale!r}: customers get the source "
                  f"text; {how}", file, line, locale=ctx.locale)
