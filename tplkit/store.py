"""Find templates on disk and read their manifests.

A template is a folder ``templates/<name>/`` holding ``template.toml`` (the manifest),
``subject.txt``, ``preheader.txt``, ``body.mjml`` and optionally a hand-written ``body.txt``.
Folders whose names start with ``_`` hold shared layouts and components. A project's
template shadows a built-in one of the same name.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ManifestTomlError, TemplateNotFound, TemplateSourceError
from .safety import check_template_headers, confine, roots_of
from .schema import Placeholder, parse_placeholders
from .tomlpos import read_toml, toml_line

PARTS = ("subject", "preheader", "html", "text")
PART_FILES = {"subject": "subject.txt", "preheader": "preheader.txt", "html": "body.mjml",
              "text": "body.txt"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")   # a folder name on every file system
# the top-level keys of template.toml, and what each holds (docs/reference.md)
MANIFEST_KEYS: dict[str, str] = {
    "description": "one line: what the email is for",
    "category": "a word to group templates by (tplkit list)",
    "tags": "a list of words",
    "placeholders": "[placeholders.<name>] tables: the values each email gets",
    "samples": "[samples.<name>] tables of placeholder values (default: [samples.default])",
    "samples_by_locale": "[samples_by_locale.<locale>.<sample>]: values that differ per language",
    "headers": "[headers]: extra email headers of this template (no routing headers)",
}


@dataclass(frozen=True)
class TemplateInfo:
    """A template's manifest and files (everything but the compiled output)."""

    name: str
    folder: Path
    description: str
    category: str
    tags: tuple[str, ...]
    placeholders: Mapping[str, Placeholder]
    samples: Mapping[str, Mapping[str, Any]]
    headers: Mapping[str, str] = field(default_factory=dict)
    builtin: bool = True
    # locale -> sample name -> the values that differ in that language
    localized_samples: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def sample(self) -> dict[str, Any]:
        """The first (or ``default``) sample context: a dict that renders."""
        if "default" in self.samples:
            return dict(self.samples["default"])
        return dict(next(iter(self.samples.values()))) if self.samples else {}

    def sample_for(self, locale: str | None, name: str | None = None) -> dict[str, Any]:
        """Sample ``name`` (default: :attr:`sample`) with its values in ``locale``'s language
        where the manifest gives them (``[samples_by_locale.<locale>.<sample>]``; ``pt_BR``
        falls back to ``pt``)."""
        base = dict(self.samples[name]) if name is not None else self.sample
        if name is None:
            name = "default" if "default" in self.samples else next(iter(self.samples), "default")
        if locale:
            loc = str(locale).replace("-", "_")
            for key in (loc, loc.split("_")[0]):
                if key in self.localized_samples:
                    return {**base, **self.localized_samples[key].get(name, {})}
        return base

    def file(self, part: str) -> Path:
        return self.folder / PART_FILES[part]

    @property
    def manifest(self) -> Path:
        return self.folder / "template.toml"

    def has_text_body(self) -> bool:
        return self.file("text").is_file()

    def source_files(self) -> list[Path]:
        files = [self.manifest] + [self.file(p) for p in PARTS]
        return [f for f in files if f.is_file()]


class Store:
    """Layered template folders: the first folder that has a template wins."""

    def __init__(self, dirs: list[Path], builtin_dir: Path, roots: Any = None) -> None:
        self.dirs = dirs
        self.builtin_dir = builtin_dir
        self.roots = tuple(roots) if roots is not None else tuple(d.parent for d in [*dirs, builtin_dir])

    def names(self) -> list[str]:
        found: set[str] = set()
        for d in self.dirs:
            if not d.is_dir():
                continue
            for child in d.iterdir():
                if child.is_dir() and NAME_RE.match(child.name) and (child / "template.toml").exists():
                    found.add(child.name)
        return sorted(found)

    def folder(self, name: str) -> Path:
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise TemplateNotFound(f"invalid template name {str(name)[:100]!r}", template=str(name)[:100])
        for d in self.dirs:
            if (d / name / "template.toml").is_file():
                return d / name
            if (d / name / "template.toml").exists():
                raise TemplateSourceError("template.toml is not a file", template=name,
                                          file=d / name / "template.toml")
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TemplateNotFound(f"no template named {name!r}{hint}", template=name)

    def get(self, name: str) -> TemplateInfo:
        folder = self.folder(name)
        return read_manifest(name, folder, builtin=folder.parent == self.builtin_dir, roots=self.roots)


def read_manifest(name: str, folder: Path, *, builtin: bool = False, roots: Any = None) -> TemplateInfo:
    """A template's manifest, read only if its real path lies inside ``roots`` (default: the
    folder holding its ``templates/``)."""
    path = folder / "template.toml"
    real = confine(path, roots if roots is not None else roots_of(path, "templates"), template=name)
    raw = read_toml(real, TemplateSourceError, template=name, what="manifest",
                    syntax_cls=ManifestTomlError)

    def bad(msg: str) -> TemplateSourceError:
        return TemplateSourceError(msg, file=path, template=name)

    unknown = set(raw) - set(MANIFEST_KEYS)
    if unknown:
        err = bad(f"unknown manifest keys: {', '.join(sorted(unknown))}")
        err.line = min((n for k in unknown if (n := toml_line(path, None, k))), default=None)
        raise err
    for part in ("subject", "preheader", "html"):
        if not (folder / PART_FILES[part]).is_file():
            if (folder / PART_FILES[part]).exists():
                raise TemplateSourceError("not a file", file=folder / PART_FILES[part], template=name)
            raise bad(f"missing {PART_FILES[part]}")
    placeholders = parse_placeholders(raw.get("placeholders", {}), file=str(path), template=name)
    samples = raw.get("samples", {})
    if not isinstance(samples, Mapping) or not all(isinstance(v, Mapping) for v in samples.values()):
        raise bad("[samples.<name>] must be tables of placeholder values")
    localized = raw.get("samples_by_locale", {})
    if not isinstance(localized, Mapping) or not all(
            isinstance(v, Mapping) and all(isinstance(x, Mapping) for x in v.values())
            for v in localized.values()):
        raise bad("[samples_by_locale.<locale>.<sample>] must be tables of placeholder values")
    for loc, by_sample in localized.items():
        for sample, values in by_sample.items():
            table = f"samples_by_locale.{loc}.{sample}"
            unknown_ph = sorted(set(values) - set(placeholders))
            if sample not in samples:
                err = bad(f"[{table}]: there is no [samples.{sample}]")
                err.line = toml_line(path, table)
                raise err
            if unknown_ph:
                close = difflib.get_close_matches(unknown_ph[0], list(placeholders), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                err = bad(f"[{table}]: {unknown_ph[0]!r} is not a placeholder of this template{hint}")
                err.line = toml_line(path, table, unknown_ph[0])
                raise err
    headers = check_template_headers(raw.get("headers", {}), file=path, template=name,
                                     line_of=lambda table, key: toml_line(path, table, key))
    return TemplateInfo(name=name, folder=folder, description=str(raw.get("description", "")),
                        category=str(raw.get("category", "")), tags=tuple(raw.get("tags", ())),
                        placeholders=placeholders, samples=samples,
                        headers=headers, builtin=builtin,
                        localized_samples=localized)
