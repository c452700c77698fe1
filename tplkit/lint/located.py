"""Where each piece of a rendered email comes from, read from a kept compile.

For one (template, locale) lint asks the kit for a kept compile (:mod:`tplkit.stages`): the
build pass's output with its source map, and a *traced* runtime HTML whose every element
carries the MJML offset of the tag that made it. Rendered with a sample's values, that HTML
has the images and links of the real email, one to one and in order; the source map turns
each one's MJML offset into the template, layout, component or catalog line. Nothing is
built again: the compile lint checks is the one it locates in.

Text (a typo, a leftover placeholder) is looked for only in the built output of the part it
was found in, never in the source files; the source map then names the line that wrote it.
A per-recipient value is a slot token there: where a placeholder is printed is the token
whose runtime tag prints it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from ..mjmlcheck import START_TAG
from ..sourcemap import Position
from ..stages import TRACE_ATTRIBUTE, TRACE_CLASS, Stages

_IMAGE_TAGS = {"img", "mj-image", "mj-carousel-image", "mj-social-element"}


class _Marks(HTMLParser):
    """Images and links of the traced HTML, each with the MJML offset of its nearest tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int | None]] = []
        self.images: list[tuple[int | None, str]] = []
        self.links: list[int | None] = []

    def _own(self, attrs: dict[str, str | None]) -> int | None:
        if attrs.get(TRACE_ATTRIBUTE):
            return int(attrs[TRACE_ATTRIBUTE] or 0)
        for c in (attrs.get("class") or "").split():
            m = TRACE_CLASS.match(c)
            if m:
                return int(m.group(1))
        return None

    def handle_starttag(self, tag: str, attrs_list: list) -> None:
        attrs = dict(attrs_list)
        own = self._own(attrs)
        near = own if own is not None else next(
            (o for _, o in reversed(self.stack) if o is not None), None)
        if tag == "img":
            self.images.append((near, attrs.get("src") or ""))
        elif tag == "a" and "href" in attrs:
            self.links.append(near)
        if tag not in ("img", "br", "meta", "link", "hr", "input", "col", "source", "area", "base", "wbr"):
            self.stack.append((tag, own))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


@dataclass
class Located:
    """Source positions for one rendered email (see the module docstring)."""

    stages: Stages
    images: list[tuple[int | None, str]] = field(default_factory=list)
    links: list[int | None] = field(default_factory=list)

    # --- elements ------------------------------------------------------------------------------

    @property
    def built(self) -> Mapping[str, str]:
        """The build pass's output per part (see :class:`~tplkit.stages.Stages`)."""
        return self.stages.built

    def _pos(self, offset: int | None) -> Position | None:
        return self.stages.position("mjml", offset)

    def _attr(self, offset: int | None, *names: str) -> int | None:
        """Offset of the first of ``names`` present in the tag at ``offset`` (else the tag)."""
        if offset is None:
            return None
        m = START_TAG.match(self.built["mjml"], offset)
        if m is None:
            return offset
        for name in names:
            a = re.search(rf"\s({re.escape(name)})\s*=", m.group(2))
            if a:
                return m.start(2) + a.start(1)
        return offset

    def _content(self, offset: int | None) -> int | None:
        """Offset of the first non-blank character after the tag at ``offset``."""
        if offset is None:
            return None
        m = START_TAG.match(self.built["mjml"], offset)
        if m is None:
            return offset
        text = self.built["mjml"]
        i = m.end()
        while i < len(text) and text[i].isspace():
            i += 1
        return i

    def image(self, index: int) -> Position | None:
        """Where the ``index``-th image of the email is written: its tag, or, for an image a
        component draws from a child (a carousel's thumbnails), the child whose attribute holds
        that image's URL."""
        if index >= len(self.images):
            return None
        offset, src = self.images[index]
        text = self.built["mjml"]
        tag = START_TAG.match(text, offset) if offset is not None else None
        if tag is not None and tag.group(1) not in _IMAGE_TAGS and src:
            at = text.find(f'"{src}"', offset)
            if at >= 0:
                offset = text.rfind("<", offset, at)
        return self._pos(offset)

    def link(self, index: int, *attrs: str) -> Position | None:
        """Where the ``index``-th link is written (at one of ``attrs`` if given)."""
        if index >= len(self.links):
            return None
        return self._pos(self._attr(self.links[index], *attrs) if attrs else self.links[index])

    def link_text(self, index: int) -> Position | None:
        """Where the ``index``-th link's label is written (a template or catalog line)."""
        return self._pos(self._content(self.links[index])) if index < len(self.links) else None

    def root(self, *attrs: str) -> Position | None:
        """The ``<mjml>`` tag (at one of ``attrs`` if written there)."""
        start = self.built["mjml"].find("<mjml")
        return self._pos(self._attr(start, *attrs)) if start >= 0 else None

    # --- text ------------------------------------------------------------------------------------

    def text(self, part: str, *needles: str) -> Position | None:
        """Where text found in ``part`` of the email was written: looked up in that part's built
        output (the MJML for the HTML and a derived text part), then mapped."""
        key = self._key(part)
        built, smap = self.built.get(key, ""), self.stages.maps.get(key)
        if smap is None:
            return None
        for needle in needles:
            for candidate in (needle, *sorted(re.split(r"[\s&<>]+", needle), key=len, reverse=True)):
                if len(candidate) < 3 and candidate != needle:
                    continue
                i = built.find(candidate) if candidate else -1
                if i >= 0:
                    return smap.position(i)
        return None

    def value(self, part: str, name: str) -> Position | None:
        """Where ``part`` prints the placeholder ``name`` first (its ``{{ }}``, or the msgstr
        or trans block that puts it in)."""
        key = self._key(part)
        found = self.stages.printing(key, name)
        return self.stages.position(key, found[0]) if found else None

    def _key(self, part: str) -> str:
        """The built output ``part`` comes from (the MJML for the HTML and a derived text)."""
        return part if part in self.built and part != "html" else "mjml"

    def catalog_origin(self, part: str) -> Position | None:
        """For a part made of translated text: the msgstr that contributes most of it."""
        smap = self.stages.maps.get(part)
        if smap is None:
            return None
        best, size = None, 0
        for start, end, origin in smap.segments(len(self.built.get(part, ""))):
            if origin.locale is not None and end - start > size:
                best, size = origin, end - start
        if best is None:
            return None
        return Position(best.file, best.line, best.column, best.locale)


def locate(kit: Any, info: Any, locale: str, values: dict) -> Located | None:
    """The :class:`Located` of one sample, read from the kit's kept compile of ``info`` in
    ``locale`` (None when it does not compile or the sample does not render)."""
    try:
        compiled = kit.compile(info.name, locale, keep=True)
        valid = compiled.schema.validate(values, strict=kit.strict, template=info.name,
                                         locale=locale)
        html = compiled.render_traced(valid)
    except Exception:  # noqa: BLE001 - the sample's own failure is reported by template-error
        return None
    marks = _Marks()
    marks.feed(html)
    marks.close()
    return Located(compiled.stages, marks.images, marks.links)
