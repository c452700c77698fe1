"""Message extraction from templates (Babel + Jinja's i18n extractor).

The same options as the build pass (``trimmed``), so extracted msgids match what the
templates look up at compile time.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file

SUFFIXES = (".mjml", ".txt")
OPTIONS = {"trimmed": "true"}


def template_files(template_dirs: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(folder, file) for every template source, shared ``_layouts``/``_components`` included.

    (Babel's ``extract_from_dir`` skips folders starting with ``_``, so we walk ourselves.)
    """
    out = []
    for d in template_dirs:
        d = Path(d)
        out += [(d, f) for f in sorted(d.rglob("*")) if f.suffix in SUFFIXES and f.is_file()]
    return out


def extract(template_dirs: Iterable[Path], *, project: str = "tplkit",
            version: str = "0.1") -> Catalog:
    """A template catalog (``.pot``) of every message in the given template folders."""
    catalog = Catalog(project=project, version=version, charset="utf-8")
    for d, f in template_files(template_dirs):
        rel = f.relative_to(d).as_posix()
        for lineno, message, comments, context in extract_from_file(
                "jinja2", str(f), options=OPTIONS, strip_comment_tags=True):
            catalog.add(message, None, [(f"templates/{rel}", lineno)],
                        auto_comments=comments, context=context)
    return catalog
