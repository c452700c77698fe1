"""How different mail clients would show an email: HTML rewrites for the preview's views.

Each function takes the email's HTML and returns the HTML a client of that kind would
display. They only rewrite colours, media queries, images and text; the email never gets
a script (the preview frame is sandboxed without ``allow-scripts``, and the CSP forbids them).

* :func:`force_dark` -- forced colour inversion, as Gmail's apps and Outlook.com do for
  emails that bring no dark styles: every colour keeps its hue and gets the opposite
  lightness, so light backgrounds turn dark and dark text turns light.
* :func:`own_dark` -- the email's own ``@media (prefers-color-scheme: dark)`` styles, as
  Apple Mail applies them in dark mode.
* :func:`images_off` -- images blocked, each replaced by a box with its alt text (what
  Outlook and Gmail show before "display images").
* :func:`mark_untranslated` -- untranslated messages highlighted in the text.
"""
from __future__ import annotations

import colorsys
import html as _html
import re
from collections.abc import Iterable
from html.parser import HTMLParser

MODES = {
    "email": "Email",
    "dark-invert": "Dark: inverted (Gmail app, Outlook.com)",
    "dark-own": "Dark: own styles (Apple Mail)",
    "images-off": "Images off",
}

_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RGB = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(,\s*[\d.]+\s*)?\)")
_NAMED = {"white": "#ffffff", "black": "#000000"}
_COLOR_ATTR = re.compile(r'\b(bgcolor|color)=("|\')(.*?)\2', re.IGNORECASE)
_STYLE_ATTR = re.compile(r'\bstyle=("|\')(.*?)\1', re.IGNORECASE | re.DOTALL)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.IGNORECASE | re.DOTALL)
_COLOR_PROPS = re.compile(r"((?:^|[;{\s])(?:background-color|background|color|border(?:-[a-z]+)*-color|"
                          r"border(?:-top|-right|-bottom|-left)?)\s*:\s*)([^;}]*)", re.IGNORECASE)
_DARK_MEDIA = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT_MEDIA = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)
DARK_CANVAS = "#121212"    # what dark-mode clients paint behind an email without a background
DARK_TEXT = "#e8e8e8"


def _invert_hex(value: str) -> str:
    h = value.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return _invert_rgb(r, g, b)


def _invert_rgb(r: float, g: float, b: float) -> str:
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    r2, g2, b2 = colorsys.hls_to_rgb(hue, 1 - light, sat)
    return "#{:02x}{:02x}{:02x}".format(*(round(x * 255) for x in (r2, g2, b2)))


def invert_colors(value: str) -> str:
    """Every colour in a CSS value with its lightness inverted (hue and saturation kept)."""
    value = _HEX.sub(lambda m: _invert_hex(m.group(0)), value)
    value = _RGB.sub(lambda m: _invert_rgb(*(int(m.group(i)) / 255 for i in (1, 2, 3))), value)
    return re.sub(r"\b(white|black)\b", lambda m: _invert_hex(_NAMED[m.group(1).lower()]), value,
                  flags=re.IGNORECASE)


def _invert_css(css: str) -> str:
    return _COLOR_PROPS.sub(lambda m: m.group(1) + invert_colors(m.group(2)), css)


def force_dark(html: str) -> str:
    """The email as a client with forced dark mode shows it: all colours inverted in lightness."""
    html = _STYLE_BLOCK.sub(lambda m: m.group(1) + _invert_css(m.group(2)) + m.group(3), html)
    html = _STYLE_ATTR.sub(lambda m: f"style={m.group(1)}{_invert_css(m.group(2))}{m.group(1)}", html)
    html = _COLOR_ATTR.sub(lambda m: f"{m.group(1)}={m.group(2)}{invert_colors(m.group(3))}{m.group(2)}",
                           html)
    canvas = (f"<style>html,body{{background-color:{DARK_CANVAS};color:{DARK_TEXT};}}"
              f"a{{color:#8ab4f8;}}</style>")
    return _before_head_end(html, canvas, first=True)


def has_own_dark(html: str) -> bool:
    """True when the email brings ``prefers-color-scheme: dark`` styles of its own."""
    return bool(_DARK_MEDIA.search(html))


def own_dark(html: str) -> str:
    """The email as Apple Mail shows it in dark mode: its dark media queries apply.

    ``@media (prefers-color-scheme: dark)`` becomes ``@media all`` and the light ones
    ``@media not all``, so the view does not depend on the reviewer's own system setting.
    An email that declares ``color-scheme: light dark`` also gets the dark canvas.
    """
    html = _DARK_MEDIA.sub("@media all", html)
    html = _LIGHT_MEDIA.sub("@media not all", html)
    if re.search(r'name=["\']color-scheme["\'][^>]*content=["\'][^"\']*dark', html, re.IGNORECASE):
        html = _before_head_end(html, f"<style>:root{{color-scheme:dark;}}html,body{{background-color:"
                                      f"{DARK_CANVAS};color:{DARK_TEXT};}}</style>", first=True)
    return html


def _before_head_end(html: str, extra: str, first: bool = False) -> str:
    """Insert ``extra`` into the head: first (so the email's own rules win) or last."""
    if first:
        m = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
        if m:
            return html[:m.end()] + extra + html[m.end():]
    m = re.search(r"</head\s*>", html, re.IGNORECASE)
    return html[:m.start()] + extra + html[m.start():] if m else extra + html


class _TagAttrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {k: v or "" for k, v in attrs}

    handle_startendtag = handle_starttag


def _attrs(tag: str) -> dict[str, str]:
    p = _TagAttrs()
    p.feed(tag)
    p.close()
    return p.attrs


def _size(attr: str | None, style: str, prop: str) -> str | None:
    """An image's width or height: the attribute (``240`` or ``100%``), else its inline style."""
    m = re.match(r"\s*(\d+(?:\.\d+)?)(px|%)?\s*$", attr or "")
    if m:
        return m.group(1) + (m.group(2) or "px")
    m = re.search(rf"(?<![-\w]){prop}\s*:\s*(\d+(?:\.\d+)?(?:px|%))", style)
    return m.group(1) if m else None


def images_off(html: str) -> str:
    """Images blocked: each ``<img>`` becomes a box of its size showing its alt text."""
    def box(m: re.Match) -> str:
        a = _attrs(m.group(0))
        style = _html.unescape(a.get("style", ""))
        width = _size(a.get("width"), style, "width")
        height = _size(a.get("height"), style, "height")
        alt = a.get("alt")
        size = (f"width:{width};max-width:100%;" if width else "") + (f"height:{height};" if height else "")
        label = _html.escape(alt) if alt else "&#8203;"
        missing = "" if alt else ' data-tplkit-no-alt=""'
        return (f'<span class="tplkit-img-off" data-tplkit-alt=""{missing} style="display:inline-block;'
                f"box-sizing:border-box;{size}border:1px dashed #9ca3af;color:#4b5563;"
                f'font:13px/1.4 Arial,sans-serif;padding:4px;overflow:hidden;vertical-align:middle">'
                f"{label}</span>")
    html = re.sub(r"<img\b[^>]*>", box, html, flags=re.IGNORECASE)
    return re.sub(r"url\((['\"]?)(?!data:)[^)'\"]*\1\)", "none", html)   # background images


# --- untranslated text --------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|<[^>]*>|\{\{.*?\}\}")
MARK_STYLE = ("background:#fde047;color:#111827;outline:2px dashed #ca8a04;outline-offset:1px;")


def fragments(message: str) -> list[str]:
    """The literal pieces of a message that show up in the rendered text (placeholders and
    inline markup split it), longest first; pieces too short to be telling are dropped."""
    pieces = [" ".join(p.split()) for p in _PLACEHOLDER.split(message)]
    return sorted({p.strip(" ,.;:!?") for p in pieces if len(p.strip(" ,.;:!?")) >= 4},
                  key=len, reverse=True)


class _TextSplitter(HTMLParser):
    """Yields the document as (is_text, raw) chunks so that only body text gets marked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.chunks: list[tuple[bool, str]] = []
        self._skip = 0

    def _raw(self) -> None:
        self.chunks.append((False, self.get_starttag_text() or ""))

    def handle_starttag(self, tag: str, attrs) -> None:
        self._raw()
        if tag in ("style", "title", "head", "script"):
            self._skip += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        self._raw()

    def handle_endtag(self, tag: str) -> None:
        self.chunks.append((False, f"</{tag}>"))
        if tag in ("style", "title", "head", "script"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        self.chunks.append((self._skip == 0, data))

    def handle_entityref(self, name: str) -> None:
        self.chunks.append((self._skip == 0, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.chunks.append((self._skip == 0, f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.chunks.append((False, f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.chunks.append((False, f"<!{decl}>"))

    def unknown_decl(self, data: str) -> None:
        self.chunks.append((False, f"<![{data}]>"))

    def handle_pi(self, data: str) -> None:
        self.chunks.append((False, f"<?{data}>"))


def mark_untranslated(html: str, messages: Iterable[str]) -> tuple[str, int]:
    """Wrap the rendered pieces of ``messages`` in ``<mark>``; returns the HTML and the count."""
    pieces = [p for m in messages for p in fragments(m)]
    if not pieces:
        return html, 0
    splitter = _TextSplitter()
    splitter.feed(html)
    splitter.close()
    # adjacent text chunks (data + entities) form one run of text
    runs: list[tuple[bool, str]] = []
    for is_text, raw in splitter.chunks:
        if is_text and runs and runs[-1][0]:
            runs[-1] = (True, runs[-1][1] + raw)
        else:
            runs.append((is_text, raw))
    pattern = re.compile("|".join(re.escape(_html.escape(p, quote=False)) for p in
                                  sorted(set(pieces), key=len, reverse=True)))
    count = 0
    out = []
    for is_text, raw in runs:
        if is_text:
            text = _html.escape(_html.unescape(raw), quote=False)   # one spelling of entities
            text, n = pattern.subn(lambda m: f'<mark data-tplkit-untranslated="" style="{MARK_STYLE}">'
                                             f"{m.group(0)}</mark>", text)
            if n:
                raw, count = text, count + n
        out.append(raw)
    return "".join(out), count
