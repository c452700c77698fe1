"""Runs the rules over a kit: project, shared files, templates, catalogs and every rendered
(template × locale × sample); applies configuration and inline suppressions.

Nothing stops the run: a broken template, catalog or even a crashing rule becomes a finding
and the rest is linted.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import CatalogError, TplkitError
from .catalogs import CatalogContext, ProjectContext, message_key
from .config import LintConfig, load_config
from .document import parse_html
from .files import Files, Locator, SourceText, Suppression, suppressions
from .model import Finding, Hit, Rule
from .rendered import RenderContext
from .rules import RULES, RULES_BY_ID
from .source import BuildFailure, SourceContext, parse_file, template_context

SOURCE_SUFFIXES = (".mjml", ".txt", ".html")


def lint(kit: Any, templates: Sequence[str] | None = None,
         locales: Sequence[str] | None = None, *, jobs: int | str = 1) -> list[Finding]:
    """Lint a kit's templates, catalogs and rendered emails; findings sorted by file and line.

    ``templates`` / ``locales`` restrict the run (catalog rules run only when ``templates`` is
    None). Without a user project the built-in library is linted, otherwise the project's own
    templates and catalogs. Configuration comes from ``[lint]`` in the project's config file.
    Unknown template or locale names and an invalid ``[lint]`` table raise a TplkitError.
    ``jobs > 1`` builds (template, locale) pairs in that many processes; ``"auto"`` (the CLI's
    default) picks a number by :func:`auto_jobs`. An empty list means the same as None.
    """
    return _Run(kit, _config(kit), jobs).run(list(templates or []) or None, list(locales or []) or None)


PAIRS_PER_WORKER = 16
"""A worker process costs about a second to start (imports, a Kit, Jinja's compile of the
shared layouts); a (template, locale) pair about a tenth of that. Below this many pairs per
extra process, starting it does not pay."""


def auto_jobs(pairs: int) -> int:
    """The default process count: 1 on a machine with 2 CPUs or fewer (there the pool's start-up
    and the other processes on the machine make -j 2 no faster than -j 1), else one process
    per PAIRS_PER_WORKER pairs, at most one per spare CPU."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    if cpus <= 2:
        return 1
    return max(1, min(cpus - 1, pairs // PAIRS_PER_WORKER))


def _config(kit: Any) -> LintConfig:
    return load_config(kit.project.settings.get("lint", {}), kit.project.config_file)


def _warm_up() -> None:
    """Import what a worker needs while the parent process is still busy."""
    import mjml  # noqa: F401
    import premailer  # noqa: F401

    from .. import compile, kit  # noqa: F401


def _build_pairs(root: str | None, settings: dict, strict: bool,
                 pairs: list[tuple[str, str]]) -> list[Finding]:
    """Worker process: build and check some (template, locale) pairs of the same project."""
    from ..kit import Kit

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
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(self.pool()) if self.jobs > 1 else None
            return self._run(templates, locales, pool)

    def pool(self):
        """Worker processes, started now so they boot while the sources and catalogs are linted.

        Workers are spawned (not forked) so that a multi-threaded caller such as the preview
        server stays safe; compiling is CPU-bound Python, so threads would not help.
        """
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(self.jobs - 1, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.jobs - 1):
            pool.submit(_warm_up)
        return pool

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
            self.parallel(pool, pairs)
        else:
            for name, loc in pairs:
                self.build(name, loc)
        return self.finish()

    def parallel(self, pool: Any, pairs: list[tuple[str, str]]) -> None:
        """Build and check (template, locale) pairs in the pool's processes and this one."""
        jobs = min(self.jobs, len(pairs))
        chunks = [pairs[i::jobs] for i in range(jobs)]
        project = self.kit.project
        args = (str(project.root) if project.root else None, dict(project.settings), self.kit.strict)
        futures = [(chunk, pool.submit(_build_pairs, *args, chunk)) for chunk in chunks[1:]]
        for name, loc in chunks[0]:
            self.build(name, loc)
        for chunk, future in futures:
            try:
                self.findings.extend(future.result())
            except Exception:  # a worker died: do its share here rather than lose it
                for name, loc in chunk:
                    self.build(name, loc)

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
        from ..catalogs import extract

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
        from .translations import TranslationContext

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
        from ..catalogs import extract

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

    # --- suppressions and the final list -------------------------------------------------------

    def finish(self) -> list[Finding]:
        sups: list[Suppression] = []
        for src in self.files.loaded():
            if src.path.suffix in SOURCE_SUFFIXES:
                sups += suppressions(src)
        by_target: dict[tuple[str | None, int | None], list[Suppression]] = {}
        for s in sups:
            s.file = str(Path(s.file).resolve())
            by_target.setdefault((s.file, s.target), []).append(s)
        kept = []
        for f in self.findings:
            hit = next((s for s in by_target.get((f.file, f.line), []) if f.rule in s.rules), None)
            if hit is not None:
                hit.used.add(f.rule)
            else:
                kept.append(f)
        meta = RULES_BY_ID["unused-suppression"]
        if meta.id in self.cfg.active:
            for s in sups:
                for rule in s.rules:
                    if rule in s.used:
                        continue
                    known = RULES_BY_ID.get(rule)
                    if known is None:
                        msg = f"suppression names an unknown rule {rule!r}"
                    elif rule not in self.cfg.active or (
                            known.layer in ("rendered", "build") and s.file not in self.rendered_files):
                        continue  # the rule did not run here, so it cannot have matched
                    else:
                        msg = f"suppression of {rule} matches no finding on line {s.target}"
                    kept.append(self.finding(meta, Hit(msg, s.file, s.line), None, None))
        return _dedupe(kept)


def _catalog_key(msg: Any) -> Any:
    """A Babel message's key in :attr:`tplkit.i18n.Catalog.messages` (context included)."""
    if isinstance(msg.id, str):
        return i18n.message_key(msg.id, msg.context)
    return (i18n.message_key(msg.id[0], msg.context), msg.id[1])


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per defect: the same problem found in several locales (or templates sharing
    a layout) is reported once, its ``locale`` listing every affected locale ("de, en").

    Sorted first, so the kept one does not depend on the order the findings arrived in.
    """
    kept: dict[tuple, Finding] = {}
    locales: dict[tuple, list[str]] = {}
    for f in sorted(findings, key=lambda f: tuple("" if v is None else str(v).zfill(8)
                                                  if isinstance(v, int) else v
                                                  for v in dataclasses.astuple(f))):
        key = (f.rule, f.file, f.line, f.column, f.message) if f.file else \
            (f.rule, f.message, f.template)
        kept.setdefault(key, f)
        for loc in (f.locale or "").split(", "):
            if loc and loc not in locales.setdefault(key, []):
                locales[key].append(loc)
    out = [dataclasses.replace(f, locale=", ".join(sorted(locales[k])) or None)
           if len(locales.get(k, [])) > 1 else f for k, f in kept.items()]
    return sorted(out, key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.rule))
