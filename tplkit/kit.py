"""The front door: :class:`Kit` finds, compiles (once) and renders templates."""
from __future__ import annotations

import functools
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Mapping

from . import computed, i18n
from .config import Project, builtin_root, load_project
from .errors import LocaleWarning, TemplateSourceError, TplkitError
from .hours import SupportHours
from .links import LinkSigner, signer_from_settings
from .render import RenderedEmail
from .schema import Schema
from .store import Store, TemplateInfo


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
        self.store = Store(self.project.template_dirs, builtin_root() / "templates")
        self._compiled: dict[tuple[str, str], Any] = {}
        self._envs: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._negotiated: dict[str | None, i18n.Negotiated] = {}
        self._build: tuple[Path, dict] | None = None   # (folder, manifest) for from_build()

    @classmethod
    def from_build(cls, build_dir: str | os.PathLike, *, strict: bool = True,
                   check_sources: bool = True, link_key: Any = None) -> "Kit":
        """A kit that renders from a prebuilt folder (``tplkit build``) instead of sources.

        It needs neither mjml-python nor premailer nor the template files, which makes it the
        way for worker processes. A build of another format or tplkit version, with edited
        artefacts, or (when its sources are on this machine and ``check_sources``) older than
        its sources raises :class:`~tplkit.TplkitError`.
        """
        from .build import read_manifest

        manifest = read_manifest(build_dir, check_sources=check_sources)
        kit = cls(None, strict=strict, settings={"brand": manifest["brand"],
                                                 "default_locale": manifest["default_locale"],
                                                 "locales": manifest["locales"]},
                  link_key=link_key)
        kit._build = (Path(build_dir), manifest)
        return kit

    def _from_build_only(self, what: str) -> TplkitError:
        return TplkitError(f"{what} needs the template sources; this kit was loaded from the "
                           f"build {self._build[0]}")

    # --- discovery ---------------------------------------------------------------------------

    @property
    def brand(self):
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
        if self._build is not None:
            return sorted(self._build[1]["templates"])
        return self.store.names()

    def locales(self) -> list[str]:
        """Locale codes that have catalogs (plus the default locale)."""
        configured = self.project.settings.get("locales")
        if configured:
            return sorted({*map(str, configured), self.default_locale})
        return i18n.available_locales(self.project.locale_dirs, self.default_locale)

    def template(self, name: str) -> TemplateInfo:
        """A template's manifest: description, placeholders, samples (``.sample``)."""
        if self._build is not None:
            from .build import template_info

            return template_info(*self._build, name)
        return self.store.get(name)

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
        import dataclasses

        placeholders = {
            name: dataclasses.replace(ph, currency=self.brand.currency)
            if ph.currency is None and "money" in (ph.type, ph.item_type) else ph
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
        from .schema import coerce
        try:
            defaults = {k: coerce(placeholders[k], v) for k, v in defaults.items()}
        except ValueError as e:
            raise TemplateSourceError(f"a default does not fit its placeholder: {e}",
                                      template=info.name, file=str(info.manifest)) from None
        return Schema(placeholders, defaults)

    # --- compiling -----------------------------------------------------------------------------

    def environment(self, locale: str):
        """The sandboxed build-pass environment for ``locale`` (one per kit and locale)."""
        if self._build is not None:
            raise self._from_build_only("compiling")
        from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

        from .compile import BuildEnvironment

        with self._lock:
            catalog = i18n.load_catalog(locale, self.project.locale_dirs)
            env = self._envs.get(locale)
            if env is None or env.catalog is not catalog:
                dirs = [str(d) for d in self.project.template_dirs]
                builtin = FileSystemLoader(str(builtin_root() / "templates"))
                loader = ChoiceLoader([FileSystemLoader(dirs), PrefixLoader({"builtin": builtin})])
                env = BuildEnvironment(loader, catalog)
                env.search_dirs = dirs
                self._envs[locale] = env
            return env

    def compile(self, name: str, locale: str | None = None):
        """The compiled form of a template for a locale (cached; thread-safe)."""
        locale = self.negotiate(locale).locale if locale else self.default_locale
        return self._compiled_for(name, locale)

    def _compiled_for(self, name: str, locale: str):
        """The cached compiled template for an already negotiated locale."""
        key = (name, locale)
        compiled = self._compiled.get(key)
        if compiled is not None and not (self.auto_reload and _stale(compiled)):
            return compiled
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            compiled = self._compiled.get(key)
            if compiled is not None and not (self.auto_reload and _stale(compiled)):
                return compiled
            if self._build is not None:
                from .build import load_compiled

                if locale not in self._build[1]["templates"].get(name, {}).get("locales", ()):
                    self.template(name)  # TemplateNotFound for an unknown name
                    raise TplkitError(f"the build {self._build[0]} has no {name}/{locale}",
                                      template=name, locale=locale)
                compiled = self._compiled[key] = load_compiled(self._build[0], name, locale)
                return compiled
            from .compile import _dependencies, compile_template

            info = self.template(name)
            env = self.environment(locale)
            if compiled is not None and env.cache is not None:
                # stale: Jinja's own cache checks only the files it loaded, not a new
                # override that now shadows one of them
                env.cache.clear()
            # fingerprints taken *before* compiling: a change made meanwhile is seen next time
            files = _fingerprints([*_dependencies(env, info), *self._watched_dirs(info, locale),
                                   *i18n.catalog_files(locale, self.project.locale_dirs)])
            try:
                compiled = compile_template(env, info, self.brand, locale, self.schema(info))
            except TplkitError as e:
                e.template = e.template or name
                e.locale = e.locale or locale
                raise
            compiled.files = files
            self._compiled[key] = compiled
            return compiled

    def _watched_dirs(self, info: TemplateInfo, locale: str) -> list[Path]:
        """Folders whose listing matters: a file added there (a project template or layout
        overriding a built-in one, a new catalog) must invalidate the cache too."""
        dirs = [*self.project.template_dirs, info.folder]
        for d in self.project.template_dirs:
            dirs += [d / info.name, d / "_layouts", d / "_components"]
        locale_dirs = list(self.project.locale_dirs)
        if self.project.root is not None:  # may not exist yet: a catalog can be added later
            locale_dirs.append(self.project.root / "locales")
            dirs += [self.project.root / "locales", self.project.root / "locales" / locale]
        dirs += [d / locale / "LC_MESSAGES" for d in locale_dirs]
        return dirs

    # --- rendering -----------------------------------------------------------------------------

    def render(self, name: str, context: Mapping[str, Any] | None = None, *,
               locale: str | None = None, strict: bool | None = None) -> RenderedEmail:
        """Render a template for one recipient.

        Every missing, invalid or unknown value is reported at once in one
        :class:`~tplkit.PlaceholderError`. An unavailable locale falls back to the default
        with a :class:`~tplkit.LocaleWarning` (and ``email.warnings`` says so).
        """
        # The per-message path: what is cached is looked up here directly (negotiate() and
        # _compiled_for() do the same, plus the work when it is not cached).
        cached = not self.auto_reload
        neg = self._negotiated.get(locale) if cached and (locale is None or type(locale) is str) else None
        if neg is None:
            neg = self.negotiate(locale)
        if neg.note:
            warnings.warn(neg.note, LocaleWarning, stacklevel=2)
        compiled = self._compiled.get((name, neg.locale)) if cached else None
        if compiled is None:
            compiled = self._compiled_for(name, neg.locale)
        schema, strict = compiled.schema, self.strict if strict is None else strict
        context = computed.fill(self, schema, context, template=name)
        values = schema.quick(context, strict)
        if values is None:
            values = schema.validate(context, strict=strict, template=name, locale=neg.locale)
        return RenderedEmail._of(name, neg.locale, locale, (neg.note,) if neg.note else (),
                                 compiled.headers, *compiled.render_four(values, validated=True))

    def render_naive(self, name: str, context: Mapping[str, Any] | None = None, *,
                     locale: str | None = None) -> RenderedEmail:
        """The same email through the per-message pipeline (Jinja, MJML, premailer, text).

        Slow; it exists as the correctness oracle for :meth:`render` and for benchmarks.
        """
        from .compile import render_naive

        if self._build is not None:
            raise self._from_build_only("render_naive")
        neg = self.negotiate(locale)
        info = self.template(name)
        schema = self.schema(info)
        context = computed.fill(self, schema, context, template=name)
        values = schema.validate(context, strict=self.strict, template=name, locale=neg.locale)
        parts = render_naive(self.environment(neg.locale), info, self.brand, neg.locale, schema, values)
        return RenderedEmail(template=name, locale=neg.locale, requested_locale=locale, **parts)


def _fingerprint(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """What tells a changed file apart: mtime, size and inode (an atomic replace changes the
    inode even within the file system's timestamp granularity); None for a missing file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _fingerprints(paths) -> dict[str, tuple[int, int, int] | None]:
    return {str(p): _fingerprint(p) for p in paths}


def _stale(compiled) -> bool:
    """Has any file (or watched folder) of a compiled template changed since it was compiled?"""
    for path, fp in compiled.files.items():
        if _fingerprint(path) != fp:
            return True
    return False
