"""Source maps for the build pass: from a position in built output back to its cause.

A *mapped* build renders a template exactly like the normal build pass, with one difference:
the Jinja token stream carries invisible marks. Every line of literal template text is
preceded by a mark naming its file, line and column; every ``{{ ... }}`` by a mark naming
where it is written; every translation is wrapped in marks naming the catalog file and the
line of its ``msgstr`` (where ``msgfmt`` points). After rendering, the marks are removed and
their offsets kept: the output is byte for byte the normal build's, and :class:`SourceMap`
answers "which file, line and column produced character N", including through layouts,
components, macros and translations. Nothing is searched for by its text.

The mapped build is the build pass of a *kept* compile (:mod:`tplkit.stages`: what lint and
the preview read, and what a compile that fails after its build pass is run again as, to
say where): the normal compile path is unchanged and pays nothing for it.
"""
from __future__ import annotations

import bisect
import functools
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2.ext import Extension
from jinja2.lexer import Token

from . import i18n
from .buildpass import BuildEnvironment, SharedBytecode

_SET, _PUSH, _END, _POP = "\ue000", "\ue002", "\ue001", "\ue003"
_MARK = re.compile("\ue000(\\d+)\ue001|\ue002(\\d+)\ue001|\ue003")


@dataclass(frozen=True)
class Origin:
    """Where output text comes from: a template file position or a catalog's msgstr line.

    ``exact`` origins are literal text (the column advances with the output); others are
    the position of the ``{{ }}`` or msgstr that produced a computed value.
    """

    file: str | None
    line: int
    column: int | None = None
    exact: bool = False
    locale: str | None = None
    msgid: str | None = None


@dataclass(frozen=True)
class Position:
    """A resolved position: file, line, column (1-based) and, for catalog text, the locale."""

    file: str | None
    line: int
    column: int | None
    locale: str | None = None


class SourceMap:
    """Offsets in one built part (subject, preheader, MJML, text) -> :class:`Position`."""

    def __init__(self, entries: list[tuple[int, Origin]]) -> None:
        self._offsets = [o for o, _ in entries]
        self._origins = [g for _, g in entries]

    def origin(self, offset: int) -> tuple[Origin, int] | None:
        """The origin in force at ``offset`` and the distance from where it started."""
        i = bisect.bisect_right(self._offsets, offset) - 1
        if i < 0:
            return None
        return self._origins[i], offset - self._offsets[i]

    def position(self, offset: int) -> Position | None:
        """The source position of the output character at ``offset``."""
        found = self.origin(offset)
        if found is None:
            return None
        o, delta = found
        col = o.column + delta if o.exact and o.column is not None else o.column
        return Position(o.file, o.line, col, o.locale)

    def segments(self, length: int) -> list[tuple[int, int, Origin]]:
        """(start, end, origin) of every mapped stretch of an output ``length`` long."""
        ends = [*self._offsets[1:], length]
        return list(zip(self._offsets, ends, self._origins, strict=True))

    def origins(self, start: int, end: int) -> list[Origin]:
        """Every origin contributing to ``[start, end)``, in order, without repeats."""
        i = max(bisect.bisect_right(self._offsets, start) - 1, 0)
        out: list[Origin] = []
        while i < len(self._offsets) and (self._offsets[i] < end or not out):
            if self._origins[i] not in out:
                out.append(self._origins[i])
            i += 1
        return out


def strip(marked: str, origins: list[Origin]) -> tuple[str, SourceMap]:
    """Remove the marks from rendered text; the clean text and its map."""
    out: list[str] = []
    entries: list[tuple[int, Origin]] = []
    stack: list[Origin] = []
    size, pos = 0, 0
    current: Origin | None = None
    for m in _MARK.finditer(marked):
        chunk = marked[pos:m.start()]
        out.append(chunk)
        size += len(chunk)
        pos = m.end()
        if m.group(1) is not None:
            current = origins[int(m.group(1))]
        elif m.group(2) is not None:
            stack.append(current)  # type: ignore[arg-type]
            current = origins[int(m.group(2))]
        else:
            prev = stack.pop() if stack else None
            current = None if prev is None else Origin(prev.file, prev.line, prev.column,
                                                       False, prev.locale, prev.msgid)
        if current is not None:
            if entries and entries[-1][0] == size:
                entries[-1] = (size, current)
            else:
                entries.append((size, current))
    out.append(marked[pos:])
    return "".join(out), SourceMap(entries)


class _Marks(Extension):
    """Puts origin marks into every template's token stream (outside ``{% trans %}``)."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._sources: dict[str | None, str] = {}

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        self._sources[name] = source
        return source

    def filter_stream(self, stream):
        env: Any = self.environment   # a MappedMixin
        src = self._sources.get(stream.name, "")
        file = stream.filename
        cursor, in_trans = 0, False
        pending = None   # a block_begin whose tag name is not seen yet
        line_starts = [0] + [m.end() for m in re.finditer("\n", src)]

        def column(offset: int) -> int:
            return offset - line_starts[bisect.bisect_right(line_starts, offset) - 1] + 1

        for tok in stream:
            if pending is not None:
                begin, pending = pending, None
                if tok.type == "name" and tok.value == "trans" and not in_trans:
                    # an untranslated message prints the template's own text: mark the block
                    start = src.find("{%", cursor)
                    col = None
                    if start >= 0:
                        cursor, col = start + 2, column(start)
                    yield Token(begin.lineno, "data", env.mark(Origin(file, begin.lineno, col)))
                    in_trans = True
                elif tok.type == "name" and tok.value == "endtrans":
                    in_trans = False
                yield begin
            if tok.type == "block_begin":
                pending = tok
                continue
            if in_trans:
                yield tok
                continue
            if tok.type == "data":
                start = src.find(tok.value, cursor)
                if start >= 0:
                    cursor = start + len(tok.value)
                line = tok.lineno
                col = column(start) if start >= 0 else None
                for piece in tok.value.splitlines(keepends=True):
                    yield Token(line, "data", env.mark(Origin(file, line, col, col is not None)))
                    yield Token(line, "data", piece)
                    line, col = line + 1, 1 if col is not None else None
                continue
            if tok.type == "variable_begin":
                start = src.find("{{", cursor)
                col = None
                if start >= 0:
                    cursor, col = start + 2, column(start)
                yield Token(tok.lineno, "data", env.mark(Origin(file, tok.lineno, col)))
            yield tok


class _OriginTable:
    """Every origin a mark names, with its number. One table for every marking environment:
    the code Jinja compiles for a marked template then depends on its source alone, so the
    marking environments of all locales share it (:data:`_MARKED_BYTECODE`), as the normal
    build environments share theirs."""

    def __init__(self) -> None:
        self.origins: list[Origin] = []
        self._ids: dict[Origin, int] = {}
        self._lock = threading.Lock()

    def id(self, origin: Origin) -> int:
        i = self._ids.get(origin)
        if i is None:
            with self._lock:   # the preview server lints from several threads
                i = self._ids.get(origin)
                if i is None:
                    self.origins.append(origin)
                    i = self._ids[origin] = len(self.origins) - 1
        return i


_TABLE = _OriginTable()
_MARKED_BYTECODE = SharedBytecode()   # marked code is never shared with the normal build's


class MappedMixin:
    """What a build environment needs to produce marks: an origin table and mark strings."""

    catalog: Any
    bytecode_cache: Any

    def init_marks(self) -> None:
        self.origins: list[Origin] = _TABLE.origins
        self.bytecode_cache = _MARKED_BYTECODE
        self.add_extension(_Marks)   # type: ignore[attr-defined]

    def _id(self, origin: Origin) -> int:
        return _TABLE.id(origin)

    def mark(self, origin: Origin) -> str:
        return f"{_SET}{self._id(origin)}{_END}"

    def translated(self, text: str, msgid: str, key: Any = None) -> str:
        """A translation wrapped in marks naming the catalog line its text comes from (an
        untranslated or fuzzy message prints the template's text: left unmarked)."""
        found = self.catalog.messages.get(msgid if key is None else key)
        if not found or not all(found if isinstance(found, tuple) else (found,)):
            return text
        found = msgstr_line(tuple(str(f) for f in self.catalog.files), msgid)
        if found is None:
            return text
        file, line, col = found
        origin = Origin(file, line, col, col is not None, self.catalog.locale, msgid)
        return f"{_PUSH}{self._id(origin)}{_END}{text}{_POP}"


@functools.lru_cache(maxsize=64)
def _po_index(file: str, mtime: int) -> dict[str, tuple[int, int | None]]:
    """msgid -> (line, column of the text) of its ``msgstr`` in one .po file (as of ``mtime``)."""
    from .safety import read_bytes, roots_of

    path = Path(file)
    try:   # the same checks as every catalog read (confined, charset and plural rule as data)
        data = read_bytes(path, roots_of(path, "locales"))
        catalog = i18n.read_po(path, None)
    except Exception:
        return {}
    lines = data.decode("utf-8", errors="replace").splitlines()
    out: dict[str, tuple[int, int | None]] = {}
    for msg in catalog:
        if not msg.id or not msg.lineno:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        n = i18n.msgstr_line(lines, msg.lineno)
        if not n:
            continue
        text = lines[n - 1]
        q = text.find('"')
        # the first entry of a msgid: the plain one, not a msgctxt variant after it
        out.setdefault(key, (n, q + 2 if q >= 0 and text[q + 1:].rstrip() != '"' else None))
    return out


def msgstr_line(files: tuple[str, ...], msgid: str) -> tuple[str, int, int | None] | None:
    """The last catalog file (the one that wins) holding ``msgid``: file, msgstr line, column."""
    for file in reversed(files):
        try:
            found = _po_index(file, Path(file).stat().st_mtime_ns).get(msgid)
        except OSError:
            continue
        if found:
            return file, found[0], found[1]
    return None


class MappedEnvironment(MappedMixin, BuildEnvironment):
    """A build environment whose output carries origin marks (see the module docstring);
    translations are marked through :meth:`MappedMixin.translated`."""


_mapped_envs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_mapped_lock = threading.Lock()


def mapped_environment(env: Any) -> Any:
    """The marking twin of a build environment (one per environment, kept while it lives, so
    its parsed templates are reused)."""
    with _mapped_lock:
        menv = _mapped_envs.get(env)
        if menv is None:
            menv = MappedEnvironment(env.loader, env.catalog)
            menv.init_marks()
            _mapped_envs[env] = menv
        return menv
