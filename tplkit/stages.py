"""What the compile stages produced for one (template, locale), kept when asked for.

A normal compile keeps only what rendering needs (:class:`~tplkit.compiled.Compiled`). A
*kept* compile (``Kit.compile(name, locale, keep=True)``, what lint and the preview ask
for) runs the very same pipeline once, its build pass with the source map of
:mod:`tplkit.sourcemap`, and attaches a :class:`Stages` record to the result: the built
subject, preheader, MJML (and written text body) with a map from every character back to
the template, layout, component or catalog line that wrote it; MRML's HTML, the inlined
HTML and the text part. Per-recipient values are slot tokens (``TPLSLOT…X``) in all of
them. Readers locate what they find here instead of building anything again.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .deferred import TOKEN_RE, Slots
from .mjmlcheck import SKIP, START_TAG
from .sourcemap import Position, SourceMap


@dataclass(eq=False)
class Stages:
    """The outputs of every compile stage for one (template, locale) (see the module
    docstring). ``built`` and ``maps`` have the keys ``subject``, ``preheader``, ``mjml``
    and, when the template has a written ``body.txt``, ``text``."""

    built: Mapping[str, str]          # the build pass's output
    maps: Mapping[str, SourceMap]     # offset in built[key] -> where it was written
    html: str                         # MRML's HTML of built["mjml"]
    inlined: str                      # the same with its CSS inlined
    text: str                         # the text part (derived from the MJML or written)
    slots: Slots                      # the runtime tag behind each slot token

    def position(self, key: str, offset: int | None) -> Position | None:
        """The template or catalog position of character ``offset`` of ``built[key]``."""
        smap = self.maps.get(key)
        return smap.position(offset) if smap is not None and offset is not None else None

    def printing(self, key: str, name: str) -> list[int]:
        """Offsets in ``built[key]`` of the slot tokens whose runtime tag prints the
        placeholder ``name`` (a ``{{ name }}``, a field of it, a filter over it)."""
        word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
        out = []
        for m in TOKEN_RE.finditer(self.built.get(key, "")):
            i = int(m.group(1)) - self.slots.base
            tag = self.slots.tags[i] if 0 <= i < len(self.slots.tags) else ""
            if tag.startswith("{{") and word.search(tag):
                out.append(m.start())
        return out

    @functools.cached_property
    def traced_html(self) -> str:
        """A runtime HTML source like the compiled one, every element marked with the MJML
        offset of the tag that made it (see :func:`trace`): rendered with a recipient's
        values (:meth:`~tplkit.compiled.Compiled.render_traced`) its images and links are
        those of the real email, one to one and in order, each naming its MJML tag."""
        import mjml  # mjml-python loads with the compiler's first MRML call, not with tplkit

        return self.slots.to_jinja(mjml.mjml2html(trace(self.built["mjml"]),
                                                  disable_comments=True, fonts={}))


_CSS_CLASS = re.compile(r"""(\scss-class\s*=\s*)(["'])(.*?)\2""")
_HEAD = re.compile(r"<mj-head\b.*?</mj-head\s*>", re.DOTALL)
TRACE_CLASS = re.compile(r"^tplsrc-(\d+)$")
"""The class a traced MJML component's HTML carries: ``tplsrc-<offset of its MJML tag>``."""
TRACE_ATTRIBUTE = "data-tplsrc"
"""The attribute raw HTML inside a traced component carries: the offset of its tag."""


def trace(mjml: str) -> str:
    """``mjml`` with every start tag in the body tagged with its offset: a ``tplsrc-N``
    class on components (MRML copies ``css-class`` onto the HTML it writes for them) and a
    ``data-tplsrc`` attribute on raw HTML inside them."""
    head = _HEAD.search(mjml)
    skip = {(head.start(), head.end())} if head else set()
    skip |= {(m.start(), m.end()) for m in SKIP.finditer(mjml)}
    out, pos = [], 0
    for m in START_TAG.finditer(mjml):
        name = m.group(1)
        if name in ("mjml", "mj-body") or any(a <= m.start() < b for a, b in skip):
            continue
        tag = m.group(0)
        if name.startswith("mj-"):
            cls = _CSS_CLASS.search(tag)
            if cls:
                new = tag[:cls.start(3)] + f"{cls.group(3)} tplsrc-{m.start()}" + tag[cls.end(3):]
            else:
                new = f"<{name} css-class=\"tplsrc-{m.start()}\"" + tag[1 + len(name):]
        else:
            new = f"<{name} {TRACE_ATTRIBUTE}=\"{m.start()}\"" + tag[1 + len(name):]
        out.append(mjml[pos:m.start()])
        out.append(new)
        pos = m.end()
    out.append(mjml[pos:])
    return "".join(out)
