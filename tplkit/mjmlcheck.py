"""Strict MJML validation with MJML's own rules.

mjml-python (MRML) renders whatever it can: a misspelled tag goes into the HTML as a raw
element, a misspelled close tag pulls the following content into a button, an unknown
attribute is dropped, a component in the wrong parent is rendered or silently lost; only an
unbalanced document is an error. MJML's reference implementation has a validator
(``mjml-validator``) whose rules are data in MJML's components: the tags that exist, which
tag may contain which, every component's attributes and their value types. Those rules are
generated into ``mjml_rules.json`` by ``tools/gen_mjml_rules.py`` (the file names MJML's
commit) and applied here, plus the checks MJML's XML parser makes (balanced, matching close
tags; MJML tags inside a component's raw content, which is how a misspelled close shows).

:func:`check` returns :class:`Violation` records with offsets into the MJML text; the
caller maps them to template lines through the source map of a kept compile
(:mod:`tplkit.stages`).
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MjmlValidationError

RULES_FILE = Path(__file__).with_name("mjml_rules.json")

# rule ids, shared with the linter
UNKNOWN_TAG = "mjml-unknown-tag"
CLOSE_TAG = "mjml-close-tag"
PARENT = "mjml-parent"
UNKNOWN_ATTRIBUTE = "mjml-unknown-attribute"
ATTRIBUTE_VALUE = "mjml-attribute-value"
RULE_IDS = (UNKNOWN_TAG, CLOSE_TAG, PARENT, UNKNOWN_ATTRIBUTE, ATTRIBUTE_VALUE)


@dataclass(frozen=True)
class Violation:
    """One breach of MJML's rules at ``offset`` (0-based) in the checked MJML text."""

    rule: str
    offset: int
    message: str
    related: int | None = None   # the other tag a close-tag problem refers to ("{related}")

    def text(self, where: str) -> str:
        """The message with the related tag's place filled in."""
        return self.message.replace("{related}", where)


@functools.cache
def rules() -> dict[str, Any]:
    """The generated rules (see ``tools/gen_mjml_rules.py``)."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


# --- value types, as mjml-core/src/types/*.js define them ---------------------------------------

_TYPE_CALL = re.compile(r"^(\w+)(?:\(([^)]*)\))?(?:\{([^}]*)\})?$")


@functools.cache
def _type_checker(spec: str):
    """(is_valid, description) for an MJML type such as ``unit(px,%){1,4}``."""
    m = _TYPE_CALL.match(spec)
    if m is None:
        raise ValueError(f"unknown MJML type {spec!r}")
    kind, params, count = m.group(1), m.group(2) or "", m.group(3)
    if kind == "string":
        return (lambda v: True), "string"
    if kind == "boolean":
        return (lambda v: v.lower() in ("true", "false")), "boolean (true or false)"
    if kind == "integer":
        rx = re.compile(r"\d+")
        return (lambda v: rx.search(v) is not None), "integer"
    if kind == "enum":
        options = params.split(",")
        return (lambda v: v in options), f"Enum, only accepts {', '.join(options)}"
    if kind == "color":
        named = frozenset(rules()["colors"])
        loose = [re.compile(r"rgba\(\d{1,3},\s?\d{1,3},\s?\d{1,3},\s?\d(\.\d{1,3})?\)", re.I),
                 re.compile(r"rgb\(\d{1,3},\s?\d{1,3},\s?\d{1,3}\)", re.I)]
        hexa = re.compile(r"^#([0-9a-f]{3}){1,2}$", re.I)
        return (lambda v: v in named or bool(hexa.match(v)) or any(r.search(v) for r in loose)), \
            "Color"
    if kind in ("unit", "unitWithNegative"):
        units = params.split(",")
        args = count.split(",") if count else ["1"]
        auto = "|auto" if "auto" in units else ""
        neg = "-|" if kind == "unitWithNegative" else ""
        alts = "|".join(re.escape(u) for u in units if u != "auto")
        rx = re.compile(rf"^((({neg}\d|,|\.){{1,}}({alts})|0{auto})( )?){{{','.join(args)}}}$")
        return (lambda v: rx.match(v) is not None), \
            f"Unit, only accepts ({', '.join(units)}) units and {' to '.join(args)} value(s)"
    raise ValueError(f"unknown MJML type {spec!r}")


# --- the parser -----------------------------------------------------------------------------------

_VALUE = r"""(?:"[^"]*"|'[^']*'|[^\s"'>]+)"""
_ATTRS = rf"""((?:\s+[^\s=/>]+(?:\s*=\s*{_VALUE})?)*)"""
_TAG = re.compile(rf"""<(/?)([A-Za-z][\w.:-]*){_ATTRS}\s*(/?)>""")
START_TAG = re.compile(rf"""<([A-Za-z][\w.:-]*){_ATTRS}\s*/?>""")
"""A start tag: name, then the attributes (as MJML and HTML write them)."""
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
SKIP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_MJ_IN_RAW = re.compile(r"<(/?)(mj-[\w-]+|mjml)\b[^>]*>")
DYNAMIC = re.compile(r"TPLSLOT\d+X|\{[{%#]")   # a per-recipient value: checked when rendered


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.rules = rules()
        self.comps: dict[str, Any] = self.rules["components"]
        self.out: list[Violation] = []
        self.stack: list[tuple[str, int]] = []
        self.misclosed: list[str] = []   # closed by a misspelled close tag: its real close follows

    def add(self, rule: str, offset: int, message: str, related: int | None = None) -> None:
        self.out.append(Violation(rule, offset, message, related))

    def known(self, tag: str) -> bool:
        return tag in self.comps or tag in self.rules["component_less_tags"] \
            or tag in self.rules["skip_elements"]

    def run(self) -> list[Violation]:
        pos = 0
        while True:
            top = self.stack[-1][0] if self.stack else None
            if top in self.comps and self.comps[top]["ending_tag"]:
                pos = self.raw_content(top, pos)
                continue
            m = self.next_tag(pos)
            if m is None:
                break
            pos = m.end()
            closing, tag, attrs, selfclosing = m.groups()
            if closing:
                self.close(tag, m.start())
            else:
                self.open(tag, m.start(), attrs, m.start(3))
                if not selfclosing:
                    self.stack.append((tag, m.start()))
        for tag, start in reversed(self.stack):
            self.add(CLOSE_TAG, start, f"<{tag}> is never closed")
        return sorted(self.out, key=lambda v: v.offset)

    def next_tag(self, pos: int) -> re.Match | None:
        while True:
            lt = self.text.find("<", pos)
            if lt < 0:
                return None
            skip = SKIP.match(self.text, lt)
            if skip:
                pos = skip.end()
                continue
            m = _TAG.match(self.text, lt)
            if m:
                return m
            pos = lt + 1

    def raw_content(self, tag: str, pos: int) -> int:
        """Inside an ending tag (mj-text, mj-button, ...) the content is HTML up to the close
        tag; an MJML tag there means a close tag was misspelled or forgotten."""
        while True:
            m = _MJ_IN_RAW.search(self.text, pos)
            if m and SKIP.search(self.text, pos, m.start()):
                pos = SKIP.search(self.text, pos, m.start()).end()  # type: ignore[union-attr]
                continue
            if m is None:
                self.stack.pop()
                self.add(CLOSE_TAG, len(self.text), f"<{tag}> is never closed")
                return len(self.text)
            closing, name = m.group(1), m.group(2)
            opened = self.stack[-1][1]
            if closing and name == tag:
                self.stack.pop()
                return m.end()
            if closing and any(t == name for t, _ in self.stack):
                # the cause is the element left open: reported there, naming the close tag
                self.add(CLOSE_TAG, opened, f"<{tag}> is never closed: </{name}> ({{related}}) "
                         f"comes inside its content; close it with </{tag}> first", m.start())
                self.stack.pop()
                return m.start()   # the close tag is processed for its own element
            if closing:
                self.add(CLOSE_TAG, m.start(), f"</{name}> does not close <{tag}> ({{related}})"
                         f"{_suggest(name, [tag])}: the content after it would be part of "
                         f"<{tag}>", opened)
                self.stack.pop()
                self.misclosed.append(tag)
                return m.end()
            self.add(CLOSE_TAG, opened, f"<{tag}> is never closed: <{name}> ({{related}}) comes "
                     f"inside its content", m.start())
            self.stack.pop()
            return m.start()

    def close(self, tag: str, offset: int) -> None:
        names = [t for t, _ in self.stack]
        if names and names[-1] == tag:
            self.stack.pop()
            return
        if tag in names:
            while self.stack[-1][0] != tag:
                t, start = self.stack.pop()
                self.add(CLOSE_TAG, start, f"<{t}> is not closed before </{tag}>")
            self.stack.pop()
            return
        if tag in self.misclosed:  # the consequence of a misspelled close, already reported
            self.misclosed.remove(tag)
            return
        want = f", expected </{names[-1]}>" if names else ""
        self.add(CLOSE_TAG, offset, f"</{tag}> closes nothing{want}"
                 f"{_suggest(tag, names[-1:]) if names else ''}")
        if names and not self.known(tag):
            self.stack.pop()   # a misspelled close of the open element

    def open(self, tag: str, offset: int, attrs: str, attrs_offset: int) -> None:
        if tag in self.rules["skip_elements"]:
            return
        parent = self.stack[-1][0] if self.stack else None
        comp = self.comps.get(tag)
        if comp is None:
            if tag not in self.rules["component_less_tags"]:
                self.add(UNKNOWN_TAG, offset, f"<{tag}> is not an MJML tag"
                         f"{_suggest(tag, [*self.comps, *self.rules['component_less_tags']])}")
            return
        pcomp = self.comps.get(parent) if parent else None
        if pcomp is not None:
            allowed = self.rules["children"].get(parent, [])
            if "*" not in allowed and tag not in allowed:
                where = [p for p, kids in self.rules["children"].items() if tag in kids]
                self.add(PARENT, offset, f"<{tag}> cannot be used inside <{parent}>, only inside: "
                         f"{', '.join(where)}")
        known = comp["attributes"]
        for m in _ATTR.finditer(attrs):
            name, raw = m.group(1), m.group(2)
            at = attrs_offset + m.start()
            if name not in known and name not in self.rules["global_attributes"]:
                self.add(UNKNOWN_ATTRIBUTE, at, f"attribute {name} is not allowed on <{tag}>"
                         f"{_suggest(name, [*known, *self.rules['global_attributes']])}")
                continue
            if raw is None or name not in known:
                continue
            value = raw[1:-1] if raw[:1] in "\"'" else raw
            if DYNAMIC.search(value):
                continue
            valid, what = _type_checker(known[name])
            if not valid(value.strip()):
                self.add(ATTRIBUTE_VALUE, at, f"attribute {name} of <{tag}> has invalid value "
                         f"{value!r} for type {what}")


_TAG_LIKE = re.compile(r"<(?:[A-Za-z/]|!--|!\[CDATA\[)")
_QUOTED_TAG = re.compile(r"""</?[A-Za-z][\w.:-]*(?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*\s*/?>""")


def first_malformed(mjml: str) -> int | None:
    """Offset of the first tag, comment or CDATA section MRML cannot parse (an unquoted
    attribute value, a missing ``>``, an unterminated comment); MRML does not say where."""
    for m in _TAG_LIKE.finditer(mjml):
        if m.group(0).startswith("<!"):
            if not SKIP.match(mjml, m.start()):
                return m.start()
        elif not _QUOTED_TAG.match(mjml, m.start()):
            return m.start()
    return None


def check(mjml: str) -> list[Violation]:
    """Every breach of MJML's rules in ``mjml``, in document order."""
    return _Checker(mjml).run()


# --- located problems and the compile-time gate ---------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A :class:`Violation` at its cause: template (or catalog) file, line, column, locale."""

    rule: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    locale: str | None = None


def locate(violations: list[Violation], mjml: str, smap: Any | None) -> list[Problem]:
    """Map violations in built MJML to source positions through the build's source map."""
    def where(offset: int, relative_to: Any) -> str:
        pos = smap.position(offset) if smap is not None else None
        if pos is None:
            return f"line {mjml.count(chr(10), 0, offset) + 1} of the built MJML"
        if relative_to is not None and pos.file == relative_to.file:
            return f"line {pos.line}"
        return f"{'/'.join(Path(pos.file or '?').parts[-2:])}:{pos.line}"

    out = []
    for v in violations:
        pos = smap.position(v.offset) if smap is not None else None
        related = where(v.related, pos) if v.related is not None else ""
        if pos is None:
            out.append(Problem(v.rule, f"{v.text(related)} ({where(v.offset, None)})", None, None, None))
        else:
            out.append(Problem(v.rule, v.text(related), pos.file, pos.line, pos.column, pos.locale))
    return out


_MRML_POS = re.compile(r"at position (\d+):(\d+)")


def mrml_offset(message: str, mjml: str) -> int | None:
    """Where in ``mjml`` MRML's complaint ``message`` is: the start of the byte span it names,
    or, when it names none, the first tag, comment or CDATA section it cannot parse."""
    m = _MRML_POS.search(message)
    if m:
        return len(mjml.encode("utf-8")[:int(m.group(1))].decode("utf-8", "replace"))
    return first_malformed(mjml)


def require_valid(mjml: str, smap: Any | None, *, template: str, locale: str) -> None:
    """Raise :class:`~tplkit.errors.MjmlValidationError` if the built MJML breaks MJML's rules:
    a template that would lose or misplace content never renders silently. ``smap`` (the
    build's :class:`~tplkit.sourcemap.SourceMap`, from a kept compile) places each problem
    at its template or catalog line."""
    violations = check(mjml)
    if not violations:
        return

    found = locate(violations, mjml, smap)
    first = found[0]
    more = f" (and {len(found) - 1} more MJML problem(s))" if len(found) > 1 else ""
    raise MjmlValidationError(f"invalid MJML: {first.message}{more}", found, mjml=mjml,
                              template=template, locale=first.locale or locale,
                              file=first.file, line=first.line, column=first.column, part="html")
