"""Lint configuration from the project's config file::

    [lint]
    select = ["all"]                 # rule ids (default: all)
    ignore = ["typography"]          # rule ids to skip
    severity = { fuzzy = "error", subject-length = "off" }

Unknown rule ids and severities are a :class:`~tplkit.errors.ConfigError` (exit code 2).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .model import SEVERITIES
from .rules import RULES, RULES_BY_ID


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and at which severity."""

    active: frozenset[str] = frozenset(r.id for r in RULES)
    severity: Mapping[str, str] = field(default_factory=dict)

    def severity_of(self, rule: str, default: str) -> str:
        return self.severity.get(rule, default)


def _line(file: Path | None, key: str) -> int | None:
    try:
        text = Path(file).read_text(encoding="utf-8") if file else ""
    except OSError:
        return None
    m = (re.search(rf"^[ \t]*{re.escape(key)}\s*=", text, re.MULTILINE)
         or re.search(r"^[ \t]*\[(tool\.tplkit\.)?lint\]", text, re.MULTILINE))
    return text[:m.start()].count("\n") + 1 if m else None


def load_config(raw: Mapping[str, Any] | None, file: Path | None = None) -> LintConfig:
    """Validate the ``[lint]`` table (every rule id and severity is checked)."""
    raw = raw or {}

    def bad(msg: str, key: str) -> ConfigError:
        return ConfigError(f"[lint] {msg}", file=file, line=_line(file, key))

    if not isinstance(raw, Mapping):
        raise bad("must be a table", "lint")
    unknown_keys = set(raw) - {"select", "ignore", "severity"}
    if unknown_keys:
        raise bad(f"unknown keys: {', '.join(sorted(unknown_keys))} (select, ignore, severity)",
                  min(unknown_keys))

    def ids(key: str, default: list[str]) -> set[str]:
        value = raw.get(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"{key} must be a list of rule ids", key)
        if "all" in value:
            return set(RULES_BY_ID)
        unknown = [v for v in value if v not in RULES_BY_ID]
        if unknown:
            hints = [difflib.get_close_matches(u, list(RULES_BY_ID), n=1) for u in unknown]
            hint = "".join(f"; did you mean {h[0]!r}?" for h in hints if h)
            raise bad(f"{key}: unknown rule(s) {', '.join(map(repr, unknown))}{hint}", key)
        return set(value)

    active = ids("select", ["all"]) - ids("ignore", [])
    severity = raw.get("severity", {})
    if not isinstance(severity, Mapping):
        raise bad("severity must be a table of rule = \"error\"|\"warning\"|\"info\"|\"off\"", "severity")
    levels: dict[str, str] = {}
    for rule, level in severity.items():
        if rule not in RULES_BY_ID:
            raise bad(f"severity: unknown rule {rule!r}", "severity")
        if level == "off":
            active.discard(rule)
        elif level in SEVERITIES:
            levels[rule] = level
        else:
            raise bad(f"severity of {rule!r} must be error, warning, info or off, not {level!r}",
                      "severity")
    return LintConfig(frozenset(active), levels)
