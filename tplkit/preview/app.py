"""The preview application: fixed routes, each answered by a page built from the Kit.

It knows nothing about sockets (see :mod:`.server`): :meth:`PreviewApp.handle` takes a
request target and returns a :class:`Response`, which keeps it easy to test.

Routes (nothing else is served; names are checked against ``kit.template_names()`` and
``kit.locales()``, so no request can reach a file by its path):

``/``                       templates, and the template x locale grid
``/t/<name>``               one template: inbox view, email, text part, context editor, lint
``/t/<name>/email.html``    the email's HTML alone (strict CSP; shown in a sandboxed iframe)
``/t/<name>/email.eml``     the email as a download
``/_version``               fingerprint of the watched files (pages poll it to live-reload)
``/static/<asset>``         the page's own CSS and JavaScript (a fixed list)

Query parameters: ``locale``, ``sample``, ``ctx`` (edited context as JSON), ``view``
(``desktop`` or ``mobile``). Everything is a GET: the pages change nothing on disk.
"""
from __future__ import annotations

import contextlib
import json
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2

from .. import i18n
from ..config import builtin_root
from ..errors import PlaceholderError, TplkitError
from ..kit import Kit
from ..send import default_sender
from .watch import Fingerprint, fingerprint

HERE = Path(__file__).resolve().parent
ASSETS = {"preview.css": "text/css; charset=utf-8", "preview.js": "text/javascript; charset=utf-8"}
VIEWS = {"desktop": 600, "mobile": 375}
PREVIEW_TO = "customer@example.com"

# The app's own pages: scripts and styles only from this server, framed by nobody.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
# A rendered email: no scripts, no forms, no plugins; remote images are allowed (logos).
# ``sandbox`` repeats the iframe's sandbox for anyone opening the URL directly.
EMAIL_CSP = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
             "font-src https: data:; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'self'; sandbox")
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "Cache-Control": "no-store"}


@dataclass
class Response:
    """What a route answers: status, body and headers (Content-Type included)."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, **COMMON_HEADERS, **self.headers}


@dataclass(frozen=True)
class Selection:
    """What a template page shows: template, locale, sample or edited context, width."""

    name: str
    locale: str
    sample: str | None
    ctx: str | None
    view: str

    def url(self, suffix: str = "", **changes: Any) -> str:
        """This selection's URL (with ``changes``), for ``/t/<name>`` + ``suffix``."""
        params = {"locale": self.locale, "sample": self.sample, "ctx": self.ctx, "view": self.view}
        params.update(changes)
        if params["view"] == "desktop":
            params["view"] = None
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"/t/{self.name}{suffix}" + (f"?{query}" if query else "")


@dataclass
class Rendering:
    """The outcome of rendering one selection: an email, or why there is none."""

    email: Any = None
    context: dict | None = None
    problems: list[Any] = field(default_factory=list)   # context problems, shown inline
    error: TplkitError | None = None                     # the template itself is broken


class NotFound(Exception):
    """An unknown route, template, locale, sample or asset (answered with 404)."""


class PreviewApp:
    """The preview site of one project (``None``: the built-in library).

    A fresh :class:`~tplkit.Kit` is created when the config, a catalog or the set of files
    changes; otherwise ``Kit(auto_reload=True)`` recompiles just the templates whose files
    changed. A config that fails to load is shown on every page until it is fixed.
    """

    def __init__(self, project: str | Path | None = None) -> None:
        self.root = Path(project).expanduser().resolve() if project is not None else None
        self._lock = threading.Lock()
        self._lint_lock = threading.Lock()
        self._settings: str | None = None
        self._kit: Kit | None = None
        self._kit_error: TplkitError | None = None
        self._lint_cache: dict[tuple, tuple[list | None, str | None]] = {}
        self._lint_version: str | None = None
        self.pages = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "pages")),
                                        autoescape=True, undefined=jinja2.StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> tuple[Fingerprint, Kit | None, TplkitError | None]:
        """The current fingerprint and Kit (or the error that prevents creating one)."""
        fp = fingerprint(self.root)
        with self._lock:
            if fp.settings != self._settings:
                try:
                    self._kit, self._kit_error = Kit(self.root, auto_reload=True), None
                except TplkitError as e:
                    self._kit, self._kit_error = None, e
                self._settings = fp.settings
            return fp, self._kit, self._kit_error

    def lint(self, kit: Kit, fp: Fingerprint, templates: list[str],
             locales: list[str]) -> tuple[list | None, str | None]:
        """``(findings, None)`` or ``(None, why not)``; cached until a watched file changes."""
        key = (tuple(templates), tuple(locales))
        with self._lint_lock:
            if self._lint_version != fp.version:
                self._lint_cache, self._lint_version = {}, fp.version
            if key not in self._lint_cache:
                self._lint_cache[key] = _run_lint(kit, templates, locales)
            return self._lint_cache[key]

    def warm(self) -> None:
        """Compile every template x locale and lint them, so the first index load is quick.

        Run in a background thread by ``tplkit serve``; errors are left for the pages to show.
        """
        fp, kit, _ = self.state()
        if kit is None:
            return
        names, locales = kit.template_names(), kit.locales()
        for name in names:
            for loc in locales:
                # an error is shown (error or 500) when its page is opened
                with contextlib.suppress(Exception):
                    kit.compile(name, loc)
        self.lint(kit, fp, names, locales)

    # --- routing -------------------------------------------------------------------------------

    def handle(self, target: str) -> Response:
        """Answer one GET request for ``target`` (path and query string)."""
        url = urlsplit(target)
        parts = url.path.split("/")[1:]
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if parts == ["_version"]:
                body = json.dumps({"version": fingerprint(self.root).version}).encode()
                return Response(200, body, "application/json")
            if len(parts) == 2 and parts[0] == "static":
                return self._asset(parts[1])
            fp, kit, kit_error = self.state()
            if kit is None:
                return self._page("error.html", fp, status=500, title="Configuration error",
                                  error=kit_error, excerpt=self._excerpt(kit_error))
            if parts == [""]:
                return self._page("index.html", fp, **self._index(kit, fp))
            if len(parts) in (2, 3) and parts[0] == "t":
                sel = self._selection(kit, parts[1], query)
                if len(parts) == 2:
                    return self._page("template.html", fp, **self._template_page(kit, fp, sel))
                if parts[2] == "email.html":
                    return self._email_html(kit, sel)
                if parts[2] == "email.eml":
                    return self._email_eml(kit, sel)
            raise NotFound("no such page")
        except NotFound as e:
            fp = fingerprint(self.root)
            return self._page("error.html", fp, status=404, title="Not found", error=str(e),
                              excerpt=None)

    def _asset(self, name: str) -> Response:
        if name not in ASSETS:
            raise NotFound("no such asset")
        return Response(200, (HERE / "static" / name).read_bytes(), ASSETS[name])

    def _page(self, page: str, fp: Fingerprint, status: int = 200, **values: Any) -> Response:
        html = self.pages.get_template(page).render(version=fp.version, **values)
        return Response(status, html.encode("utf-8"), headers={"Content-Security-Policy": PAGE_CSP})

    def _selection(self, kit: Kit, name: str, query: Mapping[str, str]) -> Selection:
        if name not in kit.template_names():
            raise NotFound(f"no template named {name!r}")
        locale = query.get("locale") or kit.default_locale
        if locale not in kit.locales():
            raise NotFound(f"no locale {locale!r} (locales: {', '.join(kit.locales())})")
        view = query.get("view") or "desktop"
        if view not in VIEWS:
            raise NotFound(f"no view {view!r} (views: {', '.join(VIEWS)})")
        return Selection(name, locale, query.get("sample") or None, query.get("ctx"), view)

    # --- rendering -----------------------------------------------------------------------------

    def _render(self, kit: Kit, sel: Selection) -> Rendering:
        """Render a selection; a bad context or a broken template becomes data, not a crash."""
        out = Rendering()
        try:
            info = kit.template(sel.name)
        except TplkitError as e:
            out.error = e
            return out
        if sel.ctx is not None:
            try:
                ctx = json.loads(sel.ctx)
            except json.JSONDecodeError as e:
                out.problems.append(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
                return out
            if not isinstance(ctx, dict):
                out.problems.append("the context must be a JSON object ({...})")
                return out
        else:
            if sel.sample is not None and sel.sample not in info.samples:
                raise NotFound(f"template {sel.name!r} has no sample {sel.sample!r}")
            ctx = info.sample_for(sel.locale, sel.sample)
        out.context = ctx
        try:
            out.email = kit.render(sel.name, ctx, locale=sel.locale)
        except PlaceholderError as e:
            out.problems.extend(e.problems)
        except TplkitError as e:
            out.error = e
        except Exception as e:  # noqa: BLE001 -- a tplkit bug in one template must not stop the others
            out.error = TplkitError(f"internal error: {type(e).__name__}: {e}", template=sel.name,
                                    locale=sel.locale)
        return out

    def _email_html(self, kit: Kit, sel: Selection) -> Response:
        r = self._render(kit, sel)
        if r.email is None:
            return Response(422, b"This email cannot be rendered; see the page around it.",
                            "text/plain; charset=utf-8", {"Content-Security-Policy": EMAIL_CSP})
        return Response(200, r.email.html.encode("utf-8"),
                        headers={"Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"})

    def _email_eml(self, kit: Kit, sel: Selection) -> Response:
        r = self._render(kit, sel)
        if r.email is None:
            raise NotFound("this email cannot be rendered; open its page to see why")
        try:
            data = bytes(r.email.to_message(sender=default_sender(kit.brand), to=PREVIEW_TO))
        except TplkitError as e:
            raise NotFound(f"cannot build the message: {e}") from None
        filename = f"{sel.name}-{sel.locale}.eml"
        return Response(200, data, "message/rfc822",
                        {"Content-Disposition": f'attachment; filename="{filename}"'})

    # --- pages ---------------------------------------------------------------------------------

    def _index(self, kit: Kit, fp: Fingerprint) -> dict[str, Any]:
        names, locales = kit.template_names(), kit.locales()
        findings, lint_note = self.lint(kit, fp, names, locales)
        counts: dict[tuple, int] = defaultdict(int)
        for f in findings or ():
            for loc in ([f.locale] if f.locale else locales):
                counts[(f.template, loc)] += 1
        rows = []
        for name in names:
            row: dict[str, Any] = {"name": name, "info": None, "error": None, "cells": []}
            try:
                row["info"] = kit.template(name)
            except TplkitError as e:
                row["error"] = e
            for loc in locales:
                sel = Selection(name, loc, None, None, "desktop")
                r = self._render(kit, sel) if row["info"] else Rendering(error=row["error"])
                status = "ok" if r.email else ("context" if r.problems else "error")
                why = (str(r.error) if r.error else
                       f"default sample: {'; '.join(map(str, r.problems))}" if r.problems else "")
                row["cells"].append({"locale": loc, "url": sel.url(), "status": status, "why": why,
                                     "lint": counts.get((name, loc), 0)})
            rows.append(row)
        general = [f for f in findings or () if not f.template]
        return {"title": "Templates", "rows": rows, "locales": locales,
                "directions": {loc: i18n.text_direction(loc) for loc in locales},
                "lint_note": lint_note, "general_findings": general, "project": self.root,
                "brand": kit.brand}

    def _template_page(self, kit: Kit, fp: Fingerprint, sel: Selection) -> dict[str, Any]:
        r = self._render(kit, sel)
        info = None
        with contextlib.suppress(TplkitError):
            info = kit.template(sel.name)
        findings, lint_note = self.lint(kit, fp, [sel.name], [sel.locale])
        findings = [f for f in findings or () if f.locale in (None, sel.locale)]
        ctx_text = sel.ctx if sel.ctx is not None else json.dumps(
            r.context or {}, ensure_ascii=False, indent=2, default=str)
        bad = {getattr(p, "name", None): str(p) for p in r.problems}
        return {"title": sel.name, "sel": sel, "info": info, "r": r, "ctx_text": ctx_text,
                "bad": bad, "locales": kit.locales(), "direction": i18n.text_direction(sel.locale),
                "lang": i18n.html_lang(sel.locale), "text_direction": i18n.text_direction,
                "views": VIEWS, "sender": default_sender(kit.brand), "sender_name": kit.brand.company_name,
                "to": PREVIEW_TO,
                "findings": findings, "lint_note": lint_note, "excerpt": self._excerpt(r.error)}

    def _excerpt(self, error: TplkitError | None) -> list[tuple[int, str, bool]] | None:
        """A few lines around an error's line, if the file is one of the project's or built-ins."""
        if error is None or not error.file or not error.line:
            return None
        path = Path(error.file).resolve()
        allowed = [builtin_root() / "templates", builtin_root() / "locales"]
        if self.root is not None:
            allowed.append(self.root)
        if not any(path.is_relative_to(a) for a in allowed) or not path.is_file():
            return None
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        lo, hi = max(1, error.line - 2), min(len(lines), error.line + 2)
        return [(n, lines[n - 1], n == error.line) for n in range(lo, hi + 1)]


def _run_lint(kit: Kit, templates: list[str], locales: list[str]) -> tuple[list | None, str | None]:
    """Call ``tplkit.lint.lint`` if it exists; any failure is a note on the page, not a crash."""
    try:
        from ..lint import lint
    except ImportError as e:
        return None, f"lint unavailable ({e})"
    try:
        return list(lint(kit, templates=templates, locales=locales)), None
    except Exception as e:  # noqa: BLE001 -- another module's code: report it, keep the page
        return None, f"lint failed: {type(e).__name__}: {e}"
