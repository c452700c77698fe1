"""What the preview server watches: a fingerprint of the files a project's emails come from.

Pages poll ``/_version`` (the fingerprint) and reload when it changes, so saving a template,
catalog or config file refreshes every open page. The fingerprint is computed from the
project's folder layout, not from a :class:`~tplkit.Kit`, so that it keeps working while the
config file is broken (and the page can show the config error until it is fixed).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..config import builtin_root

CONFIG_FILES = ("tplkit.toml", "pyproject.toml")
_SKIP_DIRS = {"__pycache__", "node_modules"}


@dataclass(frozen=True)
class Fingerprint:
    """``version`` changes when any watched file changes; ``settings`` only when the config,
    a catalog, or the set of files changes (then a fresh Kit is needed: a changed template
    is recompiled by ``Kit(auto_reload=True)`` itself)."""

    version: str
    settings: str


def _walk(folder: Path):
    """Every regular file under ``folder``, skipping editor temp files and hidden folders."""
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        name = child.name
        if name.startswith(".") or name.endswith("~") or name in _SKIP_DIRS:
            continue
        if child.is_dir():
            yield from _walk(child)
        elif child.is_file():
            yield child


def watched_files(root: Path | None) -> tuple[list[Path], list[Path]]:
    """``(templates, settings)``: the project's and built-in template files, and the
    catalogs plus the project's config files."""
    roots = [builtin_root()] if root is None else [root, builtin_root()]
    templates: list[Path] = []
    settings: list[Path] = []
    for base in roots:
        templates += _walk(base / "templates")
        settings += [f for f in _walk(base / "locales") if f.suffix in (".po", ".pot")]
    if root is not None:
        settings += [root / name for name in CONFIG_FILES if (root / name).is_file()]
    return templates, settings


def fingerprint(root: Path | None) -> Fingerprint:
    """Hash names, sizes and modification times of :func:`watched_files` (cheap: stat only)."""
    every = hashlib.sha1()
    settings = hashlib.sha1()
    templates, config = watched_files(root)
    template_set = set(templates)
    for path in templates + config:
        try:
            st = path.stat()
        except OSError:
            continue
        entry = f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode()
        every.update(entry)
        settings.update(f"{path}\n".encode() if path in template_set else entry)
    return Fingerprint(every.hexdigest()[:16], settings.hexdigest()[:16])
