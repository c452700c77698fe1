"""Where a kit's templates come from: the one seam between :class:`~tplkit.Kit` and
"compile from the source tree" (:class:`SourceTree`) or "load a prebuilt build"
(:class:`BuildSource`, made by ``tplkit build``).

A source lists and describes templates and produces a :class:`~tplkit.compiled.Compiled` for
a (template, locale); the kit only negotiates locales, caches and renders.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import i18n
from .config import Project
from .errors import TplkitError
from .safety import confined_loader
from .schema import Schema
from .store import Store, TemplateInfo

if TYPE_CHECKING:
    from .buildpass import BuildEnvironment
    from .compiled import Compiled

# The compiler (compile, buildpass, codegen) and the build reader are imported when first
# used, not with the kit: `import tplkit` and `tplkit --help` stay light, and a worker that
# loads a build never imports the compiler.

Fingerprint = tuple[int, int, int] | None


class TemplateSource(Protocol):
    """What a kit needs from where its templates live."""

    def names(self) -> list[str]:
        """Every template name."""
        ...

    def template(self, name: str) -> TemplateInfo:
        """A template's manifest (raises :class:`~tplkit.TemplateNotFound`)."""
        ...

    def environment(self, locale: str) -> BuildEnvironment:
        """The build-pass environment for ``locale`` (sources only)."""
        ...

    def compile(self, name: str, locale: str, *, stale: Compiled | None = None,
                keep: bool = False) -> Compiled:
        """The compiled template (``stale``: the cached one being replaced, if any; ``keep``:
        with what every compile stage produced, see :mod:`tplkit.stages`)."""
        ...


class SourceTree:
    """Templates compiled from a project's files layered over the built-in library."""

    def __init__(self, project: Project, schema: Callable[[TemplateInfo], Schema]) -> None:
        self.project = project
        self.store = Store(project.template_dirs, project.layout.builtin / "templates", project.roots)
        self._schema = schema
        self._envs: dict[str, BuildEnvironment] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return self.store.names()

    def template(self, name: str) -> TemplateInfo:
        return self.store.get(name)

    def environment(self, locale: str) -> BuildEnvironment:
        """One sandboxed build-pass environment per locale (a new one when its catalog changed)."""
        # Jinja and the compiler load on first use (here and below): `import tplkit` stays
        # light, and a kit rendering from a build never imports compile (mjml, premailer)
        from jinja2 import ChoiceLoader, PrefixLoader

        from .buildpass import BuildEnvironment

        with self._lock:
            roots = self.project.roots   # every file read is confined to these (safety.confine)
            catalog = i18n.load_catalog(locale, self.project.locale_dirs, roots)
            env = self._envs.get(locale)
            if env is None or env.catalog is not catalog:
                dirs = [str(d) for d in self.project.template_dirs]
                builtin = confined_loader(str(self.project.layout.builtin / "templates"), roots)
                loader = ChoiceLoader([confined_loader(dirs, roots), PrefixLoader({"builtin": builtin})])
                env = self._envs[locale] = BuildEnvironment(loader, catalog)
            return env

    def compile(self, name: str, locale: str, *, stale: Compiled | None = None,
                keep: bool = False) -> Compiled:
        from .compile import compile_template

        info = self.template(name)
        env = self.environment(locale)
        if stale is not None and env.cache is not None:
            # Jinja's own cache checks only the files it loaded, not a new override that now
            # shadows one of them
            env.cache.clear()
        # fingerprints taken *before* compiling: a change made meanwhile is seen next time
        layout = self.project.layout
        files = fingerprints([*layout.dependencies(info.source_files()),
                              *layout.watched_dirs(name, info.folder, locale),
                              *i18n.catalog_files(locale, layout.locale_dirs)])
        return compile_template(env, info, self.project.brand, locale, self._schema(info),
                                files=files, keep=keep)


class BuildSource:
    """Templates loaded from a prebuilt folder (no template files, mjml-python or premailer)."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest

    def names(self) -> list[str]:
        return sorted(self.manifest["templates"])

    def template(self, name: str) -> TemplateInfo:
        from .build import template_info  # a build's reader: loaded for a kit from a build only

        return template_info(self.folder, self.manifest, name)

    def environment(self, locale: str) -> BuildEnvironment:
        raise self.sources_needed("compiling")

    def compile(self, name: str, locale: str, *, stale: Compiled | None = None,
                keep: bool = False) -> Compiled:
        if keep:
            raise self.sources_needed("keeping the compile stages")
        if locale not in self.manifest["templates"].get(name, {}).get("locales", ()):
            self.template(name)  # TemplateNotFound for an unknown name
            raise TplkitError(f"the build {self.folder} has no {name}/{locale}",
                              template=name, locale=locale)
        from .build import load_compiled  # (as above)

        return load_compiled(self.folder, name, locale)

    def sources_needed(self, what: str) -> TplkitError:
        """The error for ``what`` (an operation that needs the template files) on a build."""
        return TplkitError(f"{what} needs the template sources; this kit was loaded from the "
                           f"build {self.folder}")


def fingerprint(path: str | os.PathLike) -> Fingerprint:
    """What tells a changed file apart: mtime, size and inode (an atomic replace changes the
    inode even within the file system's timestamp granularity); None for a missing file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def fingerprints(paths: Iterable[str | os.PathLike]) -> dict[str, Fingerprint]:
    """:func:`fingerprint` of each path, by path."""
    return {str(p): fingerprint(p) for p in paths}


def is_stale(compiled: Compiled) -> bool:
    """Has any file (or watched folder) of a compiled template changed since it was compiled?"""
    return any(fingerprint(path) != fp for path, fp in compiled.files.items())
