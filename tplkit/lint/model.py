"""Plain records of the linter: a :class:`Finding`, a :class:`Rule`, and a rule's :class:`Hit`."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how bad, what, and where (file/line/column, template/locale)."""

    rule: str
    severity: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    template: str | None = None
    locale: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale the defect was found in: one finding per defect, so ``locale`` may list
        several ("de, en")."""
        return tuple(self.locale.split(", ")) if self.locale else ()


@dataclass(frozen=True)
class Hit:
    """What a rule function yields; the engine adds rule id, severity, template and locale.

    ``severity`` overrides the rule's default for rules with graded findings
    (``http:`` links are a warning, ``javascript:`` links an error).
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    severity: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Rule:
    """A registered rule: stable kebab-case id, default severity, layer and check function.

    Layers: ``project`` (once), ``source`` (per template or shared file), ``catalog`` (per
    catalog file), ``build`` (per failed compilation or render), ``rendered`` (per template × locale ×
    sample) and ``meta`` (produced by the engine itself).
    """

    id: str
    severity: str
    layer: str
    description: str
    check: Callable[[Any], Iterable[Hit]] | None = None
