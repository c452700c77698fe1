"""The ``brand-demo-value`` rule: a project's emails showing the built-in demo company's
contacts, because its ``[brand]`` leaves those keys out (they keep the built-in values)."""
from __future__ import annotations

from collections.abc import Iterable

from ..config import load_project
from ..tomlpos import key_lines, line_of
from .catalogs import ProjectContext
from .model import Hit

# keys that say something about the company (colours and the SLA are style and policy)
DEMO_KEYS = ("website", "logo_url", "logo_alt", "phone", "email", "address", "kb_url",
             "support_hours", "social")


def brand_demo_value(ctx: ProjectContext) -> Iterable[Hit]:
    """A contact or identity key of the project's brand still has the built-in demo value."""
    project = ctx.kit.project
    if project.root is None or project.config_file is None:
        return
    builtin = load_project(None).brand
    prefix = ("tool", "tplkit") if project.config_file.name == "pyproject.toml" else ()
    lines = key_lines(ctx.config.text) if ctx.config is not None else {}
    line = line_of(lines, (*prefix, "brand")) or 1
    kept = [key for key in DEMO_KEYS
            if getattr(project.brand, key) and getattr(project.brand, key) == getattr(builtin, key)]
    if kept:
        yield Hit(f"[brand] leaves out {', '.join(kept)}, so the emails show the built-in demo "
                  f"company's values (e.g. {getattr(builtin, kept[0])!r:.50}); set your own "
                  f"(\"\" or an empty table hides one)", str(project.config_file), line)
