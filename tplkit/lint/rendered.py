"""Rendered rules: checks on ``kit.render(...)`` output, per template × locale × sample.

Each rule is a small function ``(RenderContext) -> Iterable[Hit]``. Findings point back to the
source line where it can be known: the text is looked up in the template's files, the shared
layouts and components, the locale's catalogs and the brand config.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from .. import computed, formatting
from .model import Hit

SUBJECT_MAX = 60        # what phone inboxes show; checked with the longest values allowed too
PREHEADER_MAX = 140     # inbox previews show roughly 40-140 characters
GMAIL_CLIP = 102 * 1024  # Gmail hides everything after ~102 KB of HTML behind "View entire message"
GMAIL_WARN = 90 * 1024
MIN_CONTRAST = 4.5      # WCAG 2.x AA for normal-size text


# --- the rendered HTML, parsed once --------------------------------------------------------------

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


# --- the context -----------------------------------------------------------------------------

@dataclass
class RenderContext:
    """One rendered email and what is needed to explain it."""

    kit: Any
    info: Any                                # TemplateInfo
    locale: str
    sample: str
    values: dict
    email: Any                               # RenderedEmail
    doc: Document
    uses: dict[str, tuple[str, int]]         # placeholder -> first (file, line) in the source
    render: Callable[[dict], Any]            # render this template/locale with other values
    first_sample: bool = True
    _located: Any = field(default=None, repr=False)

    def source(self) -> Any:
        """The :class:`~tplkit.lint.located.Located` of this email (built on first use)."""
        if self._located is None:
            from .located import locate

            self._located = locate(self.kit, self.info, self.locale, self.values) or False
        return self._located or None

    def place(self, pos: Any, part: str) -> dict[str, Any]:
        """Hit location for a source position; the part's file (no line) when unknown."""
        if pos is not None and pos.file:
            return {"file": pos.file, "line": pos.line, "column": pos.column,
                    "locale": pos.locale}
        return {"file": self.part_file(part)}

    def where(self, method: str, *args: Any) -> Any:
        """``located.method(*args)`` (a :class:`~tplkit.lint.located.Located` position) for this
        email, built only when a rule has a finding to place; None when it cannot be built."""
        src = self.source()
        return getattr(src, method)(*args) if src is not None else None

    def text_at(self, part: str, *needles: str) -> dict[str, Any]:
        """Hit location for text found in ``part`` (see :meth:`Located.text`)."""
        return self.place(self.where("text", part, *needles), part)

    def part_file(self, part: str) -> str:
        f = self.info.file(part)
        return str(f if f.is_file() else self.info.file("html"))


def _parts(ctx: RenderContext, html: bool = False, email: Any = None) -> list[tuple[str, str]]:
    email = email or ctx.email
    out = [("subject", email.subject), ("preheader", email.preheader), ("text", email.text)]
    if html:
        out.append(("html", "\n".join([ctx.doc.visible, *ctx.doc.attr_values])))
    return out


# --- rules -----------------------------------------------------------------------------------

_LEFTOVER = re.compile("|".join((
    r"\{\{.*?\}\}", r"\{%.*?%\}", r"\{\{|\}\}|\{%|%\}",          # Jinja
    r"%\(\w+\)[sdif]",                                            # Python/gettext
    r"\*\|[A-Z0-9_:]+\|\*",                                       # Mailchimp merge tags
    r"\[(?:[A-Z][a-z]+|[A-Z]{2,})(?:[ _][A-Za-z]+)+\]",           # [Customer name], [FIRST_NAME]
    r"\$\{\w+\}", r"\{\{?\s*[a-z_]+\s*\}?\}",                     # ${name}, {name}
    r"TPLSLOT\d+X", r"%7[Bb]%7[Bb]", r"%7[Bb]%25",               # tplkit's own, URL-encoded Jinja
)))


def leftover_placeholder(ctx: RenderContext) -> Iterable[Hit]:
    """Unfilled placeholder syntax in the subject, preheader, text or HTML: one finding per
    token, naming every part it shows in."""
    found: dict[str, list[str]] = {}
    for part, text in _parts(ctx, html=True):
        for m in _LEFTOVER.finditer(text):
            token = m.group(0)
            if part == "html" and token.startswith("{") and not token.startswith(("{{", "{%")):
                continue  # "{name}"-style only in plain parts (HTML text may hold CSS-like braces)
            if part not in found.setdefault(token, []):
                found[token].append(part)
    for token, parts in found.items():
        # located in the part it was written in: the subject/preheader, else the body
        first = next(p for p in ("subject", "preheader", "html", "text") if p in parts)
        yield Hit(f"leftover placeholder {token!r} in the {' and '.join(parts)}",
                  **ctx.text_at(first, token))


_PUNCT_AFTER = ",.;:!?)»”"
_PAIRS = {"(": ")", "[": "]", "«": "»", "“": "”", "„": "“", '"': '"'}


def _bad_seam(left: str, right: str) -> bool:
    if left.endswith((" ", "\t")) and right[:1] in _PUNCT_AFTER and right[:1]:
        return True
    if left.endswith(" ") and right.startswith(" "):
        return True
    if left[-1:] in _PAIRS and right[:1] == _PAIRS[left[-1:]]:
        return True
    return not left.strip() and right.strip()[:1] in tuple(_PUNCT_AFTER)


def empty_substitution(ctx: RenderContext) -> Iterable[Hit]:
    """An optional value left empty leaves a gap: "Hello ,", "()", a line starting with ","."""
    if not ctx.first_sample:
        return
    schema = ctx.kit.compile(ctx.info.name, ctx.locale).schema
    mark = "QZXEMPTYQZX"
    read = computed.inputs(ctx.info.placeholders)   # a category or a zone name, not shown
    for name, ph in ctx.info.placeholders.items():
        if ph.type != "text" or ph.required or name in schema.defaults or name in read:
            continue
        marked = ctx.render({**ctx.values, name: mark})
        empty = ctx.render({k: v for k, v in ctx.values.items() if k != name})
        for part in ("subject", "preheader", "text"):
            full, gap = getattr(marked, part), getattr(empty, part)
            for m in re.finditer(mark, full):
                left = full[:m.start()].rsplit("\n", 1)[-1][-25:]
                right = full[m.end():].split("\n", 1)[0][:12]
                if (left + right) in gap and _bad_seam(left, right):
                    yield Hit(f"with {name!r} empty the {part} reads "
                              f"{(left + right).strip()!r}; put it in an {{% if {name} %}}",
                              **_gap_at(ctx, name, mark, part))
                    break


def _gap_at(ctx: RenderContext, name: str, mark: str, part: str) -> dict[str, Any]:
    """Where the value that leaves the gap is put in: the marked value's position in the
    mapped build of this part (a ``{{ name }}``, or the msgstr / trans block that inserts it);
    else the placeholder's first use."""
    from .located import locate

    src = locate(ctx.kit, ctx.info, ctx.locale, {**ctx.values, name: mark})
    pos = src.text(part, mark) if src is not None else None
    if pos is not None and pos.file:
        return ctx.place(pos, part)
    file, line = ctx.uses.get(name, (ctx.part_file(part), None))
    return {"file": file, "line": line}


def _missing(ctx: RenderContext, part: str, why: str = "") -> Iterable[Hit]:
    if not getattr(ctx.email, part).strip():
        yield Hit(f"the {part} is empty{why}", ctx.part_file(part), 1)


def _too_long(ctx: RenderContext, part: str, limit: int) -> Iterable[Hit]:
    """Too long: at the msgstr that makes most of it when it is translated text, else at the
    part's file."""
    text = getattr(ctx.email, part)
    if len(text) > limit:
        pos = ctx.where("catalog_origin", part)
        where = ctx.place(pos, part) if pos else {"file": ctx.part_file(part), "line": 1}
        yield Hit(f"the {part} is {len(text)} characters long (at most {limit}): {text[:40]!r}…",
                  **where)


def subject_missing(ctx: RenderContext) -> Iterable[Hit]:
    """The subject is empty."""
    return _missing(ctx, "subject")


def longest_values(info: Any, values: dict) -> tuple[dict, list[str]]:
    """``values`` with each text placeholder the sample sets at its ``max_length`` (a capital
    letter repeated, a different one per placeholder), and the names so lengthened: what a
    subject must fit."""
    out = dict(values)
    names: list[str] = []
    for name, ph in info.placeholders.items():
        if ph.type == "text" and ph.max_length and values.get(name):
            out[name] = "WMHNKQUDOB"[len(names) % 10] * int(ph.max_length)
            names.append(name)
    return out, names


def subject_length(ctx: RenderContext) -> Iterable[Hit]:
    """The subject is longer than most inboxes show, with the sample's values or with the
    longest each placeholder allows (``max_length``)."""
    found = list(_too_long(ctx, "subject", SUBJECT_MAX))
    yield from found
    longest, names = longest_values(ctx.info, ctx.values)
    if found or not names:
        return
    subject = ctx.render(longest).subject
    if len(subject) > SUBJECT_MAX:
        allowed = ", ".join(f"{n}: {longest[n] and len(longest[n])}" for n in names
                            if longest[n] in subject) or ", ".join(names)
        yield Hit(f"the subject is {len(subject)} characters long (at most {SUBJECT_MAX}) with the "
                  f"longest values allowed ({allowed} characters): {subject[:40]!r}…",
                  ctx.part_file("subject"), 1)


def preheader_missing(ctx: RenderContext) -> Iterable[Hit]:
    """The preheader is empty, so inboxes preview the first words of the body instead."""
    return _missing(ctx, "preheader", " (inboxes will preview the first words of the body)")


def preheader_length(ctx: RenderContext) -> Iterable[Hit]:
    """The preheader is longer than inbox previews show."""
    return _too_long(ctx, "preheader", PREHEADER_MAX)


def gmail_clipping(ctx: RenderContext) -> Iterable[Hit]:
    """HTML over 102 KB is clipped by Gmail (an error); over 90 KB is close to it (a warning)."""
    size = len(ctx.email.html.encode("utf-8"))
    if size > GMAIL_WARN:
        over = size > GMAIL_CLIP
        yield Hit(f"the HTML is {size / 1024:.1f} KB; Gmail clips messages over 102 KB"
                  + ("" if over else " (keep a margin)"), ctx.part_file("html"),
                  severity="error" if over else "warning")




def image_alt(ctx: RenderContext) -> Iterable[Hit]:
    """An image without an alt attribute (use alt="" for decorative images)."""
    for i, img in enumerate(ctx.doc.images):
        if "alt" in img:
            continue
        name = (img.get("src") or "").rsplit("/", 1)[-1][:60]
        yield Hit(f"image {name!r} has no alt attribute (alt=\"\" if decorative)",
                  **ctx.place(ctx.where("image", i), "html"))


def lang_dir(ctx: RenderContext) -> Iterable[Hit]:
    """``<html lang dir>`` must match the locale (screen readers and RTL layout depend on it)."""
    attrs = ctx.doc.html_attrs
    want_lang, want_dir = formatting.html_lang(ctx.locale), formatting.text_direction(ctx.locale)
    lang = attrs.get("lang", "")
    if lang.replace("_", "-").split("-")[0].lower() != want_lang.split("-")[0].lower():
        yield Hit(f'<html lang="{lang}"> does not match the locale (write lang="{{{{ lang }}}}", '
                  f'which each locale fills in)', **ctx.place(ctx.where("root", "lang"), "html"))
    if attrs.get("dir", "ltr").lower() != want_dir:
        yield Hit(f'<html dir="{attrs.get("dir", "")}"> does not match the locale\'s direction '
                  f'{want_dir} (write dir="{{{{ dir }}}}")',
                  **ctx.place(ctx.where("root", "dir"), "html"))


def link_scheme(ctx: RenderContext) -> Iterable[Hit]:
    """Links to ``javascript:``, ``data:``, empty or ``#`` are errors; plain ``http:`` a warning."""
    for i, link in enumerate(ctx.doc.links):
        href = link.href.strip()
        scheme = href.split(":", 1)[0].lower() if ":" in href else ""
        # the label is left out of the message: it differs per locale, the defect does not
        if not href or href == "#":
            msg, sev = f"a link has an empty href {href!r}", "error"
        elif scheme in ("javascript", "data", "vbscript"):
            msg, sev = f"a link uses the unsafe {scheme}: scheme", "error"
        elif scheme == "http":
            msg, sev = f"a link uses http: ({href[:60]}); use https:", "warning"
        else:
            continue
        yield Hit(msg, severity=sev, **ctx.place(ctx.where("link", i, "href"), "html"))


_NAMED = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "blue": "#0000ff",
          "green": "#008000", "gray": "#808080", "grey": "#808080", "yellow": "#ffff00",
          "orange": "#ffa500"}


def parse_color(value: str | None) -> tuple[float, float, float] | None:
    """#rgb, #rrggbb, rgb(r, g, b) or a few colour names as 0..255 floats."""
    if not value:
        return None
    v = value.strip().lower().split()[0] if value.strip() else ""
    v = _NAMED.get(v, v)
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", v)
    if m:
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return tuple(float(int(h[i:i + 2], 16)) for i in (0, 2, 4))  # type: ignore[return-value]
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,[^)]*)?\)", value.strip().lower())
    if m:
        return tuple(float(x) for x in m.groups())  # type: ignore[return-value]
    return None


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2.x contrast ratio between two sRGB colours."""
    def lum(c: tuple[float, float, float]) -> float:
        ch = [x / 255 for x in c]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _buttons(ctx: RenderContext) -> list[tuple[int, Link]]:
    """Links drawn as buttons (with a background), with their index among all links."""
    return [(i, link) for i, link in enumerate(ctx.doc.links) if link.background]


def button_contrast(ctx: RenderContext) -> Iterable[Hit]:
    """Button text against its background below WCAG AA (4.5:1)."""
    seen = set()
    for i, link in _buttons(ctx):
        fg, bg = parse_color(link.color), parse_color(link.background)
        if fg is None or bg is None or (fg, bg) in seen:
            continue
        seen.add((fg, bg))
        ratio = contrast_ratio(fg, bg)
        if ratio < MIN_CONTRAST:
            yield Hit(f"button text {link.color} on {link.background} has contrast {ratio:.2f}:1 "
                      f"(WCAG AA needs {MIN_CONTRAST}:1)",
                      **ctx.place(ctx.where("link", i, "background-color", "color"), "html"))


GENERIC_LINK_TEXT = {
    "en": {"click here", "here", "click", "read more", "more", "link", "this link", "learn more"},
    "de": {"hier klicken", "hier", "klicken sie hier", "mehr", "weiter", "link"},
    "fr": {"cliquez ici", "ici", "en savoir plus", "plus", "lien"},
    "es": {"haga clic aquí", "haz clic aquí", "aquí", "más", "enlace"},
    "it": {"clicca qui", "qui", "di più", "link"},
    "pt": {"clique aqui", "aqui", "mais", "link"},
    "nl": {"klik hier", "hier", "meer", "link"},
    "pl": {"kliknij tutaj", "tutaj", "tu", "więcej", "link"},
    "ru": {"нажмите здесь", "здесь", "тут", "по ссылке", "ссылка", "подробнее"},
    "uk": {"натисніть тут", "тут", "тут.", "за посиланням", "посилання", "детальніше"},
    "tr": {"buraya tıklayın", "burada", "tıklayın", "daha fazla"},
    "ar": {"انقر هنا", "اضغط هنا", "هنا", "المزيد", "رابط"},
}


def generic_link_text(ctx: RenderContext) -> Iterable[Hit]:
    """Link text such as "click here" says nothing out of context (and to screen readers)."""
    lang = ctx.locale.split("_")[0]
    generic = GENERIC_LINK_TEXT.get(lang, set()) | GENERIC_LINK_TEXT["en"]
    for i, link in enumerate(ctx.doc.links):
        label = " ".join(link.text.split())
        if label.lower().strip(" .!:…»›→") in generic:
            yield Hit(f"link text {label!r} does not say where it leads",
                      **ctx.place(ctx.where("link_text", i), "html"))


def text_part(ctx: RenderContext) -> Iterable[Hit]:
    """The plain-text part is missing, or lacks a call-to-action URL that the HTML has."""
    text = ctx.email.text
    if not text.strip():
        yield Hit("the plain-text part is empty", ctx.part_file("text"))
        return
    written = ctx.info.has_text_body()
    for i, link in _buttons(ctx):
        if link.href.startswith(("http:", "https:")) and link.href not in text:
            label = " ".join(link.text.split())
            # a written text part lacks it; a derived one lost the button: point at the button
            where = {"file": ctx.part_file("text")} if written else \
                ctx.place(ctx.where("link", i), "html")
            yield Hit(f"the button {label!r} links to {link.href[:80]} but the text part does not "
                      f"have that URL", **where)


def contacts_missing(ctx: RenderContext) -> Iterable[Hit]:
    """The brand's phone or email is missing from the HTML or the text part."""
    brand = ctx.kit.brand
    for attr in ("phone", "email"):
        value = getattr(brand, attr, "")
        if not value:
            continue
        for part, text in (("html", ctx.doc.visible), ("text", ctx.email.text)):
            if value not in text:
                yield Hit(f"the brand {attr} {value!r} is missing from the {part} part",
                          ctx.part_file(part))


_URL = re.compile(r"\b(?:https?|mailto|tel):[^\s<>()\"«»]+")
_TYPO = [
    (re.compile(r"(?<=\S) {2,}(?=\S)"), "double space"),
    (re.compile(r"(?<=[^\W\d_]) +[,.;:!?](?=\s|$)"), "space before punctuation"),
    # same spelling only: "Sie sie" (formal German: "können Sie sie herunterladen") is correct
    (re.compile(r"\b([^\W\d_]{2,})\s+\1\b"), "repeated word"),
]
# words that are correctly doubled: "had had", "that that"; German relative pronouns after
# articles ("die die Frist"); French reflexives ("nous nous", "vous vous êtes inscrit")
_REPEAT_OK = {"had", "that", "die", "der", "das", "den", "dem", "nous", "vous", "si"}
_SPACE_BEFORE_OK = {"fr"}  # French puts a (thin) space before ; : ! ?


def _without_gaps(ctx: RenderContext) -> Any:
    """The email with every empty optional text value filled in: the gaps such values leave
    are empty-substitution's findings, not typography's."""
    placeholders = getattr(ctx.info, "placeholders", {})
    names = [n for n, ph in placeholders.items()
             if ph.type == "text" and not ph.required and not ctx.values.get(n)]
    if names:
        defaults = ctx.kit.compile(ctx.info.name, ctx.locale).schema.defaults
        names = [n for n in names if n not in defaults]
    if not names:
        return ctx.email
    try:
        return ctx.render({**ctx.values, **dict.fromkeys(names, "Word")})
    except Exception:  # noqa: BLE001 - then check the email as it is
        return ctx.email


def typography(ctx: RenderContext) -> Iterable[Hit]:
    """Double spaces, a space before punctuation, repeated words, unbalanced brackets or quotes.

    One finding per mistake: the same text in several parts (a translation used in the subject
    and the body) is one finding naming the parts."""
    lang = ctx.locale.split("_")[0]
    found: dict[tuple, tuple[list[str], dict[str, Any]]] = {}

    def note(what: str, snippet: str, part: str, *needles: str) -> None:
        where = ctx.text_at(part, *needles)
        key = (what, snippet, where.get("file"), where.get("line"))
        parts = found.setdefault(key, ([], where))[0]
        if part not in parts:
            parts.append(part)

    for part, text in _parts(ctx, email=_without_gaps(ctx)):
        clean = _URL.sub(lambda m: "x" * len(m.group(0)), text)
        for rx, what in _TYPO:
            if what == "space before punctuation" and lang in _SPACE_BEFORE_OK:
                continue
            lines = clean.splitlines()
            for i, line in enumerate(lines):
                for m in rx.finditer(line.strip()):
                    if what == "repeated word" and m.group(1).lower() in _REPEAT_OK:
                        continue
                    if what == "double space" and part == "text" and _aligned(lines, i, line, m):
                        continue
                    start = max(0, m.start() - 12)
                    note(what, line.strip()[start:m.end() + 12], part,
                         line.strip()[start:m.end()], m.group(0))
        # curly quotes pair differently per language (“” en, „“ de, „” pl), so are not counted
        pairs = [("(", ")"), ("[", "]"), ("«", "»"), ('"', '"')]
        for opening, closing in pairs:
            if not _unbalanced(clean, opening, closing):
                continue
            # most likely the first line (a paragraph of the text part) that is unbalanced itself
            line = next((ln.strip() for ln in clean.splitlines()
                         if _unbalanced(ln, opening, closing)), "")
            note(f"unbalanced {opening}{closing}", line[:60], part, line)
    for (what, snippet, _, _), (parts, where) in found.items():
        yield Hit(f"{what} in the {' and '.join(parts)}" + (f": {snippet!r}" if snippet else ""),
                  **where)


def _aligned(lines: list[str], i: int, line: str, m: re.Match) -> bool:
    """Whether the spaces ``m`` found in ``line`` (stripped) separate two columns of a text
    table (tplkit.text.text_table): a line next to it has two spaces at the same place."""
    offset = len(line) - len(line.lstrip())
    a, b = m.start() + offset, m.end() + offset
    return any(0 <= j < len(lines) and any(lines[j][p:p + 2] == "  " for p in range(a, b - 1))
               for j in (i - 1, i + 1))


def _unbalanced(text: str, opening: str, closing: str) -> bool:
    n_open, n_close = text.count(opening), text.count(closing)
    return bool(n_open % 2) if opening == closing else n_open != n_close
