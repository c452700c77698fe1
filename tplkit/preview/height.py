"""A server-side estimate of an email's height at a frame width, for pages without JavaScript.

With JavaScript the preview page measures the email and fits the frame to it exactly. Without
it, the frame's ``height`` attribute is all there is, so it is computed here from the HTML: the
visible text of each block wrapped at the width (a generous average character width, wide
characters counted double), images at their size scaled to the width, and every vertical
padding and margin written inline. It errs on the tall side (columns that sit side by side are
counted one under the other, padding of neighbouring cells is added up), so the email is never
cut off; a page without JavaScript may show some empty space under it instead.
"""
from __future__ import annotations

import math
import re
import unicodedata
from html.parser import HTMLParser

_VOID = {"img", "br", "meta", "link", "hr", "input", "col", "source", "area", "base", "wbr"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "td", "th", "table",
           "ul", "ol", "blockquote", "pre", "section", "center", "body"}
_HIDDEN_TAGS = {"head", "style", "script", "title", "template"}
_PROP = re.compile(r"(?:^|;)\s*([\w-]+)\s*:\s*([^;]+)")
_PX = re.compile(r"(-?\d+(?:\.\d+)?)(px|em|rem|%)?")
CHAR_WIDTH = 0.6         # of the font size: wider than the average glyph of Latin, Cyrillic, Arabic
LINE_HEIGHT = 1.5        # of the font size, when the email does not say
DEFAULT_FONT = 16.0
SIDE_PADDING = 50        # MJML's default 25 px on each side of a column's content
SLACK = 1.1              # a further 10 % and 40 px, against what the estimate cannot see
EXTRA = 40


def _style(attrs: dict[str, str | None]) -> dict[str, str]:
    return {k.lower(): v.strip() for k, v in _PROP.findall(attrs.get("style") or "")}


def _px(value: str | None, font: float) -> float | None:
    m = _PX.match((value or "").strip())
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2)
    return n * font if unit in ("em", "rem") else None if unit == "%" else n


def _box(value: str | None, font: float) -> tuple[float, float]:
    """Top and bottom of a CSS ``padding``/``margin`` shorthand, in px."""
    parts = [_px(p, font) or 0.0 for p in (value or "").split()]
    if not parts:
        return 0.0, 0.0
    if len(parts) <= 2:
        return parts[0], parts[0]
    return parts[0], parts[2]


class _Estimator(HTMLParser):
    def __init__(self, width: int) -> None:
        super().__init__(convert_charrefs=True)
        self.frame = width
        self.width = max(width - SIDE_PADDING, 100)   # what text wraps at
        self.height = 0.0
        self.stack: list[tuple[str, float, float, bool]] = []   # tag, font, line height, hidden
        self.text = 0.0        # width of the current block's text, in px
        self.line = DEFAULT_FONT * LINE_HEIGHT

    def _font(self) -> tuple[float, float, bool]:
        return self.stack[-1][1:] if self.stack else (DEFAULT_FONT, DEFAULT_FONT * LINE_HEIGHT, False)

    def _flush(self) -> None:
        if self.text:
            self.height += math.ceil(self.text / self.width) * self.line
            self.text = 0.0

    def handle_starttag(self, tag: str, attrs_list: list) -> None:
        attrs = dict(attrs_list)
        font, line, hidden = self._font()
        style = _style(attrs)
        hidden = hidden or tag in _HIDDEN_TAGS or style.get("display", "").startswith("none") \
            or style.get("mso-hide") == "all" and "max-height" in style
        size = _px(style.get("font-size"), font)
        font = size if size else font
        lh = style.get("line-height", "")
        lh_px = _px(lh, font)
        given = (font * float(lh) if re.fullmatch(r"\d+(\.\d+)?", lh) else lh_px) if lh else None
        line = max(given or font * LINE_HEIGHT, font)
        if not hidden:
            if tag in _BLOCKS or tag in ("br", "img"):
                self._flush()
            if tag in _BLOCKS:
                for prop in ("padding", "margin"):
                    top, bottom = _box(style.get(prop), font)
                    top = _px(style.get(f"{prop}-top"), font) or top
                    bottom = _px(style.get(f"{prop}-bottom"), font) or bottom
                    self.height += max(top, 0) + max(bottom, 0)
                # a fixed height (a spacer): counted in full, whatever the block holds
                self.height += max(_px(attrs.get("height"), font) or 0,
                                   _px(style.get("height"), font) or 0) if tag != "table" else 0
            if tag == "img":
                self.height += self._image(attrs, style, font)
            elif tag == "br":
                self.height += self.line
            elif tag == "hr":
                self.height += 20
        if tag not in _VOID:
            self.stack.append((tag, font, line, hidden))
        self.line = line if not hidden else self.line

    def _image(self, attrs: dict[str, str | None], style: dict[str, str], font: float) -> float:
        width = _px(attrs.get("width"), font) or _px(style.get("width"), font)
        height = _px(attrs.get("height"), font) or _px(style.get("height"), font)
        if height is None:
            height = (width or self.frame) * 0.75   # unknown ratio: a landscape photo's
        if width and width > self.frame:            # shrunk to the frame, at most (no padding)
            height *= self.frame / width
        return height

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                if not self.stack[i][3] and tag in _BLOCKS:
                    self._flush()
                del self.stack[i:]
                break
        if self.stack:
            self.line = self.stack[-1][2]

    def handle_data(self, data: str) -> None:
        font, line, hidden = self._font()
        text = " ".join(data.split())
        if hidden or not text:
            return
        self.line = line
        self.text += sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text) \
            * font * CHAR_WIDTH


def estimate_height(html: str, width: int) -> int:
    """The height in px the email ``html`` is expected to need at ``width`` px, rounded up."""
    est = _Estimator(width)
    est.feed(html)
    est.close()
    est._flush()
    return math.ceil(est.height * SLACK + EXTRA)
