"""Rendering what a page selects: a bad context or a broken template becomes data for the
page (:class:`Rendering`), and the last good email of each template x locale stays on show
while the one being edited does not render."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlaceholderError, TplkitError
from ..kit import Kit
from .response import BadRequest, NotFound
from .selection import Selection


@dataclass
class Rendering:
    """The outcome of rendering one selection: an email, or why there is none."""

    email: Any = None
    context: dict | None = None
    problems: list[Any] = field(default_factory=list)   # context problems, shown inline
    error: TplkitError | None = None                     # the template itself is broken


class Renderer:
    """Renders selections, remembering the last good rendering of each template x locale."""

    def __init__(self) -> None:
        # (context, email) of the last good rendering; no context when the default sample stood in
        self.good: dict[tuple[str, str], tuple[dict | None, Any]] = {}

    def render(self, kit: Kit, sel: Selection) -> Rendering:
        """Render a selection; a bad context or a broken template becomes data, not a crash."""
        out = Rendering()
        try:
            info = kit.template(sel.name)
        except TplkitError as e:
            out.error = e
            return out
        if sel.ctx is not None:
            try:
                ctx = json.loads(sel.ctx)
            except json.JSONDecodeError as e:
                out.problems.append(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}")
                return out
            except RecursionError:
                raise BadRequest("the context (ctx) is nested too deeply to read") from None
            except ValueError as e:   # e.g. an integer of more digits than Python converts
                out.problems.append(f"invalid JSON: {e}")
                return out
            if not isinstance(ctx, dict):
                out.problems.append("the context must be a JSON object ({...})")
                return out
        else:
            if sel.sample is not None and sel.sample not in info.samples:
                raise NotFound(f"template {sel.name!r} has no sample {sel.sample!r}")
            ctx = info.sample_for(sel.locale, sel.sample)
        out.context = ctx
        try:
            out.email = kit.render(sel.name, ctx, locale=sel.locale)
        except PlaceholderError as e:
            out.problems.extend(e.problems)
        except TplkitError as e:
            out.error = e
        except Exception as e:  # noqa: BLE001 -- a tplkit bug in one template must not stop the others
            out.error = TplkitError(f"internal error: {type(e).__name__}: {e}", template=sel.name,
                                    locale=sel.locale)
        if out.email is not None:
            self.good[(sel.name, sel.locale)] = (ctx, out.email)
        return out

    def shown(self, kit: Kit, sel: Selection) -> tuple[Rendering, Any, bool]:
        """``(rendering, email to show, stale)``: when the selection does not render, the last
        good email of this template and locale (or its default sample) stays on show."""
        r = self.render(kit, sel)
        if r.email is not None:
            return r, r.email, False
        good = self.good.get((sel.name, sel.locale))
        if good is None and sel.ctx is not None and r.error is None:
            good = (None, self.render(kit, Selection(sel.name, sel.locale, sel.sample, None,
                                                     sel.view)).email)
        return r, (good[1] if good else None), good is not None and good[1] is not None

    def shown_context(self, sel: Selection, r: Rendering, email: Any, stale: bool) -> dict | None:
        """The context the shown email was rendered with (the last good one when stale)."""
        shown = self.good.get((sel.name, sel.locale)) if stale else (r.context, email)
        return shown[0] if shown else None
