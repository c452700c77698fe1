"""What a template page shows, read from its query string: :class:`Selection`.

Every value is checked against a fixed list (``kit.template_names()``, ``kit.locales()``,
:data:`VIEWS`, :data:`~.views.MODES`, :data:`TABS`) before it is used, so no request can
name a file; anything else is :class:`~.response.NotFound`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..kit import Kit
from .response import NotFound
from .views import MODES

VIEWS = {"desktop": 600, "mobile": 375, "narrow": 320}
TABS = {"text": "Plain text", "source": "HTML source", "headers": "Headers", "compat": "Compatibility",
        "links": "Links & images", "spam": "Spam score"}


@dataclass(frozen=True)
class Selection:
    """What a template page shows: template, locale, sample or edited context, width, view."""

    name: str
    locale: str
    sample: str | None
    ctx: str | None
    view: str
    mode: str = "email"
    tab: str = "text"
    marks: bool = True

    def params(self, **changes: Any) -> dict[str, str]:
        """The query parameters of this selection (defaults left out), with ``changes``."""
        params: dict[str, Any] = {"locale": self.locale, "sample": self.sample, "ctx": self.ctx,
                                  "view": self.view, "mode": self.mode, "tab": self.tab,
                                  "marks": None if self.marks else "0"}
        params.update(changes)
        for key, default in (("view", "desktop"), ("mode", "email"), ("tab", "text")):
            if params[key] == default:
                params[key] = None
        if params["marks"] is False:
            params["marks"] = "0"
        elif params["marks"] is True:
            params["marks"] = None
        return {k: v for k, v in params.items() if v is not None}

    def url(self, suffix: str = "", **changes: Any) -> str:
        """This selection's URL (with ``changes``), for ``/t/<name>`` + ``suffix``."""
        query = urlencode(self.params(**changes))
        return f"/t/{self.name}{suffix}" + (f"?{query}" if query else "")


def select(kit: Kit, name: str, query: Mapping[str, str]) -> Selection:
    """The selection a ``/t/<name>`` request asks for; :class:`NotFound` naming what is unknown."""
    if name not in kit.template_names():
        raise NotFound(f"no template named {name!r}")
    locale = query.get("locale") or kit.default_locale
    if locale not in kit.locales():
        raise NotFound(f"no locale {locale!r} (locales: {', '.join(kit.locales())})")
    view = query.get("view") or "desktop"
    if view not in VIEWS:
        raise NotFound(f"no view {view!r} (views: {', '.join(VIEWS)})")
    mode = query.get("mode") or "email"
    if mode not in MODES:
        raise NotFound(f"no mode {mode!r} (modes: {', '.join(MODES)})")
    tab = query.get("tab") or "text"
    if tab not in TABS:
        raise NotFound(f"no tab {tab!r} (tabs: {', '.join(TABS)})")
    return Selection(name, locale, query.get("sample") or None, query.get("ctx"), view, mode, tab,
                     query.get("marks") != "0")
