"""Prebuilt artefacts: ``tplkit build`` and :meth:`tplkit.Kit.from_build`.

A build is a folder holding every template x locale compiled once (the four runtime sources,
the placeholder schema with brand-resolved defaults, headers and the plural rule) plus
``tplkit-build.json``: format version, tplkit version, a SHA-256 of every input (templates,
layouts, components, catalogs, configuration) and a SHA-256 of every artefact. Worker
processes load it with ``Kit.from_build(DIR)`` and render without importing mjml-python or
premailer, and without the template sources.

Loading refuses, with a :class:`~tplkit.TplkitError` that says why, a build of another
format or tplkit version, a build whose artefacts do not match their recorded hashes
(edited or truncated), and a build whose recorded inputs changed since (stale) when those
inputs are present on this machine. The hashes detect accidents and stale builds; they are
not a signature (anyone who can write the folder can rewrite the hashes too), and a build
is rendered in the same sandbox as a source template either way.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import i18n
from .compiled import Compiled
from .config import load_project
from .errors import TemplateNotFound, TplkitError, WriteError
from .fsutil import atomic_write, umask
from .safety import check_template_headers, confine, real_roots
from .schema import Money, Placeholder, Schema, coerce
from .store import NAME_RE, TemplateInfo
from .version import __version__

FORMAT_VERSION = 1
MANIFEST = "tplkit-build.json"


class BuildError(TplkitError):
    """A build cannot be written, or a build folder cannot be used (foreign, tampered, stale)."""


# --- inputs ----------------------------------------------------------------------------------

def inputs_hash(project) -> str:
    """SHA-256 over the labels and contents of the project's input files
    (:meth:`~tplkit.config.Layout.input_files`; paths do not matter)."""
    h = hashlib.sha256()
    roots = real_roots(project.roots)
    for label, path in project.layout.input_files(project.config_file):
        data = confine(path, roots).read_bytes()
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _version() -> str:
    return __version__


# --- serialisation ---------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    """A coerced placeholder value in a JSON form that :func:`~tplkit.schema.coerce` reads back."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _placeholder_to_json(ph: Placeholder) -> dict:
    d = {f.name: getattr(ph, f.name) for f in dataclasses.fields(ph)}
    d["choices"] = list(ph.choices)
    d["default"] = _jsonable(ph.default)
    d["example"] = _jsonable(ph.example)
    d["fields"] = [_placeholder_to_json(f) for f in ph.fields]   # an object's, or its items'
    return d


def _placeholder_from_json(d: Mapping) -> Placeholder:
    return Placeholder(**{**d, "choices": tuple(d.get("choices", ())),
                          "fields": tuple(_placeholder_from_json(f) for f in d.get("fields", ()))})


def _schema_to_json(schema: Schema) -> dict:
    phs = {name: _placeholder_to_json(ph) for name, ph in schema.placeholders.items()}
    return {"placeholders": phs, "defaults": {k: _jsonable(v) for k, v in schema.defaults.items()}}


def _schema_from_json(data: Mapping) -> Schema:
    phs = {name: _placeholder_from_json(d) for name, d in data["placeholders"].items()}
    return Schema(phs, {k: coerce(phs[k], v) for k, v in data["defaults"].items()})


# One Schema (and so one generated validator) for the locales of a template: the same
# placeholders, the same code. Keyed by the schema's JSON; gone with the last Compiled using it.
_SCHEMAS: weakref.WeakValueDictionary[str, Schema] = weakref.WeakValueDictionary()


def _shared_schema(data: Mapping) -> Schema:
    key = json.dumps(data, sort_keys=True)
    schema = _SCHEMAS.get(key)
    if schema is None:
        schema = _SCHEMAS[key] = _schema_from_json(data)
    return schema


def _entry_name(template: str, locale: str) -> str:
    return f"compiled/{template}.{locale}.json"


# --- writing ---------------------------------------------------------------------------------

def write_build(kit, out_dir: str | os.PathLike, *, force: bool = False) -> dict:
    """Compile every template x locale of ``kit`` and write a build to ``out_dir``.

    Every compile error is collected (one broken template does not hide the others) and
    reported together; then nothing is written. The build is assembled in a temporary folder
    next to ``out_dir`` and renamed into place, so a crash never leaves a half-written build.
    Returns the manifest.
    """
    out = Path(out_dir)
    if out.exists() and not force:
        raise BuildError("the output folder exists; use --force to replace it", file=str(out))
    if out.exists() and not (out / MANIFEST).is_file():
        raise BuildError(f"{out} exists and is not a tplkit build; refusing to replace it",
                         file=str(out))
    digest = inputs_hash(kit.project)
    locales = kit.locales()
    entries: dict[str, bytes] = {}
    templates: dict[str, Any] = {}
    errors: list[TplkitError] = []
    for name in kit.template_names():
        try:
            info = kit.template(name)
        except TplkitError as e:
            errors.append(e)
            continue
        templates[name] = {"description": info.description, "category": info.category,
                           "tags": list(info.tags), "samples": _jsonable_samples(info.samples),
                           "samples_by_locale": {loc: _jsonable_samples(by_sample) for loc, by_sample
                                                 in info.localized_samples.items()},
                           "locales": []}
        for loc in locales:
            try:
                compiled = kit.compile(name, loc)
                catalog = kit.environment(loc).catalog
            except TplkitError as e:
                errors.append(e)
                continue
            data = {"template": name, "locale": loc, "sources": dict(compiled.sources),
                    "schema": _schema_to_json(compiled.schema), "headers": dict(compiled.headers),
                    "plural": {"expr": catalog.plural_expr, "n": catalog.num_plurals},
                    "origins": _origins_to_json(compiled.origins, kit.project.root),
                    "untranslated": list(compiled.untranslated)}
            entries[_entry_name(name, loc)] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
            templates[name]["locales"].append(loc)
    if errors:
        lines = "\n  ".join(str(e) for e in errors)
        raise BuildError(f"{len(errors)} template(s) failed to compile; no build written:\n  {lines}")
    manifest = {
        "format": FORMAT_VERSION, "tplkit": _version(), "inputs_sha256": digest,
        "project": str(kit.project.root) if kit.project.root is not None else None,
        "built_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "default_locale": kit.default_locale, "locales": locales,
        "brand": dataclasses.asdict(kit.brand), "templates": templates,
        "artifacts": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(entries.items())},
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        os.chmod(tmp, 0o777 & ~umask())   # mkdtemp's 0o700 would make the build private
    except OSError as e:
        raise BuildError(f"cannot write the build: {e.strerror or e}", file=str(out)) from None
    try:
        for path, blob in entries.items():
            atomic_write(tmp / path, blob)
        atomic_write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
        if out.exists():  # --force: swap, then drop the old build
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "build")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except (OSError, WriteError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        why = e.__cause__ if isinstance(e, WriteError) else e
        raise BuildError(f"cannot write the build: {getattr(why, 'strerror', None) or why}",
                         file=str(out)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _jsonable_samples(samples: Mapping[str, Mapping[str, Any]]) -> dict:
    return {k: {n: _jsonable(v) for n, v in s.items()} for k, s in samples.items()}


# --- loading ---------------------------------------------------------------------------------

def read_manifest(build_dir: str | os.PathLike, *, check_sources: bool = True) -> dict:
    """The manifest of a build, after checking format, version, artefact hashes and (when
    its inputs are on this machine and ``check_sources``) that it is not stale."""
    root = Path(build_dir)
    path = root / MANIFEST
    try:
        manifest = json.loads(confine(path, [root]).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"not a tplkit build (no {MANIFEST}); create one with "
                         f"'tplkit build -o {root}'", file=str(root)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BuildError(f"unreadable build manifest: {e}", file=str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BuildError(f"build format {manifest.get('format') if isinstance(manifest, dict) else '?'!r} "
                         f"is not supported by this tplkit (format {FORMAT_VERSION}); rebuild it",
                         file=str(path))
    if manifest.get("tplkit") != _version():
        raise BuildError(f"build made by tplkit {manifest.get('tplkit')}, this is tplkit "
                         f"{_version()}; rebuild it", file=str(path))
    _check_names(manifest, path)
    roots = real_roots([root])
    for rel, digest in manifest.get("artifacts", {}).items():
        entry = root / rel
        try:
            actual = hashlib.sha256(confine(entry, roots).read_bytes()).hexdigest()
        except (OSError, TplkitError):
            actual = None
        if actual != digest:
            raise BuildError(f"build artefact {rel} is missing or does not match its recorded "
                             f"hash (edited or corrupted build); rebuild it", file=str(entry))
    if check_sources:
        _check_fresh(manifest, path)
    return manifest


def _check_names(manifest: Mapping, path: Path) -> None:
    """Template names, locales and artefact paths stay inside the build folder."""
    locale_re = re.compile(r"^[A-Za-z0-9_@-]+$")
    try:
        ok = all(NAME_RE.match(name) and all(locale_re.match(loc) for loc in t["locales"])
                 for name, t in manifest["templates"].items())
        ok = ok and all(locale_re.match(loc) for loc in manifest["locales"])
        ok = ok and all(re.fullmatch(r"compiled/[a-z0-9-]+\.[A-Za-z0-9_@-]+\.json", rel)
                        for rel in manifest["artifacts"])
    except (KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise BuildError("the build manifest is malformed (names, locales or artefact paths); "
                         "rebuild it", file=str(path))


def _check_fresh(manifest: Mapping, path: Path) -> None:
    recorded = manifest.get("project")
    if recorded is not None and not Path(recorded).is_dir():
        return  # built elsewhere: the sources are not here to compare with
    project = load_project(recorded)
    if inputs_hash(project) != manifest.get("inputs_sha256"):
        where = recorded or "the built-in templates"
        raise BuildError(f"stale build: the templates, catalogs or configuration of {where} "
                         f"changed since it was built; run 'tplkit build' again", file=str(path))


def load_compiled(build_dir: str | os.PathLike, template: str, locale: str):
    """One compiled template from a build (artefact hashes were checked when it was opened)."""
    path = Path(build_dir) / _entry_name(template, locale)
    try:
        data = json.loads(confine(path, [build_dir]).read_text(encoding="utf-8"))
        schema = _shared_schema(data["schema"])
        plural = i18n.Catalog(locale, plural_expr=data["plural"]["expr"],
                              num_plurals=data["plural"]["n"]).plural_index
        return Compiled(template=template, locale=locale, schema=schema,
                        sources=dict(data["sources"]),
                        origins=_origins_from_json(data.get("origins", {})),
                        headers=check_template_headers(data["headers"], file=path, template=template),
                        _plural=plural, untranslated=tuple(data.get("untranslated", ())))
    except TplkitError as e:
        e.file = e.file or str(path)
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise BuildError(f"unusable build artefact: {type(e).__name__}: {e}", file=str(path),
                         template=template, locale=locale) from None


def _origins_to_json(origins: Mapping[str, Mapping[int, list[tuple[str, int]]]],
                     root: Path | None) -> dict[str, dict[str, list[list[Any]]]]:
    """Compiled.origins for an artefact: files relative to the project (a build is deployed
    elsewhere); a built-in template's file keeps its path."""
    def rel(file: str) -> str:
        path = Path(file)
        if root is not None and path.is_relative_to(root):
            return path.relative_to(root).as_posix()
        return file
    return {part: {str(line): [[rel(f), n] for f, n in sites] for line, sites in per.items()}
            for part, per in origins.items()}


def _origins_from_json(data: Mapping[str, Any]) -> dict[str, dict[int, list[tuple[str, int]]]]:
    """Compiled.origins from an artefact (missing in a build from before it was recorded)."""
    return {str(part): {int(line): [(str(f), int(n)) for f, n in sites]
                        for line, sites in per.items()} for part, per in data.items()}


def template_info(build_dir: str | os.PathLike, manifest: Mapping, name: str):
    """A TemplateInfo (description, samples, placeholders, headers) for a built template."""
    t = manifest["templates"].get(name) if isinstance(name, str) else None
    if t is None:
        raise TemplateNotFound(f"no template named {str(name)[:100]!r} in the build {build_dir}",
                               template=str(name)[:100])
    entry = Path(build_dir) / "compiled"
    try:
        placeholders, headers = {}, {}
        if t["locales"]:
            entry = Path(build_dir) / _entry_name(name, t["locales"][0])
            data = json.loads(confine(entry, [build_dir]).read_text(encoding="utf-8"))
            placeholders = _schema_from_json(data["schema"]).placeholders
            headers = check_template_headers(data["headers"], file=entry, template=name)
        return TemplateInfo(name=name, folder=Path(build_dir) / "compiled", description=t["description"],
                            category=t["category"], tags=tuple(t["tags"]), placeholders=placeholders,
                            samples=t["samples"], headers=headers, builtin=False,
                            localized_samples=t.get("samples_by_locale", {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise BuildError(f"unusable build artefact: {type(e).__name__}: {e}", file=str(entry),
                         template=name) from None

