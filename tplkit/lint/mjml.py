"""MJML rules: MJML's own validation (:mod:`tplkit.mjmlcheck`) and MRML's parse errors, each
reported where the build's source map says the offending text was written."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .. import formatting
from ..errors import MjmlError, MjmlValidationError
from ..mjmlcheck import Violation, first_malformed, locate
from .model import Hit
from .source import BuildFailure

_MRML_POS = re.compile(r"at position (\d+):(\d+)")


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


def mapped_build(ctx: BuildFailure) -> tuple[dict[str, str], dict[str, Any]] | None:
    """The build pass of the failed template with a source map per part."""
    from ..compile import Builder
    from ..deferred import Deferred, Slots
    from ..sourcemap import mapped_parts

    if ctx.info is None or ctx.locale is None:
        return None
    slots = Slots()
    values = {n: Deferred(n, slots, ctx.locale, formatting.TYPE_FORMAT.get(ph.type))
              for n, ph in ctx.info.placeholders.items()}
    try:
        return mapped_parts(ctx.kit.environment(ctx.locale), Builder, ctx.info, ctx.kit.brand,
                            ctx.locale, values)
    except Exception:  # the build itself fails: template-error reports why
        return None


def mjml_invalid(ctx: BuildFailure) -> Iterable[Hit]:
    """MRML rejects the MJML. Its byte span (or, when it gives none, the first tag that does
    not parse) is mapped through the build's source map to the template or catalog line that
    wrote it; otherwise the core's line is kept."""
    err = ctx.error
    if isinstance(err, MjmlValidationError) or not isinstance(err, MjmlError):
        return
    found = mapped_build(ctx)
    if found is None:
        yield Hit(err.message, err.file, err.line, err.column)
        return
    built, maps = found
    mjml_src = built["mjml"]
    m = _MRML_POS.search(err.message)
    if m:
        offset: int | None = len(mjml_src.encode("utf-8")[:int(m.group(1))].decode("utf-8", "replace"))
    else:
        offset = first_malformed(mjml_src)
    if offset is None:
        yield Hit(err.message, err.file, err.line, err.column)
        return
    (p,) = locate([Violation("mjml-invalid", offset, "")], mjml_src, maps.get("mjml"))
    yield Hit(err.message, p.file or err.file, p.line or err.line, p.column, locale=p.locale)
