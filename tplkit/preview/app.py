"""The preview application: fixed routes, each answered by a page built from the Kit.

It knows nothing about sockets (see :mod:`.server`): :meth:`PreviewApp.handle` takes a
request target and returns a :class:`Response`, which keeps it easy to test.

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
import os
import re
import secrets
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from markupsafe import Markup, escape

from .. import formatting
from ..config import builtin_root
from ..errors import PlaceholderError, TplkitError
from ..kit import Kit
from ..safety import confine
from ..send import DEFAULT_SMTP, default_sender
from . import compat, spam, views
from .height import estimate_height
from .untranslated import extract_all, untranslated
from .watch import Fingerprint, fingerprint

if TYPE_CHECKING:   # tplkit.lint is imported when used: the page works without it
    from ..lint.model import Finding

HERE = Path(__file__).resolve().parent
ASSETS = {"preview.css": "text/css; charset=utf-8", "preview.js": "text/javascript; charset=utf-8"}
VIEWS = {"desktop": 600, "mobile": 375, "narrow": 320}
TABS = {"text": "Plain text", "source": "HTML source", "headers": "Headers", "compat": "Compatibility",
        "links": "Links & images", "spam": "Spam score"}
PREVIEW_TO = "customer@example.com"
MAX_POST = 256 * 1024

# The app's own pages: scripts and styles only from this server, framed by nobody.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
# A rendered email: no scripts, no forms, no plugins; remote images are allowed (logos).
# ``sandbox allow-same-origin`` repeats the iframe's sandbox for anyone opening the URL
# directly: without ``allow-scripts`` nothing in the email runs, and the same origin lets
# the preview page (never the email) measure the email's height to fit the frame to it.
EMAIL_CSP = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
             "font-src https: data:; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'self'; sandbox allow-same-origin")
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


@dataclass
class Rendering:
    """The outcome of rendering one selection: an email, or why there is none."""

    email: Any = None
    context: dict | None = None
    problems: list[Any] = field(default_factory=list)   # context problems, shown inline
    error: TplkitError | None = None                     # the template itself is broken


@dataclass
class LintView:
    """Lint findings sorted to where the pages show them."""

    cells: dict[tuple[str, str], list[Finding]] = field(default_factory=lambda: defaultdict(list))
    catalogs: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    general: list[Finding] = field(default_factory=list)
    note: str | None = None


class NotFound(Exception):
    """An unknown route, template, locale, sample or asset (answered with 404)."""


class BadRequest(Exception):
    """A request the server will not process, such as a context nested too deeply (400)."""


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
        self._pot_lock = threading.Lock()   # message extraction does not wait for a lint run
        self._settings: str | None = None
        self._kit: Kit | None = None
        self._kit_error: TplkitError | None = None
        self._lint: tuple[str, list[Finding] | None, str | None] | None = None
        self._pot: tuple[str, Any] | None = None
        self._spam: dict[tuple, Any] = {}
        # (context, email) of the last good rendering; no context when the default sample stood in
        self._good: dict[tuple[str, str], tuple[dict | None, Any]] = {}
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

    def lint(self, kit: Kit, fp: Fingerprint) -> tuple[list[Finding] | None, str | None]:
        """``(findings, None)`` or ``(None, why not)`` for the whole project, catalogs included;
        cached until a watched file changes."""
        with self._lint_lock:
            if self._lint is None or self._lint[0] != fp.version:
                self._lint = (fp.version, *_run_lint(kit))
            return self._lint[1], self._lint[2]

    def lint_view(self, kit: Kit, fp: Fingerprint) -> LintView:
        """The findings by (template, locale) cell, by catalog locale, and the rest.

        A finding belongs to a template when it names it or points into its folder; a
        finding without a locale counts in every locale of its template.
        """
        findings, note = self.lint(kit, fp)
        out = LintView(note=note)
        folders = {}
        for name in kit.template_names():
            try:
                folders[name] = kit.store.folder(name).resolve()
            except TplkitError:
                continue
        locales = kit.locales()
        for f in findings or ():
            template = f.template or next((n for n, d in folders.items()
                                           if f.file and Path(f.file).is_relative_to(d)), None)
            if template:
                # one finding per defect: "de, en" lists every locale it was found in
                for loc in f.locale.split(", ") if f.locale else locales:
                    out.cells[(template, loc)].append(f)
            elif f.locale:
                for loc in f.locale.split(", "):
                    out.catalogs[loc].append(f)
            else:
                out.general.append(f)
        return out

    def pot(self, kit: Kit, fp: Fingerprint) -> Any:
        """Every message of the project's templates (re-extracted when a file changes)."""
        with self._pot_lock:
            if self._pot is None or self._pot[0] != fp.version:
                self._pot = (fp.version, extract_all(kit))
            return self._pot[1]

    def warm(self) -> None:
        """Compile every template x locale and lint them, so the first index load is quick.

        Run in a background thread by ``tplkit serve``; errors are left for the pages to show.
        """
        fp, kit, _ = self.state()
        if kit is None:
            return
        for name in kit.template_names():
            for loc in kit.locales():
                # an error is shown (error or 500) when its page is opened
                with contextlib.suppress(Exception):
                    kit.compile(name, loc)
        self.lint(kit, fp)

    # --- routing -------------------------------------------------------------------------------

    def handle(self, target: str, method: str = "GET", body: bytes = b"",
               headers: Mapping[str, str] | None = None) -> Response:
        """Answer one request for ``target`` (path and query string).

        GET (and HEAD) for every page; POST only for ``/t/<name>/send``, with the form's token.
        """
        url = urlsplit(target)
        parts = url.path.split("/")[1:]
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if method == "POST":
                if not (len(parts) == 3 and parts[0] == "t" and parts[2] == "send"):
                    return Response(405, b"only a test send is a POST", "text/plain; charset=utf-8",
                                    {"Allow": "GET, HEAD"})
                if len(body) > MAX_POST:
                    return Response(413, b"form too large", "text/plain; charset=utf-8")
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", errors="replace"),
                                                      keep_blank_values=True).items()}
                if not hmac.compare_digest(form.get("token", ""), self.token):
                    return Response(403, b"stale or foreign form: reload the page and send again",
                                    "text/plain; charset=utf-8")
                fp, kit, kit_error = self.state()
                if kit is None:
                    return self._page("error.html", fp, status=500, title="Configuration error",
                                      error=kit_error, excerpt=self._excerpt(kit_error))
                sel = self._selection(kit, parts[1], form)
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
                sel = self._selection(kit, parts[1], query)
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

    def _selection(self, kit: Kit, name: str, query: Mapping[str, str]) -> Selection:
        if name not in kit.template_names():
            raise NotFound(f"no template named {name!r}")
        locale = query.get("locale") or kit.default_locale
        if locale not in kit.locales():
            raise NotFound(f"no locale {locale!r} (locales: {', '.join(kit.locales())})")
        view = query.get("view") or "desktop"
        if view not in VIEWS:
            raise NotFound(f"no view {view!r} (views: {', '.join(VIEWS)})")
        mode = query.get("mode") or "email"
        if mode not in views.MODES:
            raise NotFound(f"no mode {mode!r} (modes: {', '.join(views.MODES)})")
        tab = query.get("tab") or "text"
        if tab not in TABS:
            raise NotFound(f"no tab {tab!r} (tabs: {', '.join(TABS)})")
        return Selection(name, locale, query.get("sample") or None, query.get("ctx"), view, mode, tab,
                         query.get("marks") != "0")

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
            except RecursionError:
                raise BadRequest("the context (ctx) is nested too deeply to read") from None
            except ValueError as e:   # e.g. an integer of more digits than Python converts
                out.problems.append(f"invalid JSON: {e}")
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
        if out.email is not None:
            self._good[(sel.name, sel.locale)] = (ctx, out.email)
        return out

    def _shown(self, kit: Kit, sel: Selection) -> tuple[Rendering, Any, bool]:
        """``(rendering, email to show, stale)``: when the selection does not render, the last
        good email of this template and locale (or its default sample) stays on show."""
        r = self._render(kit, sel)
        if r.email is not None:
            return r, r.email, False
        good = self._good.get((sel.name, sel.locale))
        if good is None and sel.ctx is not None and r.error is None:
            good = (None, self._render(kit, Selection(sel.name, sel.locale, sel.sample, None,
                                                      sel.view)).email)
        return r, (good[1] if good else None), good is not None and good[1] is not None

    def _email_html(self, kit: Kit, fp: Fingerprint, sel: Selection) -> Response:
        _, email, stale = self._shown(kit, sel)
        if email is None:
            return Response(422, b"This email cannot be rendered; see the page around it.",
                            "text/plain; charset=utf-8", {"Content-Security-Policy": EMAIL_CSP})
        html = email.html
        if sel.mode == "dark-invert":
            html = views.force_dark(html)
        elif sel.mode == "dark-own":
            html = views.own_dark(html)
        elif sel.mode == "images-off":
            html = views.images_off(html)
        if sel.marks:
            html, _ = views.mark_untranslated(html, untranslated(kit, sel.name, sel.locale,
                                                                 self.pot(kit, fp)))
        headers = {"Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"}
        if stale:
            headers["X-Tplkit-Stale"] = "last good rendering"
        return Response(200, html.encode("utf-8"), headers=headers)

    def _message(self, kit: Kit, email: Any, to: str = PREVIEW_TO) -> Any:
        return email.to_message(sender=default_sender(kit.brand), to=to)

    def _email_eml(self, kit: Kit, sel: Selection) -> Response:
        r = self._render(kit, sel)
        if r.email is None:
            raise NotFound("this email cannot be rendered; open its page to see why")
        try:
            data = bytes(self._message(kit, r.email))
        except TplkitError as e:
            raise NotFound(f"cannot build the message: {e}") from None
        filename = f"{sel.name}-{sel.locale}.eml"
        return Response(200, data, "message/rfc822",
                        {"Content-Disposition": f'attachment; filename="{filename}"'})

    def _send(self, kit: Kit, sel: Selection, to: str) -> dict[str, Any]:
        """A test send of the selection to ``to`` through the project's SMTP server."""
        from ..send import deliver

        smtp = smtp_settings(kit)
        r = self._render(kit, sel)
        if r.email is None:
            return {"ok": False, "message": "not sent: this email does not render (see above)"}
        try:
            msg = self._message(kit, r.email, to.strip())
            password = os.environ.get(smtp["password_env"]) if smtp["password_env"] else None
            deliver(msg, smtp["smtp"], starttls=smtp["starttls"], user=smtp["user"], password=password,
                    timeout=15.0)
        except TplkitError as e:
            return {"ok": False, "message": f"not sent: {e}"}
        return {"ok": True, "message": f"sent to {to.strip()} via {smtp['smtp']} "
                                       f"(Message-ID {msg['Message-ID']})"}

    # --- pages ---------------------------------------------------------------------------------

    def _index(self, kit: Kit, fp: Fingerprint) -> dict[str, Any]:
        names, locales = kit.template_names(), kit.locales()
        lv = self.lint_view(kit, fp)
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
        r, email, stale = self._shown(kit, sel)
        info = None
        with contextlib.suppress(TplkitError):
            info = kit.template(sel.name)
        lv = self.lint_view(kit, fp)
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
            "untranslated": untranslated(kit, sel.name, sel.locale, self.pot(kit, fp)),
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
                    values["message_headers"] = list(self._message(kit, email).items())
                except TplkitError as e:
                    values["message_headers"] = [("error", str(e))]
            elif sel.tab == "compat":
                values["compat"] = compat.check(email.html, self._sources(kit, sel.name))
                values["snapshot"] = compat.snapshot()
            elif sel.tab == "links" and info is not None:
                from . import linkcheck  # lint's checks and source map, imported when used
                # the context the shown email was rendered with (the last good one when stale)
                shown = self._good.get((sel.name, sel.locale)) if stale else (r.context, email)
                values["links"] = linkcheck.check(kit, info, sel.locale, shown[0] if shown else None,
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
                self._spam[key] = spam.check(bytes(self._message(kit, email)))
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


def smtp_settings(kit: Kit) -> dict[str, Any]:
    """The test-send server from the project's ``[preview]`` table (default: loopback port 25).

    Nothing is sent anywhere else unless the project's config names the server.
    """
    table = kit.project.settings.get("preview", {})
    table = table if isinstance(table, Mapping) else {}
    return {"smtp": str(table.get("smtp", DEFAULT_SMTP)), "starttls": bool(table.get("starttls", False)),
            "user": table.get("user") or None, "password_env": table.get("password_env") or None}


def _run_lint(kit: Kit) -> tuple[list[Finding] | None, str | None]:
    """Call ``tplkit.lint.lint`` on the whole project if it exists; any failure is a note on
    the page, not a crash."""
    try:
        from ..lint import lint
    except ImportError as e:
        return None, f"lint unavailable ({e})"
    try:
        return list(lint(kit)), None
    except Exception as e:  # noqa: BLE001 -- another module's code: report it, keep the page
        return None, f"lint failed: {type(e).__name__}: {e}"
