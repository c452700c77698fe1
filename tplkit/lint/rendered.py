"""Rendered rules: checks on ``kit.render(...)`` output, per template × locale × sample.

Each rule is a small function ``(RenderContext) -> Iterable[Hit]``. Findings point back to the
source line where it can be known: the text is looked up in the template's files, the shared
layouts and components, the locale's catalogs and the brand config.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import computed
from .document import Document
from .located import locate
from .model import Hit

SUBJECT_MAX = 60        # what phone inboxes show; checked with the longest values allowed too
PREHEADER_MAX = 140     # inbox previews show roughly 40-140 characters


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
                              **_gap_at(ctx, name, part))
                    break


def _gap_at(ctx: RenderContext, name: str, part: str) -> dict[str, Any]:
    """Where the value that leaves the gap is put in: where the kept compile's build of this
    part prints it (a ``{{ name }}``, or the msgstr / trans block that inserts it); else the
    placeholder's first use."""
    pos = ctx.where("value", part, name)
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
