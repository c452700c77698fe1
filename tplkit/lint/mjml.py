"""MJML rules: MJML's own validation (:mod:`tplkit.mjmlcheck`) and MRML's parse errors. The
compiler places both through the source map of its kept build (:mod:`tplkit.stages`): the
findings read where the errors say, in the template, layout, component or catalog."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import MjmlError, MjmlValidationError
from .model import Hit
from .source import BuildFailure


def rule(rule_id: str) -> Callable[[BuildFailure], Iterable[Hit]]:
    """The check function of one MJML validation rule (``mjml-unknown-tag``, ...)."""

    def check(ctx: BuildFailure) -> Iterable[Hit]:
        if isinstance(ctx.error, MjmlValidationError):
            for p in ctx.error.problems:
                if p.rule == rule_id:
                    yield Hit(p.message, p.file, p.line, p.column, locale=p.locale)

    check.__name__ = check.__qualname__ = rule_id.replace("-", "_")
    check.__doc__ = f"Findings of {rule_id} carried by a compile error."
    return check


def mjml_invalid(ctx: BuildFailure) -> Iterable[Hit]:
    """MRML rejects the MJML. The compiler placed its byte span (or, when it gives none, the
    first tag that does not parse) at the template or catalog line that wrote it."""
    err = ctx.error
    if isinstance(err, MjmlError) and not isinstance(err, MjmlValidationError):
        yield Hit(err.message, err.file, err.line, err.column)
