"""Runs the rules over a kit: project, shared files, templates, catalogs and every rendered
(template × locale × sample); applies configuration and inline suppressions.

Nothing stops the run: a broken template, catalog or even a crashing rule becomes a finding
and the rest is linted.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import i18n
from ..catalogs import extract
from ..errors import CatalogError, TplkitError
from ..kit import Kit
from . import parallel
from .catalogs import CatalogContext, ProjectContext, message_key
from .config import LintConfig, load_config
from .document import parse_html
from .files import Files, Locator, SourceText
from .model import Finding, Hit, Rule
from .parallel import auto_jobs
from .rendered import RenderContext
from .results import SOURCE_SUFFIXES, final
from .rules import RULES, RULES_BY_ID
from .source import BuildFailure, SourceContext, parse_file, template_context
from .translations import TranslationContext


def lint(kit: Any, templates: Sequence[str] | None = None,
         locales: Sequence[str] | None = None, *, jobs: int | str = 1) -> list[Finding]:
    """Lint a kit's templates, catalogs and rendered emails; findings sorted by file and line.

    ``templates`` / ``locales`` restrict the run (catalog rules run only when ``templates`` is
    None). Without a user project the built-in library is linted, otherwise the project's own
    templates and catalogs. Configuration comes from ``[lint]`` in the project's config file.
    Unknown template or locale names and an invalid ``[lint]`` table raise a TplkitError.
    ``jobs > 1`` builds (template, locale) pairs in that many processes; ``"auto"`` (the CLI's
    default) picks a number by :func:`~tplkit.lint.parallel.auto_jobs`. An empty list means the same as None.
    """
    return _Run(kit, _config(kit), jobs).run(list(templates or []) or None, list(locales or []) or None)


def _config(kit: Any) -> LintConfig:
    return load_config(kit.project.settings.get("lint", {}), kit.project.config_file)


def _build_pairs(root: str | None, settings: dict, strict: bool,
                 pairs: list[tuple[str, str]]) -> list[Finding]:
    """Worker process: build and check some (template, locale) pairs of the same project."""
    kit = Kit(root, strict=strict, settings=settings)
    run = _Run(kit, _config(kit))
    for name, loc in pairs:
        run.build(name, loc)
    return run.findings


class _Run:
    def __init__(self, kit: Any, cfg: LintConfig, jobs: int | str = 1) -> None:
        self.kit = kit
        self.cfg = cfg
        self.wanted_jobs = jobs   # a number, or "auto": decided by run()
        self.jobs = jobs if isinstance(jobs, int) else 1
        self.contexts: dict[str, SourceContext] = {}
        self.files = Files(kit.project.roots)
        self.findings: list[Finding] = []
        self.rendered_files: set[str] = set()
        layout = kit.project.layout
        self.layout = layout
        self.template_dirs = layout.own_template_dirs
        self.locale_dirs = layout.own_locale_dirs

    # --- running rules -------------------------------------------------------------------------

    def emit(self, layer: str, ctx: Any, template: str | None = None,
             locale: str | None = None) -> list[Finding]:
        out = []
        for rule in RULES:
            if rule.layer != layer or rule.check is None or rule.id not in self.cfg.active:
                continue
            try:
                for hit in rule.check(ctx):
                    out.append(self.finding(rule, hit, template, locale))
            except Exception as e:  # a rule bug must not stop the run, nor go unnoticed
                out.append(self.finding(RULES_BY_ID["internal-error"], Hit(
                    f"rule {rule.id} crashed: {type(e).__name__}: {e}"), template, locale))
        self.findings.extend(out)
        return out

    def finding(self, rule: Rule, hit: Hit, template: str | None, locale: str | None) -> Finding:
        severity = self.cfg.severity_of(rule.id, hit.severity or rule.severity)
        file = str(Path(hit.file).resolve()) if hit.file else None
        return Finding(rule.id, severity, hit.message, file, hit.line, hit.column, template,
                       hit.locale or locale)

    # --- the layers ----------------------------------------------------------------------------

    def run(self, templates: Sequence[str] | None, locales: Sequence[str] | None) -> list[Finding]:
        if self.wanted_jobs == "auto":
            self.jobs = auto_jobs(len(self.template_names(templates)) * len(self.locales(locales)))
        with parallel.pool(self.jobs) as workers:
            return self._run(templates, locales, workers)

    def _run(self, templates: Sequence[str] | None, locales: Sequence[str] | None,
             pool: Any) -> list[Finding]:
        kit = self.kit
        names = self.template_names(templates)
        locs = self.locales(locales)
        config = kit.project.config_file
        ours = self.messages()
        own = [kit.project.root / "locales"] if kit.project.root is not None and ours else None
        self.emit("project", ProjectContext(kit, self.files.get(config) if config else None,
                                            [str(x) for x in kit.project.settings.get("locales", [])
                                             if not locales or str(x) in locs], own))
        shared_broken = False
        for path in self.shared_files():
            env = kit.environment(i18n.SOURCE_LOCALE)  # parsing needs no catalog
            sf = parse_file(env, path, "shared", self.files, None)
            if sf is not None:
                shared_broken |= bool(self.emit("source", SourceContext(kit, None, None, [sf])))\
                    and sf.error is not None
        if templates is None:
            # every catalog in the linted folders, configured or not (one may be a typo'd locale)
            present = i18n.available_locales(self.locale_dirs, kit.default_locale)
            self.catalogs(list(dict.fromkeys([*locs, *([] if locales else present)])), locs)
        usable = self.usable_locales(locs)
        if templates is not None:   # only the messages of the selected templates
            ours = [m for m in ours if m[2] and Path(m[2]).parent.name in names]
        self.translations(usable, ours)
        buildable = [name for name in names if self.source(name, shared_broken)]
        pairs = [(name, loc) for name in buildable for loc in usable]
        if pool is not None and len(pairs) > 1:
            project = self.kit.project
            args = (str(project.root) if project.root else None, dict(project.settings),
                    self.kit.strict)
            self.findings.extend(parallel.spread(pool, self.jobs, pairs, self.build,
                                                 _build_pairs, args))
        else:
            for name, loc in pairs:
                self.build(name, loc)
        return final(self.findings, self.files, self.cfg, self.rendered_files,
                     lambda rule, hit: self.finding(rule, hit, None, None))

    def template_names(self, wanted: Sequence[str] | None) -> list[str]:
        kit = self.kit
        if wanted:
            for name in wanted:
                kit.store.folder(name)  # raises TemplateNotFound with a "did you mean"
            return list(dict.fromkeys(wanted))
        dirs = {d.resolve() for d in self.template_dirs}
        return [n for n in kit.template_names() if kit.store.folder(n).parent.resolve() in dirs]

    def locales(self, wanted: Sequence[str] | None) -> list[str]:
        available = self.kit.locales()
        if not wanted:
            return available
        out = []
        for loc in wanted:
            neg = self.kit.negotiate(loc)
            if not neg.exact:
                raise TplkitError(f"unknown locale {loc!r} (available: {', '.join(available)})")
            out.append(neg.locale)
        return list(dict.fromkeys(out))

    def shared_files(self) -> list[Path]:
        return [f for f in self.layout.shared_files(own=True) if f.suffix in SOURCE_SUFFIXES]

    def usable_locales(self, locs: list[str]) -> list[str]:
        """Locales whose catalogs load; others were reported (or are reported here, once)."""
        out = []
        for loc in locs:
            try:
                self.kit.environment(loc)
                out.append(loc)
            except CatalogError as e:
                if not any(f.locale == loc and f.rule in ("catalog-missing", "catalog-syntax")
                           for f in self.findings):
                    self.emit("build", BuildFailure(self.kit, None, loc, e), locale=loc)
        return out

    def messages(self) -> list[tuple[Any, str, str | None, int | None]]:
        """Messages of the linted templates: (catalog key, text, file, line)."""
        def skip(err: TplkitError) -> None:
            pass  # a file Jinja cannot parse is reported by syntax-error

        out = []
        for msg in extract(self.template_dirs, on_error=skip):
            if not msg.id:
                continue
            rel, line = msg.locations[0] if msg.locations else (None, None)
            file = None
            if rel:
                rel = rel.split("/", 1)[1]
                file = next((str(d / rel) for d in self.template_dirs if (d / rel).is_file()), None)
            out.append((_catalog_key(msg), msg.id if isinstance(msg.id, str) else msg.id[0], file, line))
        return out

    def translations(self, locs: list[str], ours: list) -> None:
        """``missing-translation`` for every rendered locale other than the source language."""
        for loc in locs:
            if loc.split("_")[0] == i18n.SOURCE_LOCALE:
                continue
            try:
                catalog = i18n.load_catalog(loc, self.kit.project.locale_dirs, self.kit.project.roots)
                files = i18n.catalog_files(loc, self.locale_dirs)
                listed = frozenset(_catalog_key(m) for f in files
                                   for m in i18n.read_po(f, loc, self.kit.project.roots) if m.id)
            except CatalogError:
                continue  # reported by catalog-missing / catalog-syntax
            self.emit("translations", TranslationContext(self.kit, loc, catalog, ours, bool(files),
                                                         listed), locale=loc)

    def catalogs(self, locs: list[str], used: list[str]) -> None:
        """Lint the catalog files of ``locs``."""
        kit = self.kit
        def skip(err: TplkitError) -> None:
            pass  # a file Jinja cannot parse is reported by syntax-error

        everything = extract(kit.project.template_dirs, on_error=skip)
        known = {message_key(m) for m in everything if m.id}
        for loc in locs:
            for path in i18n.catalog_files(loc, self.locale_dirs):
                src = self.files.get(path) or SourceText(path, "")  # unreadable: read_po says why
                try:
                    catalog, error = i18n.read_po(path, loc, kit.project.roots), None
                except CatalogError as e:
                    catalog, error = None, e
                self.emit("catalog", CatalogContext(kit, loc, src, catalog, error, known), locale=loc)

    def source(self, name: str, shared_broken: bool) -> bool:
        """Run the source rules on a template; True if it can be built and rendered."""
        kit = self.kit
        ctx = template_context(kit, name, self.files)
        found = self.emit("source", ctx, template=name)
        if ctx.manifest_error is not None:
            self.emit("build", BuildFailure(kit, None, None, ctx.manifest_error), template=name)
            return False
        if shared_broken or any(f.rule in ("syntax-error", "undeclared-placeholder") for f in found):
            return False  # it cannot build; the source findings say why
        self.contexts[name] = ctx
        paths = [sf.src.path for sf in ctx.files] + self.shared_files()
        self.rendered_files |= {str(p.resolve()) for p in paths}
        return True

    def build(self, name: str, locale: str) -> None:
        """Compile a template for a locale, render every sample and run the rendered rules."""
        kit = self.kit
        ctx = self.contexts.get(name)
        if ctx is None:
            ctx = self.contexts[name] = template_context(kit, name, self.files)
        info = ctx.info
        if info is None:  # a broken manifest: source() reported it and never gets here
            return
        paths = [sf.src.path for sf in ctx.files] + self.shared_files()
        sources = Locator(self.files, paths + [info.manifest])
        catalogs = i18n.catalog_files(locale, kit.project.locale_dirs)
        try:
            kit.compile(name, locale, keep=True)   # what every stage made, for the rules
        except TplkitError as e:
            where = Locator(self.files, [*paths, *reversed(catalogs)])
            self.emit("build", BuildFailure(kit, info, locale, e, where), name, locale)
            return
        samples = {s: info.sample_for(locale, s) for s in info.samples} or {"default": info.sample}
        for i, (sample, values) in enumerate(samples.items()):
            email = self.render(name, values, locale, info, sample, sources)
            if email is None:
                continue
            rctx = RenderContext(kit, info, locale, sample, dict(values), email,
                                 parse_html(email.html), ctx.uses,
                                 functools.partial(self._render_values, name, locale),
                                 first_sample=i == 0)
            self.emit("rendered", rctx, name, locale)

    def _render_values(self, name: str, locale: str, values: Any) -> Any:
        """``values`` rendered as ``name`` in ``locale`` (rendered rules re-render with changes)."""
        return self.kit.render(name, values, locale=locale)

    def render(self, name: str, values: Any, locale: str, info: Any, sample: str,
               sources: Locator) -> Any:
        try:
            return self.kit.render(name, values, locale=locale)  # an available locale: no warning
        except TplkitError as e:
            manifest = self.files.get(info.manifest)
            pos = manifest.find(f"[samples.{sample}]") if manifest else None
            err = TplkitError(f"sample {sample!r} does not render: {e.message}",
                              file=e.file or info.manifest, line=e.line or (pos[0] if pos else None))
            self.emit("build", BuildFailure(self.kit, info, locale, err, sources), name, locale)
            return None


def _catalog_key(msg: Any) -> Any:
    """A Babel message's key in :attr:`tplkit.i18n.Catalog.messages` (context included)."""
    if isinstance(msg.id, str):
        return i18n.message_key(msg.id, msg.context)
    return (i18n.message_key(msg.id[0], msg.context), msg.id[1])
