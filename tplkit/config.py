"""Project configuration: where templates and catalogs live, and the brand.

A project is a folder with ``templates/``, ``locales/`` and a config file: ``tplkit.toml``
or a ``[tool.tplkit]`` table in ``pyproject.toml``. Its settings are merged over the
built-in defaults (``default_config.toml``), key by key.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, ConfigTomlError, TplkitError
from .hours import SupportHours
from .safety import confine, real_roots
from .settings import check_settings, merge_brand
from .tomlpos import read_toml, toml_line

PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_root() -> Path:
    """Folder holding the built-in ``templates/`` and ``locales/``.

    In a wheel they are installed inside the package; in a source checkout they sit next to it.
    """
    if (PACKAGE_DIR / "templates").is_dir():
        return PACKAGE_DIR
    return PACKAGE_DIR.parent


def _merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_toml(path: Path, root: Path) -> dict:
    return read_toml(confine(path, [root]), ConfigError, what="config", syntax_cls=ConfigTomlError)


def _brand_line(file: str | None, key: str, sub: str = "") -> int | None:
    """Line of a brand setting (``key`` in ``[brand]``, or in ``[brand.<sub>]``) in the
    config file, for errors found after parsing."""
    if not file:
        return None
    table = "tool.tplkit.brand" if Path(file).name == "pyproject.toml" else "brand"
    return toml_line(file, f"{table}.{sub}" if sub else table, key)


@dataclass(frozen=True)
class Brand:
    """Brand settings: identity, colours, contacts, support hours and the response-time SLA."""

    company_name: str
    website: str = ""
    logo_url: str = ""
    logo_alt: str = ""
    primary_color: str = "#1d4ed8"
    button_text_color: str = "#ffffff"
    text_color: str = "#1f2937"
    muted_color: str = "#6b7280"
    background_color: str = "#f3f4f6"
    phone: str = ""
    email: str = ""
    address: str = ""
    kb_url: str = ""
    sla_hours: int = 24
    currency: str = "EUR"
    support_hours: Mapping[str, Any] = field(default_factory=dict)
    social: Mapping[str, str] = field(default_factory=dict)
    # icons of the social links: a URL with {network} (e.g. https://shop.example/icons/{network}.png);
    # empty: text links only (never a third-party host by default)
    social_icons: str = ""
    # a system font stack: no web-font request unless web_font_url names a stylesheet
    font_family: str = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
    web_font_url: str = ""
    # dark mode (prefers-color-scheme: dark; Outlook.com's [data-ogsc]); logo_dark_url swaps the logo
    dark_background_color: str = "#111827"
    dark_card_color: str = "#1f2937"
    dark_text_color: str = "#e5e7eb"
    dark_muted_color: str = "#9ca3af"
    dark_link_color: str = "#93c5fd"
    logo_dark_url: str = ""
    response_hours: Mapping[str, int] = field(default_factory=dict)  # per request category

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], file: str | None = None) -> Brand:
        """A brand from a ``[brand]`` table, every value checked (see :mod:`tplkit.settings`)."""
        prefix = ("tool", "tplkit") if file and Path(file).name == "pyproject.toml" else ()
        check_settings({"brand": raw}, file, prefix)
        if not raw.get("company_name"):
            raise ConfigError("brand.company_name is required", file=file,
                              line=_brand_line(file, "company_name") or toml_line(
                                  file, "tool.tplkit.brand" if prefix else "brand") if file else None)
        return cls(**raw)


CONFIG_FILES = ("tplkit.toml", "pyproject.toml")
SHARED_DIRS = ("_layouts", "_components")
_SKIP_DIRS = {"__pycache__", "node_modules"}


def walk(folder: Path, roots: tuple[Path, ...] | None = None) -> Iterator[Path]:
    """Every regular file under ``folder`` (sorted), skipping hidden files and folders,
    editor backups (``name~``), ``__pycache__`` and ``node_modules``; with ``roots`` (real
    paths), also symlinks out of them (a link to ``/`` must not make the preview's watcher
    walk the machine; reading such a file is refused anyway, by :func:`tplkit.safety.confine`)."""
    if not folder.is_dir():
        return
    for child in sorted(folder.iterdir()):
        name = child.name
        if name.startswith(".") or name.endswith("~") or name in _SKIP_DIRS:
            continue
        if roots is not None and child.is_symlink():
            try:
                confine(child, roots)
            except TplkitError:
                continue
        if child.is_dir():
            yield from walk(child, roots)
        elif child.is_file():
            yield child


@dataclass(frozen=True)
class Layout:
    """Which files make a project: the one answer used by the build (its inputs), the preview
    (what it watches), the kit (what a compiled template depends on) and lint (what it reads).

    It needs only the project folder (``None``: the built-in library alone), not its
    settings, so it keeps working while a config file is broken.
    """

    root: Path | None

    @property
    def builtin(self) -> Path:
        """The built-in library's folder (``templates/``, ``locales/``)."""
        return builtin_root()

    @property
    def roots(self) -> list[tuple[str, Path]]:
        """``(label, folder)`` of the project (if any), then the built-in library."""
        own = [("project", self.root)] if self.root is not None else []
        return [*own, ("builtin", self.builtin)]

    @property
    def template_dirs(self) -> list[Path]:
        """Search path for templates: the project's first, then the built-ins."""
        return [base / "templates" for _, base in self.roots if (base / "templates").is_dir()
                or base == self.builtin]

    @property
    def locale_dirs(self) -> list[Path]:
        """Catalog folders, built-ins first so that the project's messages override them."""
        return [base / "locales" for _, base in reversed(self.roots)
                if base == self.builtin or (base / "locales").is_dir()]

    @property
    def own_root(self) -> Path:
        """The folder whose files are this project's own (the built-ins when there is none)."""
        return self.root if self.root is not None else self.builtin

    @property
    def own_template_dirs(self) -> list[Path]:
        """The project's own template folder (what lint checks and i18n extracts from)."""
        return [self.own_root / "templates"]

    @property
    def own_locale_dirs(self) -> list[Path]:
        """The project's own catalog folder, if it exists."""
        d = self.own_root / "locales"
        return [d] if d.is_dir() else []

    def shared_files(self, *, own: bool = False) -> list[Path]:
        """Every layout and component file (``_layouts/``, ``_components/``) on the search
        path, or only the project's own with ``own=True``."""
        dirs = self.own_template_dirs if own else self.template_dirs
        return [f for d in dirs for sub in SHARED_DIRS for f in walk(d / sub)]

    def config_files(self) -> list[Path]:
        """The project's config files that exist (either may hold the settings)."""
        if self.root is None:
            return []
        return [self.root / name for name in CONFIG_FILES if (self.root / name).is_file()]

    def dependencies(self, template_files: list[Path]) -> list[Path]:
        """What a compiled template depends on: its own files plus every shared file."""
        return [*template_files, *self.shared_files()]

    def watched_dirs(self, name: str, folder: Path, locale: str) -> list[Path]:
        """Folders whose listing matters for a template in a locale: a file added there (a
        project template or layout overriding a built-in one, a new catalog) invalidates it."""
        dirs = [*self.template_dirs, folder]
        for d in self.template_dirs:
            dirs += [d / name, *(d / sub for sub in SHARED_DIRS)]
        locale_dirs = list(self.locale_dirs)
        if self.root is not None:  # may not exist yet: a catalog can be added later
            locale_dirs.append(self.root / "locales")
            dirs += [self.root / "locales", self.root / "locales" / locale]
        dirs += [d / locale / "LC_MESSAGES" for d in locale_dirs]
        return dirs

    def input_files(self, config_file: Path | None) -> list[tuple[str, Path]]:
        """Every file a build depends on, as (stable label, path): templates, layouts,
        components, catalogs and configuration, the project's and the built-in ones."""
        out = []
        for label, base in self.roots:
            for sub in ("templates", "locales"):
                root = base / sub
                out += [(f"{label}:{sub}/{p.relative_to(root).as_posix()}", p) for p in walk(root)]
        if config_file is not None:
            out.append(("project:config", config_file))
        out.append(("builtin:default_config.toml", PACKAGE_DIR / "default_config.toml"))
        return out

    def watched_files(self) -> tuple[list[Path], list[Path]]:
        """``(templates, settings)`` for the preview: the project's and built-in template
        files, and the catalogs plus the project's config files."""
        templates: list[Path] = []
        settings: list[Path] = []
        real = real_roots(base for _, base in self.roots)
        for _, base in self.roots:
            templates += walk(base / "templates", real)
            settings += [f for f in walk(base / "locales", real) if f.suffix in (".po", ".pot")]
        return templates, settings + self.config_files()


@dataclass(frozen=True)
class Project:
    """Where a kit finds things, and its merged settings."""

    root: Path | None              # the user project, or None for built-ins only
    config_file: Path | None
    settings: Mapping[str, Any]
    brand: Brand

    @property
    def layout(self) -> Layout:
        """Which files make this project (see :class:`Layout`)."""
        return Layout(self.root)

    @property
    def template_dirs(self) -> list[Path]:
        """Search path for templates: the project's first, then the built-ins."""
        return self.layout.template_dirs

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders whose files this project may read: its own and the built-in library
        (every file is checked with :func:`tplkit.safety.confine` against these)."""
        return tuple(base for _, base in self.layout.roots)

    @property
    def locale_dirs(self) -> list[Path]:
        """Catalog folders, built-ins first so that the project's messages override them."""
        return self.layout.locale_dirs

    @property
    def default_locale(self) -> str:
        return str(self.settings.get("default_locale", "en"))


def _merge_settings(settings: dict, raw: Mapping[str, Any], file: Path | None) -> dict:
    """Check ``raw`` and merge it over ``settings``; ``[brand]`` table by table
    (:func:`tplkit.settings.merge_brand`)."""
    prefix = ("tool", "tplkit") if file is not None and file.name == "pyproject.toml" else ()
    check_settings(raw, file, prefix)
    merged = _merge({k: v for k, v in settings.items() if k != "brand"},
                    {k: v for k, v in raw.items() if k != "brand"})
    merged["brand"] = merge_brand(settings.get("brand", {}), raw.get("brand", {}))
    return merged


def find_config(root: Path) -> Path | None:
    """``tplkit.toml``, else a ``pyproject.toml`` with a ``[tool.tplkit]`` table, else None."""
    cfg = root / "tplkit.toml"
    if cfg.is_file():
        return cfg
    if cfg.exists():
        raise ConfigError("not a file", file=cfg)
    py = root / "pyproject.toml"
    if py.is_file() and "tplkit" in _read_toml(py, root).get("tool", {}):
        return py
    return None


def load_project(root: str | os.PathLike | None = None, *,
                 overrides: Mapping[str, Any] | None = None) -> Project:
    """Read the built-in defaults and, if given, the project at ``root``."""
    settings = _read_toml(PACKAGE_DIR / "default_config.toml", PACKAGE_DIR)
    cfg_path = None
    path = None
    if root is not None:
        path = Path(root).expanduser().resolve()
        if not path.is_dir():
            raise ConfigError(f"project folder does not exist: {path}")
        cfg_path = find_config(path)
        if cfg_path is not None:
            raw = _read_toml(cfg_path, path)
            if cfg_path.name == "pyproject.toml":
                raw = raw["tool"]["tplkit"]
            settings = _merge_settings(settings, raw, cfg_path)
        elif not (path / "templates").is_dir():
            raise ConfigError("not a tplkit project: no tplkit.toml, no [tool.tplkit] in "
                              "pyproject.toml and no templates/ folder", file=path)
    if overrides:
        settings = _merge_settings(settings, overrides, None)
    brand = Brand.from_dict(settings.get("brand", {}), file=str(cfg_path) if cfg_path else None)
    # support hours and response promises are checked as a whole, now (file and line)
    SupportHours.from_brand(brand, str(cfg_path) if cfg_path else None)
    return Project(root=path, config_file=cfg_path, settings=settings, brand=brand)
