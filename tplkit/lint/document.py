"""The rendered HTML as the rendered lint rules see it, parsed once: ``<html>``
attributes, images, links (with their colours) and the visible text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Link:
    href: str
    text: str = ""
    color: str | None = None
    background: str | None = None


@dataclass
class Document:
    """What the rules need from the HTML: <html> attributes, images, links and visible text."""

    html_attrs: dict[str, str] = field(default_factory=dict)
    images: list[dict[str, str | None]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    attr_values: list[str] = field(default_factory=list)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


_VOID = {"img", "br", "meta", "link", "hr", "input", "col", "source", "area", "base", "wbr"}
_STYLE_PROP = re.compile(r"(?:^|;)\s*([\w-]+)\s*:\s*([^;]+)")


def _style(attrs: dict[str, str | None]) -> dict[str, str]:
    return {k.lower(): v.strip() for k, v in _STYLE_PROP.findall(attrs.get("style") or "")}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = Document()
        self.stack: list[tuple[str, dict]] = []
        self.link: Link | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs_list: list) -> None:
        attrs = {k: v for k, v in attrs_list}
        for k in ("href", "src", "alt", "title"):
            if attrs.get(k):
                self.doc.attr_values.append(attrs[k])
        if tag == "html":
            self.doc.html_attrs = {k: v or "" for k, v in attrs.items()}
        elif tag == "img":
            self.doc.images.append(attrs)
        elif tag == "a" and "href" in attrs:
            style = _style(attrs)
            bg = style.get("background-color") or style.get("background") or attrs.get("bgcolor")
            if not bg and self.stack and self.stack[-1][0] == "td":
                bg = self.stack[-1][1].get("bgcolor")
            self.link = Link(attrs.get("href") or "", color=style.get("color"), background=bg)
            self.doc.links.append(self.link)
        if tag in ("style", "script"):
            self.skip += 1
        if tag not in _VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.link = None
        if tag in ("style", "script"):
            self.skip = max(0, self.skip - 1)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.doc.text.append(data)
        if self.link is not None:
            self.link.text += data


def parse_html(html: str) -> Document:
    p = _Parser()
    p.feed(html)
    p.close()
    return p.doc
