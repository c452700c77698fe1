"""Project configuration: where templates and catalogs live, and the brand.

A project is a folder with ``templates/``, ``locales/`` and a config file: ``tplkit.toml``
or a ``[tool.tplkit]`` table in ``pyproject.toml``. Its settings are merged over the
built-in defaults (``default_config.toml``), key by key.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, toml_error, toml_line

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


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise toml_error(e, path, ConfigError) from None
    except OSError as e:
        raise ConfigError(f"cannot read config: {e.strerror}", file=path) from None


def _brand_line(file: str | None, key: str) -> int | None:
    """Line of a brand setting in the config file, for errors found after parsing."""
    if not file:
        return None
    table = "tool.tplkit.brand" if Path(file).name == "pyproject.toml" else "brand"
    return toml_line(file, table, key)


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
    response_hours: Mapping[str, int] = field(default_factory=dict)  # per request category

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], file: str | None = None) -> "Brand":
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"unknown brand settings: {', '.join(sorted(unknown))}", file=file,
                              line=_brand_line(file, min(unknown)))
        if not raw.get("company_name"):
            raise ConfigError("brand.company_name is required", file=file)
        try:
            sla = int(raw.get("sla_hours", 24))
        except (TypeError, ValueError):
            raise ConfigError("brand.sla_hours must be a whole number of hours", file=file,
                              line=_brand_line(file, "sla_hours")) from None
        if not 1 <= sla <= 24 * 30:
            raise ConfigError("brand.sla_hours must be between 1 and 720", file=file,
                              line=_brand_line(file, "sla_hours"))
        data = dict(raw, sla_hours=sla)
        for key in ("support_hours", "social", "response_hours"):
            if not isinstance(data.get(key, {}), Mapping):
                raise ConfigError(f"brand.{key} must be a table", file=file, line=_brand_line(file, key))
        return cls(**data)


@dataclass(frozen=True)
class Project:
    """Where a kit finds things, and its merged settings."""

    root: Path | None              # the user project, or None for built-ins only
    config_file: Path | None
    settings: Mapping[str, Any]
    brand: Brand

    @property
    def template_dirs(self) -> list[Path]:
        """Search path for templates: the project's first, then the built-ins."""
        dirs = []
        if self.root is not None and (self.root / "templates").is_dir():
            dirs.append(self.root / "templates")
        dirs.append(builtin_root() / "templates")
        return dirs

    @property
    def locale_dirs(self) -> list[Path]:
        """Catalog folders, built-ins first so that the project's messages override them."""
        dirs = [builtin_root() / "locales"]
        if self.root is not None and (self.root / "locales").is_dir():
            dirs.append(self.root / "locales")
        return dirs

    @property
    def default_locale(self) -> str:
        return str(self.settings.get("default_locale", "en"))


def find_config(root: Path) -> Path | None:
    """``tplkit.toml``, else a ``pyproject.toml`` with a ``[tool.tplkit]`` table, else None."""
    cfg = root / "tplkit.toml"
    if cfg.is_file():
        return cfg
    py = root / "pyproject.toml"
    if py.is_file() and "tplkit" in _read_toml(py).get("tool", {}):
        return py
    return None


def load_project(root: str | os.PathLike | None = None, *,
                 overrides: Mapping[str, Any] | None = None) -> Project:
    """Read the built-in defaults and, if given, the project at ``root``."""
    settings = _read_toml(PACKAGE_DIR / "default_config.toml")
    cfg_path = None
    path = None
    if root is not None:
        path = Path(root).expanduser().resolve()
        if not path.is_dir():
            raise ConfigError(f"project folder does not exist: {path}")
        cfg_path = find_config(path)
        if cfg_path is not None:
            raw = _read_toml(cfg_path)
            if cfg_path.name == "pyproject.toml":
                raw = raw["tool"]["tplkit"]
            if "brand" in raw:
                # A project brand replaces the built-in one whole: its emails must never show
                # the demo company's phone, address or social links. Unset style keys fall
                # back to the Brand defaults.
                settings = {k: v for k, v in settings.items() if k != "brand"}
            settings = _merge(settings, raw)
        elif not (path / "templates").is_dir():
            raise ConfigError("not a tplkit project: no tplkit.toml, no [tool.tplkit] in "
                              "pyproject.toml and no templates/ folder", file=path)
    if overrides:
        if "brand" in overrides and "company_name" in overrides["brand"]:
            settings = {k: v for k, v in settings.items() if k != "brand"}
        settings = _merge(settings, overrides)
    brand = Brand.from_dict(settings.get("brand", {}), file=str(cfg_path) if cfg_path else None)
    return Project(root=path, config_file=cfg_path, settings=settings, brand=brand)
