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

from ..config import Layout


@dataclass(frozen=True)
class Fingerprint:
    """``version`` changes when any watched file changes; ``settings`` only when the config,
    a catalog, or the set of files changes (then a fresh Kit is needed: a changed template
    is recompiled by ``Kit(auto_reload=True)`` itself)."""

    version: str
    settings: str


def fingerprint(root: Path | None) -> Fingerprint:
    """Hash names, sizes and modification times of the watched files
    (:meth:`~tplkit.config.Layout.watched_files`; cheap: stat only)."""
    every = hashlib.sha1()
    settings = hashlib.sha1()
    templates, config = Layout(root).watched_files()
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
