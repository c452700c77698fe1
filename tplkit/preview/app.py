"""The preview application: fixed routes, each answered by a page built from the Kit.

It knows nothing about sockets (see :mod:`.server`): :meth:`PreviewApp.handle` takes a
request target and returns a :class:`~.response.Response`, which keeps it easy to test.
What the pages show comes from :mod:`.live` (the Kit and lint, kept current),
:mod:`.rendering` (the email of a :class:`~.selection.Selection`) and :mod:`.sending`.

Routes (nothing else is served; names are checked against ``kit.template_names()`` and
``kit.locales()``, so no request can reach a file by its path):

``/``                       templates, and the template x locale grid
``/t/<name>``               one template: inbox view, email, text part, context editor, lint
``/t/<name>/email.html``    the email's HTML alone (strict CSP; shown in a sandboxed iframe)
``/t/<name>/email.eml``     the email as a download
``/t/<name>/send``          POST: a test send to the project's SMTP server (``[preview] smtp``)
``/_version``               fingerprint of the watched files (pages poll it to live-reload)
``/static/<asset>``         the page's own CSS and JavaScript (a fixed list)

Query parameters: ``locale``, ``sample``, ``ctx`` (edited context as JSON), ``view``
(``desktop`` 600 px, ``mobile`` 375 px, ``narrow`` 320 px), ``mode`` (how a client shows it:
``email``, ``dark-invert``, ``dark-own``, ``images-off``), ``tab`` (the panel under the email:
``text``, ``source``, ``headers``, ``compat``, ``links``, ``spam``) and ``marks=0`` (no highlighting of
untranslated text). The pages change nothing on disk; the one POST (a test send) only talks
to the SMTP server the project configured (loopback unless configured otherwise).
"""
from __future__ import annotations

import contextlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from markupsafe import Markup, escape

from .. import formatting
from ..config import builtin_root
from ..errors import TplkitError
from ..kit import Kit
from ..safety import confine
from ..send import default_sender
from . import compat, spam, views
from .height import estimate_height
from .live import LiveProject
from .rendering import Renderer, Rendering
from .response import EMAIL_CSP, MAX_POST, PAGE_CSP, TEXT, BadRequest, NotFound, Response
from .selection import TABS, VIEWS, Selection, select
from .sending import PREVIEW_TO, message, send_to, smtp_settings
from .untranslated import untranslated
from .watch import Fingerprint, fingerprint

HERE = Path(__file__).resolve().parent
ASSETS = {"preview.css": "text/css; charset=utf-8", "preview.js": "text/javascript; charset=utf-8"}


class PreviewApp:
    """The preview site of one project (``None``: the built-in library).

    Routing and pages live here; :class:`~.live.LiveProject` keeps the Kit, lint findings
    and extracted messages current as files change, and :class:`~.rendering.Renderer` turns
    a :class:`~.selection.Selection` into an email (or why there is none).
    """

    def __init__(self, project: str | Path | None = None) -> None:
        self.root = Path(project).expanduser().resolve() if project is not None else None
        self.live = LiveProject(self.root)
        self.renderer = Renderer()
        self._spam: dict[tuple, Any] = {}
        self.token = secrets.token_urlsafe(24)   # a test send must come from one of our pages
        self.pages = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "pages")),
                                        autoescape=True, undefined=jinja2.StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
        self.pages.filters["shortpath"] = self.shortpath
        self.pages.filters["wbr"] = wbr

    def shortpath(self, file: str | None) -> str:
        """A finding's file relative to the project (or the built-ins), as a reader knows it."""
        if not file:
            return "(project)"
        path = Path(file)
        for base in [self.root, builtin_root()]:
            if base is not None and path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return file

    def state(self) -> tuple[Fingerprint, Kit | None, TplkitError | None]:
        """The current fingerprint and Kit (or the error that prevents creating one)."""
        return self.live.state()

    def warm(self) -> None:
        """Compile and lint everything ahead of the first page (``tplkit serve`` runs it in a thread)."""
        self.live.warm()

    # --- routing -------------------------------------------------------------------------------

    def handle(self, target: str, method: str = "GET", body: bytes = b"") -> Response:
        """Answer one request for ``target`` (path and query string).

        GET (and HEAD) for every page; POST only for ``/t/<name>/send``, with the form's token.
        """
        url = urlsplit(target)
        parts = url.path.split("/")[1:]
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if method == "POST":
                if not (len(parts) == 3 and parts[0] == "t" and parts[2] == "send"):
                    return Response(405, b"only a test send is a POST", TEXT, {"Allow": "GET, HEAD"})
                if len(body) > MAX_POST:
                    return Response(413, b"form too large", TEXT)
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", errors="replace"),
                                                      keep_blank_values=True).items()}
                if not hmac.compare_digest(form.get("token", ""), self.token):
                    return Response(403, b"stale or foreign form: reload the page and send again", TEXT)
                fp, kit, kit_error = self.state()
                if kit is None:
                    return self._page("error.html", fp, status=500, title="Configuration error",
                                      error=kit_error, excerpt=self._excerpt(kit_error))
                sel = select(kit, parts[1], form)
                result = self._send(kit, sel, form.get("to", ""))
                return self._page("template.html", fp, **self._template_page(kit, fp, sel, result))
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
                sel = select(kit, parts[1], query)
                if len(parts) == 2:
                    return self._page("template.html", fp, **self._template_page(kit, fp, sel))
                if parts[2] == "email.html":
                    return self._email_html(kit, fp, sel)
                if parts[2] == "email.eml":
                    return self._email_eml(kit, sel)
            raise NotFound("no such page")
        except NotFound as e:
            fp = fingerprint(self.root)
            return self._page("error.html", fp, status=404, title="Not found", error=str(e),
                              excerpt=None)
        except BadRequest as e:
            fp = fingerprint(self.root)
            return self._page("error.html", fp, status=400, title="Bad request", error=str(e),
                              excerpt=None)

    def _asset(self, name: str) -> Response:
        if name not in ASSETS:
            raise NotFound("no such asset")
        return Response(200, (HERE / "static" / name).read_bytes(), ASSETS[name])

    def _page(self, page: str, fp: Fingerprint, status: int = 200, **values: Any) -> Response:
        html = self.pages.get_template(page).render(version=fp.version, **values)
        # same-origin: the browser then sends our Origin with the test-send form (checked by the server)
        return Response(status, html.encode("utf-8"), headers={"Content-Security-Policy": PAGE_CSP,
                                                                "Referrer-Policy": "same-origin"})

    # --- rendering -----------------------------------------------------------------------------

    def _email_html(self, kit: Kit, fp: Fingerprint, sel: Selection) -> Response:
        _, email, stale = self.renderer.shown(kit, sel)
        if email is None:
            return Response(422, b"This email cannot be rendered; see the page around it.",
                            TEXT, {"Content-Security-Policy": EMAIL_CSP})
        html = email.html
        if sel.mode == "dark-invert":
            html = views.force_dark(html)
        elif sel.mode == "dark-own":
            html = views.own_dark(html)
        elif sel.mode == "images-off":
            html = views.images_off(html)
        if sel.marks:
            html, _ = views.mark_untranslated(html, untranslated(kit, sel.name, sel.locale,
                                                                 self.live.pot(kit, fp)))
        headers = {"Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"}
        if stale:
            headers["X-Tplkit-Stale"] = "last good rendering"
        return Response(200, html.encode("utf-8"), headers=headers)

    def _email_eml(self, kit: Kit, sel: Selection) -> Response:
        r = self.renderer.render(kit, sel)
        if r.email is None:
            raise NotFound("this email cannot be rendered; open its page to see why")
        try:
            data = bytes(message(kit, r.email))
        except TplkitError as e:
            raise NotFound(f"cannot build the message: {e}") from None
        filename = f"{sel.name}-{sel.locale}.eml"
        return Response(200, data, "message/rfc822",
                        {"Content-Disposition": f'attachment; filename="{filename}"'})

    def _send(self, kit: Kit, sel: Selection, to: str) -> dict[str, Any]:
        """A test send of the selection to ``to`` through the project's SMTP server."""
        r = self.renderer.render(kit, sel)
        if r.email is None:
            return {"ok": False, "message": "not sent: this email does not render (see above)"}
        return send_to(kit, r.email, to)

    # --- pages ---------------------------------------------------------------------------------

    def _index(self, kit: Kit, fp: Fingerprint) -> dict[str, Any]:
        names, locales = kit.template_names(), kit.locales()
        lv = self.live.lint_view(kit, fp)
        rows = []
        for name in names:
            row: dict[str, Any] = {"name": name, "info": None, "error": None, "cells": []}
            try:
                row["info"] = kit.template(name)
            except TplkitError as e:
                row["error"] = e
            for loc in locales:
                sel = Selection(name, loc, None, None, "desktop")
                r = self.renderer.render(kit, sel) if row["info"] else Rendering(error=row["error"])
                status = "ok" if r.email else ("context" if r.problems else "error")
                why = (str(r.error) if r.error else
                       f"default sample: {'; '.join(map(str, r.problems))}" if r.problems else "")
                found = lv.cells.get((name, loc), [])
                rules = ", ".join(sorted({f.rule for f in found}))
                row["cells"].append({"locale": loc, "url": sel.url(), "status": status, "why": why,
                                     "lint": len(found), "rules": rules})
            rows.append(row)
        return {"title": "Templates", "rows": rows, "locales": locales,
                "directions": {loc: formatting.text_direction(loc) for loc in locales},
                "lint_note": lv.note, "general_findings": lv.general, "catalog_findings": lv.catalogs,
                "project": self.root, "brand": kit.brand}

    def _template_page(self, kit: Kit, fp: Fingerprint, sel: Selection,
                       send_result: dict | None = None) -> dict[str, Any]:
        r, email, stale = self.renderer.shown(kit, sel)
        info = None
        with contextlib.suppress(TplkitError):
            info = kit.template(sel.name)
        lv = self.live.lint_view(kit, fp)
        ctx_text = sel.ctx if sel.ctx is not None else json.dumps(
            r.context or {}, ensure_ascii=False, indent=2, default=str)
        bad = {getattr(p, "name", None): str(p) for p in r.problems}
        values: dict[str, Any] = {
            "title": sel.name, "sel": sel, "info": info, "r": r, "email": email, "stale": stale,
            "ctx_text": ctx_text, "bad": bad, "locales": kit.locales(),
            "direction": formatting.text_direction(sel.locale), "lang": formatting.html_lang(sel.locale),
            "text_direction": formatting.text_direction, "views": VIEWS, "modes": views.MODES, "tabs": TABS,
            "sender": default_sender(kit.brand), "sender_name": kit.brand.company_name, "to": PREVIEW_TO,
            "findings": lv.cells.get((sel.name, sel.locale), []),
            "catalog_findings": lv.catalogs.get(sel.locale, []), "general_findings": lv.general,
            "lint_note": lv.note, "excerpt": self._excerpt(r.error),
            "untranslated": untranslated(kit, sel.name, sel.locale, self.live.pot(kit, fp)),
            "token": self.token, "smtp": smtp_settings(kit), "send_result": send_result,
            "message_headers": [], "compat": None, "snapshot": None, "spam": None, "links": None,
            "frame_height": 600,
            "spam_available": spam.available(), "spam_hint": spam.INSTALL_HINT, "own_dark": False,
        }
        if email is not None:
            values["own_dark"] = views.has_own_dark(email.html)
            # the frame's height without JavaScript (with it, the page measures the email)
            values["frame_height"] = estimate_height(email.html, VIEWS[sel.view])
            if sel.tab == "headers":
                try:
                    values["message_headers"] = list(message(kit, email).items())
                except TplkitError as e:
                    values["message_headers"] = [("error", str(e))]
            elif sel.tab == "compat":
                values["compat"] = compat.check(email.html, self._sources(kit, sel.name))
                values["snapshot"] = compat.snapshot()
            elif sel.tab == "links" and info is not None:
                from . import linkcheck  # needs tplkit.lint (its checks, source map): loaded when used
                values["links"] = linkcheck.check(kit, info, sel.locale,
                                                  self.renderer.shown_context(sel, r, email, stale),
                                                  email.html)
            elif sel.tab == "spam" and values["spam_available"]:
                values["spam"] = self._spam_check(kit, fp, sel, email)
        return values

    def _sources(self, kit: Kit, name: str) -> list[Path]:
        """The template's own files, then the shared layouts and components (for compat lines)."""
        files: list[Path] = []
        try:
            folder = kit.store.folder(name)
            files += sorted(p for p in folder.iterdir() if p.suffix in (".mjml", ".txt", ".html"))
        except (TplkitError, OSError):
            pass
        for d in kit.project.template_dirs:
            for sub in ("_layouts", "_components"):
                if (d / sub).is_dir():
                    files += sorted(p for p in (d / sub).rglob("*") if p.is_file())
        return files

    def _spam_check(self, kit: Kit, fp: Fingerprint, sel: Selection, email: Any) -> Any:
        """SpamAssassin's report on the .eml, cached until a file changes (it takes ~1 s)."""
        key = (fp.version, sel.name, sel.locale, sel.sample, sel.ctx)
        if key not in self._spam:
            try:
                self._spam[key] = spam.check(bytes(message(kit, email)))
            except (spam.SpamCheckError, TplkitError) as e:
                return str(e)
            if len(self._spam) > 64:
                self._spam.pop(next(iter(self._spam)))
        return self._spam[key]

    def _excerpt(self, error: TplkitError | None) -> list[tuple[int, str, bool]] | None:
        """A few lines around an error's line, if the file is one of the project's or built-ins."""
        if error is None or not error.file or not error.line:
            return None
        try:
            path = confine(error.file, [builtin_root() / "templates", builtin_root() / "locales", self.root])
            if not path.is_file():
                return None
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except (OSError, TplkitError):
            return None
        lo, hi = max(1, error.line - 2), min(len(lines), error.line + 2)
        return [(n, lines[n - 1], n == error.line) for n in range(lo, hi + 1)]


_BREAK_AFTER = re.compile(r"([/|?&=,]+)")


def wbr(value: Any) -> Markup:
    """``value`` escaped, with line-break chances after ``/ | ? & = ,`` (URLs, paths, choice
    lists), so a long value wraps at its separators instead of widening the page or breaking
    inside a word."""
    pieces = _BREAK_AFTER.split(str(value))   # odd indexes are the separators
    return Markup("").join(escape(p) + (Markup("<wbr>") if i % 2 else "") for i, p in enumerate(pieces))
