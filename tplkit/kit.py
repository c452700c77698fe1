"""The front door: :class:`Kit` finds, compiles (once) and renders templates."""
from __future__ import annotations

import functools
import os
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import computed, i18n
from .config import Brand, Project, load_project
from .errors import LocaleWarning, TemplateNotFound, TemplateSourceError
from .hours import SupportHours
from .links import LinkSigner, signer_from_settings
from .render import RenderedEmail
from .schema import Schema, coerce, with_currency
from .sources import BuildSource, SourceTree, TemplateSource, is_stale
from .store import Store, TemplateInfo

if TYPE_CHECKING:  # the compiler is imported when first used (see tplkit.sources)
    from .buildpass import BuildEnvironment
    from .compiled import Compiled


class Kit:
    """Templates, catalogs and brand of one project (or of the built-in library alone).

    ``Kit()`` uses the built-in templates; ``Kit("path/to/project")`` layers a project's
    templates, catalogs and brand over them. Compiled templates are cached per
    (template, locale); with ``auto_reload=True`` (the preview server) a cached template is
    recompiled when any of its files changes. ``link_key`` (the application's secret, or a
    list of them for rotation) signs one-click links: see :attr:`links`.
    """

    def __init__(self, project: str | os.PathLike | None = None, *, strict: bool = True,
                 auto_reload: bool = False, settings: Mapping[str, Any] | None = None,
                 link_key: Any = None) -> None:
        self.project: Project = load_project(project, overrides=settings)
        self._link_key = link_key   # the app's signing key(s) for one-click links (tplkit.links)
        self.strict = strict
        self.auto_reload = auto_reload
        tree = SourceTree(self.project, self.schema)
        self.store: Store = tree.store
        self.source: TemplateSource = tree   # where templates come from (see tplkit.sources)
        self._compiled: dict[tuple[str, str], Compiled] = {}
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._negotiated: dict[str | None, i18n.Negotiated] = {}
        # (template name, requested locale) -> what Kit.render needs (see _prepare)
        self._ready: dict[tuple[str, str | None], tuple[Compiled, str | None, dict[str, Any]]] = {}

    @classmethod
    def from_build(cls, build_dir: str | os.PathLike, *, strict: bool = True,
                   check_sources: bool = True, link_key: Any = None) -> Kit:
        """A kit that renders from a prebuilt folder (``tplkit build``) instead of sources.

        It needs neither mjml-python nor premailer nor the template files, which makes it the
        way for worker processes. A build of another format or tplkit version, with edited
        artefacts, or (when its sources are on this machine and ``check_sources``) older than
        its sources raises :class:`~tplkit.TplkitError`.
        """
        from .build import MANIFEST, BuildError, read_manifest

        manifest = read_manifest(build_dir, check_sources=check_sources)
        try:
            kit = cls(None, strict=strict, settings={"brand": manifest["brand"],
                                                     "default_locale": manifest["default_locale"],
                                                     "locales": manifest["locales"]},
                      link_key=link_key)
        except (TypeError, ValueError, KeyError, AttributeError) as e:  # a tampered manifest
            raise BuildError(f"the build manifest is malformed: {type(e).__name__}: {e}",
                             file=str(Path(build_dir) / MANIFEST)) from None
        kit.source = BuildSource(Path(build_dir), manifest)
        return kit

    # --- discovery ---------------------------------------------------------------------------

    @property
    def brand(self) -> Brand:
        return self.project.brand

    @property
    def default_locale(self) -> str:
        return self.project.default_locale

    @functools.cached_property
    def support_hours(self) -> SupportHours:
        """The brand's support hours, holidays and response-time promises (business time):
        ``kit.support_hours.next_opening(now)``, ``kit.support_hours.reply_by(received_at, category)``."""
        cfg = self.project.config_file
        return SupportHours.from_brand(self.brand, str(cfg) if cfg else None)

    @functools.cached_property
    def links(self) -> LinkSigner | None:
        """The signer of one-click links (``link_key=`` or the environment variable named by
        ``[links] key_env``, default ``TPLKIT_LINK_KEY``), or None without a key."""
        cfg = self.project.config_file
        return signer_from_settings(self.project.settings, self._link_key, str(cfg) if cfg else None)

    def template_names(self) -> list[str]:
        """Names of every template, the project's and the built-in ones."""
        return self.source.names()

    def locales(self) -> list[str]:
        """Locale codes that have catalogs (plus the default locale)."""
        configured = self.project.settings.get("locales")
        if configured:
            return sorted({*map(str, configured), self.default_locale})
        return i18n.available_locales(self.project.locale_dirs, self.default_locale)

    def template(self, name: str) -> TemplateInfo:
        """A template's manifest: description, placeholders, samples (``.sample``)."""
        return self.source.template(name)

    def negotiate(self, locale: str | None) -> i18n.Negotiated:
        """The locale used for a request of ``locale`` (remembered unless ``auto_reload``)."""
        if self.auto_reload or not (locale is None or isinstance(locale, str)):
            return i18n.negotiate(locale, self.locales(), self.default_locale)
        neg = self._negotiated.get(locale)
        if neg is None:
            if len(self._negotiated) > 1000:  # arbitrary request strings: keep it bounded
                self._negotiated.clear()
            neg = self._negotiated[locale] = i18n.negotiate(locale, self.locales(),
                                                            self.default_locale)
        return neg

    def schema(self, info: TemplateInfo) -> Schema:
        """The template's schema for this brand: ``default_from = "brand.x"`` resolved, and
        money placeholders without a ``currency`` of their own in the brand's currency."""
        placeholders = {name: with_currency(ph, self.brand.currency)
                         for name, ph in info.placeholders.items()}
        defaults = {}
        for name, ph in placeholders.items():
            if ph.default_from:
                attr = ph.default_from.split(".", 1)[1]
                if not hasattr(self.brand, attr):
                    raise TemplateSourceError(f"placeholder {name!r}: default_from names an "
                                              f"unknown brand setting {attr!r}",
                                              template=info.name, file=str(info.manifest))
                defaults[name] = getattr(self.brand, attr)
            elif ph.default is not None:
                defaults[name] = ph.default
        try:
            defaults = {k: coerce(placeholders[k], v) for k, v in defaults.items()}
        except ValueError as e:
            raise TemplateSourceError(f"a default does not fit its placeholder: {e}",
                                      template=info.name, file=str(info.manifest)) from None
        return Schema(placeholders, defaults)

    # --- compiling -----------------------------------------------------------------------------

    def environment(self, locale: str) -> BuildEnvironment:
        """The sandboxed build-pass environment for ``locale`` (one per kit and locale)."""
        return self.source.environment(locale)

    def compile(self, name: str, locale: str | None = None, *, keep: bool = False) -> Compiled:
        """The compiled form of a template for a locale (cached; thread-safe). ``keep``: with
        what every compile stage produced (:attr:`Compiled.stages <tplkit.compiled.Compiled>`,
        for lint and the preview); it replaces the cached one and serves renders too."""
        locale = self.negotiate(locale).locale if locale else self.default_locale
        return self._compiled_for(name, locale, keep)

    def _compiled_for(self, name: str, locale: str, keep: bool = False) -> Compiled:
        """The cached compiled template for an already negotiated locale."""
        if type(name) is not str:
            raise TemplateNotFound(f"a template name is text, not {type(name).__name__}",
                                   template=str(name)[:100])
        key = (name, locale)
        compiled = self._compiled.get(key)
        if compiled is not None and not (self.auto_reload and is_stale(compiled)) \
                and not (keep and compiled.stages is None):
            return compiled
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            compiled = self._compiled.get(key)
            stale = compiled is not None and self.auto_reload and is_stale(compiled)
            if compiled is not None and not stale and not (keep and compiled.stages is None):
                return compiled
            compiled = self._compiled[key] = self.source.compile(
                name, locale, stale=compiled if stale else None, keep=keep)
            return compiled

    # --- rendering -----------------------------------------------------------------------------

    def render(self, name: str, context: Mapping[str, Any] | None = None, *,
               locale: str | None = None, strict: bool | None = None) -> RenderedEmail:
        """Render a template for one recipient.

        Every missing, invalid or unknown value is reported at once in one
        :class:`~tplkit.PlaceholderError`. An unavailable locale falls back to the default
        with a :class:`~tplkit.LocaleWarning` (and ``email.warnings`` says so).
        """
        # The per-message path: for a template name and a requested locale, what is cached
        # (the compiled template, the negotiation's note, the email's fields) is one lookup
        try:
            ready = None if self.auto_reload else self._ready.get((name, locale))
        except TypeError:   # an unhashable name or locale: _prepare says what is wrong
            ready = None
        if ready is None:
            ready = self._prepare(name, locale)
        compiled, note, fields = ready
        if note:
            warnings.warn(note, LocaleWarning, stacklevel=2)
        schema = compiled.schema
        context = computed.fill(self, schema, context, template=name)
        values = schema.quick(context, self.strict if strict is None else strict)
        if values is None:
            values = schema.validate_all(context, strict=self.strict if strict is None else strict,
                                         template=name, locale=compiled.locale)
        return RenderedEmail.from_fields(fields, compiled.render_four(values, validated=True))

    def _prepare(self, name: str, locale: str | None) -> tuple[Compiled, str | None, dict[str, Any]]:
        """What :meth:`render` needs for ``name`` in the requested ``locale``: the compiled
        template, the note when the locale falls back, and the email's fields; kept (unless
        ``auto_reload``) for a str name and a str or None locale."""
        neg = self.negotiate(locale)
        compiled = self._compiled_for(name, neg.locale)
        fields = RenderedEmail.fields(name, neg.locale, locale,
                                      (neg.note, *compiled.warnings) if neg.note else compiled.warnings,
                                      compiled.headers)
        ready = (compiled, neg.note, fields)
        if not self.auto_reload and type(name) is str and (locale is None or type(locale) is str):
            if len(self._ready) > 1000:   # arbitrary request strings: keep it bounded
                self._ready.clear()
            self._ready[(name, locale)] = ready
        return ready

    def render_naive(self, name: str, context: Mapping[str, Any] | None = None, *,
                     locale: str | None = None) -> RenderedEmail:
        """The same email through the per-message pipeline (Jinja, MJML, premailer, text).

        Slow; it exists as the correctness oracle for :meth:`render` and for benchmarks.
        """
        from .compile import render_naive

        if isinstance(self.source, BuildSource):
            raise self.source.sources_needed("render_naive")
        neg = self.negotiate(locale)
        info = self.template(name)
        schema = self.schema(info)
        context = computed.fill(self, schema, context, template=name)
        values = schema.validate(context, strict=self.strict, template=name, locale=neg.locale)
        parts = render_naive(self.environment(neg.locale), info, self.brand, neg.locale, schema, values)
        return RenderedEmail(template=name, locale=neg.locale, requested_locale=locale,
                             subject=parts["subject"], preheader=parts["preheader"],
                             html=parts["html"], text=parts["text"])
