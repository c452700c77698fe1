"""Derive the plain-text part from an email's MJML structure.

Working on MJML (not on the generated HTML tables) keeps the structure that matters for a
reader: paragraphs stay paragraphs, each call-to-action button becomes its label followed
by its URL, a rating row becomes a numbered list of links, the footer's social links one
per line, and nothing from ``mj-head`` (the preheader, styles) leaks in. There are no table
pipes or ``---`` rules. Lines are wrapped at 78 characters; URLs are never broken. In a
right-to-left document (``<mjml dir="rtl">``) URLs and every inline element with a ``dir``
are wrapped in Unicode bidi isolates (U+2066..U+2069), so that a phone number, an email
address, a URL or a ticket id reads left to right in a plain-text viewer.

Runtime statements of the compiled template (opaque slot tokens standing alone between
elements) are kept in place so that conditional blocks stay conditional in the text part.

Wrapping lines (and the per-message wrapping of lines holding values) is
:mod:`tplkit.wrapping`.
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser

from .wrapping import WIDTH, collapse, squash, wrap

VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
SKIP = {"mj-head", "mj-image", "mj-divider", "mj-spacer", "mj-carousel", "style", "script",
        "head", "title", "mj-preview", "mj-style", "mj-title", "mj-attributes", "mj-font"}
BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "table",
         "tr", "section", "article", "header", "footer", "pre", "dl", "dt", "dd"}


class Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("css-class", "") + " " + self.attrs.get("class", "")).split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v or "") for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: (v or "") for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    b = _TreeBuilder()
    b.feed(markup)
    b.close()
    return b.root


class _Out:
    """Collects paragraphs; runtime statement tokens are glued to what follows them.
    ``tokens`` gives the token of a new runtime tag (a table holding runtime values or
    loops is laid out per message, inside ``{% filter text_table %}``)."""

    def __init__(self, is_token: Callable[[str], bool],
                 tokens: Callable[[str], str] | None = None) -> None:
        self.parts: list[str] = []
        self.is_token = is_token
        self.tokens = tokens

    def block(self, text: str) -> None:
        """Lines already laid out (a table): kept as they are."""
        if text.strip():
            self.parts.append(text + "\n\n")

    def para(self, text: str) -> None:
        # A line holding runtime values is wrapped after rendering (see rewrap), when the
        # lengths of the values are known; a static line is wrapped now.
        lines = [line.strip() if "TPLSLOT" in line else wrap(line) for line in text.split("\n")]
        text = "\n".join(lines).strip("\n")
        if text.strip():
            self.parts.append(text + "\n\n")

    def stmt(self, token: str) -> None:
        self.parts.append(token)

    def result(self) -> str:
        return "".join(self.parts).rstrip() + "\n"


#: Bidi isolates (U+2066 LRI, U+2067 RLI, U+2068 FSI ... U+2069 PDI) for ``dir`` in RTL text.
ISOLATE = {"ltr": "\u2066", "rtl": "\u2067", "auto": "\u2068"}
POP_ISOLATE = "\u2069"

#: mj-text classes whose links the text part lists one per line: class -> (link class, line)
LINK_LISTS = {"tplkit-rating": ("tplkit-rating-link", "{label}. {href}"),
              "tplkit-social": ("tplkit-social-link", "{label}: {href}"),
              "tplkit-choices": ("tplkit-choice-link", "{label}: {href}")}


def _isolate(text: str, direction: str, rtl: bool) -> str:
    """``text`` between bidi isolates in a right-to-left text part; unchanged otherwise."""
    if not rtl or not text or direction not in ISOLATE:
        return text
    return ISOLATE[direction] + text + POP_ISOLATE


def _inline(node: Node, links: tuple[str, list] | None = None, rtl: bool = False) -> str:
    """Text of an inline HTML fragment; ``<br>`` gives a newline, blocks give blank lines.

    ``links`` is (class, list): links of that class are collected into the list instead.
    In a right-to-left document (``rtl``) an inline element's ``dir`` and every URL become
    bidi isolates, so a phone number, an email address or a URL reads left to right."""
    out: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            out.append(squash(child))
            continue
        tag = child.tag
        if tag in SKIP or tag == "img":
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag == "a":
            label = collapse(_inline(child, rtl=rtl))
            href = child.attrs.get("href", "").strip()
            if links is not None and links[0] in child.classes:
                links[1].append((label, href))
                continue
            piece = _link(label, href, rtl)
        elif tag in ("ul", "ol"):
            # one line per item; the tokens of a runtime {% for %} or {% if %} between items
            # stay between the lines, so that a looped <li> gives one line per value
            lines, n = [], 0
            for c in child.children:
                if isinstance(c, str):
                    lines.extend(_TOKEN.findall(c))
                elif c.tag == "li":
                    n += 1
                    lines.append(f"{f'{n}.' if tag == 'ol' else '-'} {collapse(_inline(c, links, rtl))}\n")
            piece = "\n\n" + "".join(lines) + "\n\n"
        elif tag in ("td", "th"):
            piece = " " + _inline(child, links, rtl) + " "
        elif tag in BLOCK:
            piece = "\n\n" + _inline(child, links, rtl) + "\n\n"
        else:
            piece = _inline(child, links, rtl)
        direction = child.attrs.get("dir", "").lower()
        if rtl and direction in ISOLATE and tag not in BLOCK:
            core = piece.strip(" ")
            if core:
                start = piece.index(core)
                piece = piece[:start] + _isolate(core, direction, rtl) + piece[start + len(core):]
        out.append(piece)
    return "".join(out)


def _link(label: str, href: str, rtl: bool = False) -> str:
    if not href or href.startswith("#"):
        return label
    bare = re.sub(r"^(mailto|tel):", "", href)
    if not label:
        return _isolate(bare, "ltr", rtl)
    if label in (href, bare) or (href.startswith("tel:") and re.sub(r"[^\d+]", "", label) == bare):
        return label
    return f"{label} ({_isolate(href if bare == href else bare, 'ltr', rtl)})"


def _paragraphs(text: str) -> list[str]:
    chunks = re.split(r"\n\s*\n", text)
    out = []
    for c in chunks:
        lines = [collapse(line) for line in c.split("\n")]
        c = "\n".join(line for line in lines if line)
        if c:
            out.append(c)
    return out


def _walk(node: Node, out: _Out, rtl: bool = False) -> None:
    for child in node.children:
        if isinstance(child, str):
            for word in _TOKEN.findall(child):   # a {%- -%} may glue two tokens together
                if out.is_token(word):
                    out.stmt(word)
            continue
        tag = child.tag
        if tag in SKIP:
            continue
        if tag == "mj-text":
            spec = next((v for c, v in LINK_LISTS.items() if c in child.classes), None)
            found: list[tuple[str, str]] = []
            text = _inline(child, (spec[0], found) if spec else None, rtl)
            for p in _paragraphs(text):
                out.para(p)
            if spec and found:
                line = spec[1]
                out.para("\n".join(line.format(label=label, href=_isolate(href, "ltr", rtl)) if label
                                   else _isolate(href, "ltr", rtl) for label, href in found))
        elif tag in ("mj-button", "mj-social-element", "mj-navbar-link"):
            label = collapse(_inline(child, rtl=rtl))
            if tag != "mj-button":
                label = label or child.attrs.get("name", "").title()
            href = child.attrs.get("href", "").strip()
            if href:
                out.para(f"{label}: {_isolate(href, 'ltr', rtl)}" if label else _isolate(href, "ltr", rtl))
            elif tag == "mj-button":
                out.para(label)
        elif tag == "mj-table":
            rows = _table_rows(child, out.is_token, rtl)
            if "TPLSLOT" in rows and out.tokens is not None:  # laid out per message
                out.stmt(out.tokens("{% filter text_table %}") + rows + out.tokens("{% endfilter %}"))
                out.parts.append("\n\n")
            else:
                out.block(text_table(rows))
        elif tag == "mj-raw":
            for word in _TOKEN.findall(unescape(_inline(child))):
                if out.is_token(word):
                    out.stmt(word)
        else:
            _walk(child, out, rtl or (tag == "mjml" and child.attrs.get("dir", "").lower() == "rtl"))


def _find(node: Node, tag: str) -> list[Node]:
    found = []
    for c in node.children:
        if isinstance(c, Node):
            if c.tag == tag:
                found.append(c)
            else:
                found.extend(_find(c, tag))
    return found


# --- tables ----------------------------------------------------------------------------------
# A table's rows travel as one string: cells end with CELL, rows with ROW (control characters
# that no validated value can hold), with runtime statement tokens between them, so that a
# compiled template lays out the rows its loop produced with the very same text_table().
CELL, ROW = "\x1f", "\x1e"
_TOKEN = re.compile(r"TPLSLOT\d+X")
GAP = "  "          # between two columns
MIN_FIRST = 16      # the widest column (names, labels) wraps, but not narrower than this


def _table_rows(table: Node, is_token: Callable[[str], bool], rtl: bool) -> str:
    """The rows of an ``mj-table`` (and the statement tokens between them) as a string."""
    out: list[str] = []

    def walk(node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):  # tokens between rows; a {%- -%} may glue them together
                out.extend(w for w in _TOKEN.findall(child) if is_token(w))
            elif child.tag in ("td", "th"):
                out.append(_inline(child, rtl=rtl).replace(CELL, " ").replace(ROW, " ") + CELL)
            elif child.tag not in SKIP:
                walk(child)
                if child.tag == "tr":
                    out.append(ROW)

    walk(table)
    return "".join(out)


def text_table(rows: str) -> str:
    """Rows (see :data:`CELL`, :data:`ROW`) laid out as aligned plain-text columns.

    The widest column (an item's name, a label) is wrapped to the room the others leave;
    it and the columns before it are left-aligned, the columns after it (quantities,
    amounts) right-aligned under each other. Columns are two spaces apart; a line break
    inside a cell (a name and its details) becomes " · ", as between the footer's phone
    and email; a table of one row is one line, its cells a space apart. The naive pipeline
    and the compiled text part both lay out their rows with this function."""
    table: list[list[str]] = []
    for line in rows.split(ROW):
        cells = [" · ".join([x for c in cell.split("\n") if c and (x := collapse(c))])
                 for cell in line.split(CELL)[:-1]]
        if any(cells):
            table.append(cells)
    if len(table) <= 1:   # nothing to align: one row reads as a line of words
        return " ".join(c for c in table[0] if c) if table else ""
    ncols = max(map(len, table))
    table = [row + [""] * (ncols - len(row)) for row in table]
    widths = [max(len(row[j]) for row in table) for j in range(ncols)]
    wide = widths.index(max(widths))
    rest = sum(widths) - widths[wide] + len(GAP) * (ncols - 1)
    widths[wide] = min(widths[wide], max(WIDTH - rest, MIN_FIRST))
    lines: list[str] = []
    for row in table:
        wrapped: list[str] = [row[wide]] if len(row[wide]) <= widths[wide] else textwrap.wrap(
            row[wide], widths[wide], break_long_words=False, break_on_hyphens=False)
        cells = [cell.ljust(w) if j <= wide else cell.rjust(w)
                 for j, (cell, w) in enumerate(zip(row, widths, strict=True))]
        cells[wide] = wrapped[0].ljust(widths[wide])
        lines.append(GAP.join(cells).rstrip())
        indent = sum(widths[:wide]) + len(GAP) * wide
        lines.extend(" " * indent + more for more in wrapped[1:])
    return "\n".join(lines)


def mjml_to_text(mjml: str, is_token: Callable[[str], bool] = lambda w: False,
                 tokens: Callable[[str], str] | None = None) -> str:
    """The plain-text part for an MJML document (see the module docstring). ``tokens``
    (a compilation's :meth:`~tplkit.deferred.Slots.token`) lets tables holding runtime
    values be laid out per message."""
    out = _Out(is_token, tokens)
    _walk(parse(mjml), out)
    return out.result()
