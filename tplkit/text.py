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

A line holding values is wrapped per message, after the values are in: :class:`LinePlan`
and :func:`greedy` make that cheap (see :mod:`tplkit.textgen`), and :func:`finish_text`
is the reference they equal.
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from html import unescape
from html.parser import HTMLParser

WIDTH = 78
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


def rewrap(text: str) -> str:
    """Wrap every line longer than 78 characters (URLs are never broken)."""
    if len(text) <= WIDTH:
        return text
    lines = text.split("\n")
    if max(map(len, lines)) <= WIDTH:
        return text
    return "\n".join([wrap(line) if len(line) > WIDTH else line for line in lines])


BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def finish_text(s: str) -> str:
    """The finished text part: long lines wrapped, and runs of blank lines (left by false
    runtime conditions) become one."""
    return finish_wrapped(rewrap(s))


def finish_wrapped(s: str, blank_runs: bool = True) -> str:
    """:func:`finish_text` for a text whose lines are already wrapped. ``blank_runs=False``
    says the text cannot hold a run of blank lines (the compiled text part knows when)."""
    s = s.strip()
    if blank_runs and BLANK_RUN.search(s) is not None:  # a search is far cheaper than a sub
        s = BLANK_RUN.sub("\n\n", s)
    return s + "\n"


def wrap(line: str) -> str:
    line = line.strip()
    if len(line) <= WIDTH:
        return line
    if TEXTWRAP_SPACE.search(line) is None:  # words apart by single spaces, as textwrap sees it
        return greedy(line)[0]
    return textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False)


def greedy(line: str) -> tuple[str, int]:
    """``textwrap.fill`` (no broken words) for a line whose only white space is single
    ASCII spaces (see :func:`simple`), and the length of its last line.

    Each line is the longest run of at most WIDTH characters that ends before a space,
    found by one ``rfind`` instead of word by word (a word longer than a line stands
    alone): the text part is wrapped for every message.
    """
    size = len(line)
    if size <= WIDTH:
        return line, size
    out, start = [], 0
    while size - start > WIDTH:
        cut = line.rfind(" ", start, start + WIDTH + 1)
        if cut <= start:   # the next word is longer than a line
            cut = line.find(" ", start)
            if cut < 0:
                break
        out.append(line[start:cut])
        start = cut + 1
    out.append(line[start:])
    return "\n".join(out), size - start


# What keeps greedy from wrapping as textwrap does: ASCII white space other than single
# spaces, and a "word" made only of other white space (textwrap splits on ASCII white space
# only, so a no-break space is part of a word for both; but it drops a word that
# str.strip() empties at the start or end of a line).
TEXTWRAP_SPACE = re.compile(r"[\t\n\x0b\x0c\r]|  |(?:^| )[^\S ]+(?= |$)")


# The test behind simple(), as source on a string ``{s}``: simple() is built from it and the
# generated render code inlines it per value (tplkit.codegen), so the two cannot drift apart.
SIMPLE_TEST = ("({s}.strip() == {s} != '' and "
               "({s}.isprintable() and '  ' not in {s} or _tw_space({s}) is None))")


simple: Callable[[str], bool] = eval(  # noqa: S307 - the constant above, nothing else
    f"lambda s: {SIMPLE_TEST.format(s='s')}", {"_tw_space": TEXTWRAP_SPACE.search})
simple.__doc__ = """Non-empty, no white space at either end, and words apart by single ASCII
spaces only (as textwrap sees white space): what :func:`greedy` wraps exactly like textwrap."""


# static words between two values worth wrapping once per line length (shorter stretches
# are cheaper to wrap again with the values around them)
_SPLIT = 2 * WIDTH
FILL = ["x" * n + " " for n in range(WIDTH + 2)]   # a stand-in for a line n characters long


class LinePlan:
    """How to wrap one line of a compiled text part: values between static text.

    ``statics`` are the static texts around the line's values (one more than values).
    Greedy wrapping decides word by word from the left, so what static words do depends
    only on how long the line is when they start. The prefix's finished lines are wrapped
    once, here; long stretches of static words (the suffix, and long text between two
    values) are wrapped once per starting length and kept (:meth:`pack`). A message only
    wraps the *runs*: the values with the static text next to them.

    The line is ``head + runs[0] + inners[0] + runs[1] + ... + runs[-1] + rest``. Each
    run is a list of static strings and value indexes. The generated render code (see
    :mod:`tplkit.textgen`) does the per-message part; the result equals :func:`rewrap`
    of the whole line whenever ``fast`` holds and every value is :func:`simple`, and
    the code takes :func:`rewrap` otherwise.
    """

    def __init__(self, statics: Sequence[str]) -> None:
        prefix, suffix = statics[0], statics[-1]
        cut = prefix.rfind(" ")
        self.head, before = (prefix[:cut], prefix[cut:]) if cut > 0 else ("", prefix)
        cut = suffix.find(" ")
        after, self.rest = (suffix[:cut], suffix[cut:]) if cut >= 0 else (suffix, "")
        runs: list[list[str | int]] = [[before, 0]]
        self.inners: list[str] = []   # each " word ... word "
        for i, text in enumerate(statics[1:-1], start=1):
            first, last = text.find(" "), text.rfind(" ")
            if last - first > _SPLIT:
                runs[-1].append(text[:first])
                self.inners.append(text[first:last + 1])
                runs.append([text[last + 1:]])
            else:
                runs[-1].append(text)
            runs[-1].append(i)
        runs[-1].append(after)
        self.runs = [[x for x in run if x != ""] for run in runs]
        lines = greedy(self.head)[0].split("\n") if simple(self.head) else []
        self.done = "".join(line + "\n" for line in lines[:-1])   # the prefix's finished lines
        self.start = lines[-1] if lines else ""                   # and its last one
        skeleton = self.start + "".join(
            "".join("x" if isinstance(x, int) else x for x in run) + static
            for run, static in zip(self.runs, self.statics, strict=False))
        self.fast = simple(skeleton) and (not self.head or bool(lines))
        self.fixed = len(self.head) + sum(map(len, self.statics))
        self._words = [text.split(" ")[1:-1] if text.endswith(" ") else text.split(" ")[1:]
                       for text in self.statics]
        self.packed: list[dict[int, tuple[str, int]]] = [{} for _ in self.statics]

    @property
    def statics(self) -> list[str]:
        """The static words after each run: the inners, then the rest."""
        return [*self.inners, self.rest]

    def pack(self, k: int, width: int) -> tuple[str, int]:
        """Static words ``k`` (an inner, or -1 for the rest) wrapped after a line ``width``
        characters long, and the length of the line they end on (at most WIDTH + 1)."""
        key, width, out = width, min(width, WIDTH + 1), []
        for word in self._words[k]:
            if width + 1 + len(word) <= WIDTH:
                out.append(" " + word)
                width += 1 + len(word)
            else:
                out.append("\n" + word)
                width = len(word)
        result = ("".join(out), min(width, WIDTH + 1))
        if key <= 2 * WIDTH:   # longer lines hold one long word: rare, and not worth keeping
            self.packed[k][key] = result
        return result


_WS = re.compile(r"[ \t\r\f\v\n]+")  # HTML white space; never NBSP, which CLDR uses on purpose


def _squash(s: str) -> str:
    return _WS.sub(" ", s)


_NEEDS_COLLAPSE = re.compile(r"[\t\r\f\v\n]|  ")


def collapse(s: str) -> str:
    """Collapse runs of (ASCII) white space to one space and strip the ends."""
    if _NEEDS_COLLAPSE.search(s) is None:  # the common case: nothing to collapse
        return s.strip(" ")
    return _WS.sub(" ", s).strip(" ")


def _words(s: str) -> list[str]:
    return [w for w in _WS.split(s) if w]


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
            out.append(_squash(child))
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
