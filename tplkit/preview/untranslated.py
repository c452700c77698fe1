"""Which of a template's messages a locale's catalog does not translate (so the email shows
the source text there): missing from the catalog, empty, or fuzzy.

Messages are extracted with :func:`tplkit.catalogs.extract` (Babel + Jinja's i18n
extension, the same extraction ``tplkit i18n`` uses) from the template's own folder and the
shared ``_layouts``/``_components``; translations come from :func:`tplkit.i18n.load_catalog`,
the catalog the email was rendered with.
"""
from __future__ import annotations

from typing import Any

from babel.messages.catalog import Catalog as PotCatalog

from .. import catalogs, i18n
from ..errors import TplkitError


def messages_used(pot: PotCatalog, name: str) -> list[Any]:
    """Messages of ``pot`` written in template ``name``'s folder or a shared folder."""
    out = []
    for msg in pot:
        if not msg.id:
            continue
        folders = {loc.split("/")[1] for loc, _ in msg.locations if loc.count("/") >= 2}
        if name in folders or any(f.startswith("_") for f in folders):
            out.append(msg)
    return out


def untranslated(kit: Any, name: str, locale: str, pot: PotCatalog | None = None) -> list[str]:
    """The source text of every message of ``name`` that ``locale`` shows untranslated.

    Empty for the source language. ``pot`` is :func:`extract_all` (pass it to reuse it).
    """
    if locale.split("_")[0] == i18n.SOURCE_LOCALE:
        return []
    try:
        catalog = i18n.load_catalog(locale, kit.project.locale_dirs)
    except TplkitError:
        return []   # no catalog at all: the page shows that error instead
    pot = extract_all(kit) if pot is None else pot
    out = []
    for msg in messages_used(pot, name):
        if isinstance(msg.id, (tuple, list)):
            forms = catalog.messages.get(tuple(msg.id[:2]))
            if not (forms and all(forms)):
                out += list(msg.id[:2])
        elif not catalog.messages.get(msg.id):
            out.append(msg.id)
    return out


def extract_all(kit: Any) -> PotCatalog:
    """Every message in the kit's template folders (files Jinja cannot parse are skipped:
    lint and the page report them)."""
    return catalogs.extract(kit.project.template_dirs, on_error=lambda err: None)
