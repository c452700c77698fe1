"""Where a key is written in a TOML file, for errors found after ``tomllib`` parsed it.

``tomllib`` keeps no positions, and the well-kept libraries that round-trip TOML (tomlkit)
do not expose line numbers either. TOML's line structure is simple enough to scan: a line
is a ``[table]`` / ``[[array]]`` header, a ``key = value`` line (keys may be dotted and
quoted), or part of a multi-line string or array. :func:`key_lines` maps every full key
path to the line that defines it; a key inside an inline table (``brand = {phone = ".."}``)
or an array maps to the line of the key holding it (:func:`line_of` falls back to the
longest known prefix). :func:`toml_line` is the lookup the checks after parsing use (config,
manifests, support hours); :func:`read_toml` turns every way parsing fails into a located error.
"""
from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Sequence

from .errors import TemplateSourceError, toml_error

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEYLINE = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_PART = re.compile(_KEY_PART)

Path_ = tuple[str, ...]


def _split_key(dotted: str) -> Path_:
    out = []
    for m in _PART.finditer(dotted):
        s = m.group(0)
        if s.startswith('"'):
            s = s[1:-1].encode("utf-8").decode("unicode_escape") if "\\" in s else s[1:-1]
        elif s.startswith("'"):
            s = s[1:-1]
        out.append(s)
    return tuple(out)


def _skip_value(rest: str, lines: list[str], i: int) -> int:
    """Index of the last line of a value starting with ``rest`` on line ``i`` (multi-line
    strings and arrays span lines; nothing inside them is a key)."""
    for quote in ('"""', "'''"):
        if rest.startswith(quote):
            tail = rest[3:]
            j = i
            while quote not in tail:
                j += 1
                if j >= len(lines):
                    return j
                tail = lines[j]
            return j
    if rest.startswith("["):
        depth, j, text = 0, i, rest
        while True:
            depth += _bracket_depth(text)
            if depth <= 0 or j + 1 >= len(lines):
                return j
            j += 1
            text = lines[j]
    return i


def _bracket_depth(text: str) -> int:
    """Net ``[`` minus ``]`` on a line, ignoring strings and comments."""
    depth, k = 0, 0
    while k < len(text):
        c = text[k]
        if c == "#":
            break
        if c in "\"'":
            end = text.find(c, k + 1)
            while c == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(c, end + 1)
            k = len(text) if end < 0 else end + 1
            continue
        depth += (c == "[") - (c == "]")
        k += 1
    return depth


def key_lines(text: str) -> dict[Path_, int]:
    """Every table header and key of a TOML document -> its 1-based line."""
    lines = text.splitlines()
    out: dict[Path_, int] = {}
    table: Path_ = ()
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(2))
            out.setdefault(table, i + 1)
        else:
            m = _KEYLINE.match(line)
            if m:
                out.setdefault(table + _split_key(m.group(1)), i + 1)
                i = _skip_value(m.group(2).lstrip(), lines, i)
        i += 1
    return out


def line_of(positions: dict[Path_, int], path: Sequence[str]) -> int | None:
    """Line of ``path``, or of its longest written prefix (a key in an inline table)."""
    path = tuple(path)
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return None


def file_key_line(file: str | os.PathLike, path: Sequence[str]) -> int | None:
    """:func:`line_of` for a file on disk; None when it cannot be read."""
    try:
        with open(file, encoding="utf-8-sig") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    return line_of(key_lines(text), path)


def toml_line(file: str | os.PathLike, table: str | None, key: str | None = None) -> int | None:
    """Line of ``[table]`` (or of ``key =`` in it; ``table=None`` is the top level) in a TOML
    file, to locate problems found after parsing. None when it cannot be found."""
    if key and len(key) > 1 and key[0] == key[-1] == '"':   # a key written quoted ("X-Note:")
        key = json.loads(key)
    path = (tuple(table.split(".")) if table else ()) + ((key,) if key else ())
    return file_key_line(file, path)


def read_toml(path: str | os.PathLike, cls: type | None = None, *, template: str | None = None,
              what: str = "file", syntax_cls: type | None = None) -> dict:
    """Parse a TOML file, turning every way it can fail into one located tplkit error.

    A UTF-8 byte-order mark (Windows editors write one) is accepted; bytes that are not
    UTF-8, a folder or an unreadable file give ``cls`` (default
    :class:`~tplkit.errors.TemplateSourceError`) naming the file, and the line when known.
    """
    cls = cls or TemplateSourceError
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise cls(f"cannot read {what}: {e.strerror or e}", file=path, template=template) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise cls(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
                  file=path, line=line, template=template) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:   # syntax_cls: the TomlError kind of that file
        raise toml_error(e, path, syntax_cls or cls, template=template, text=text) from None
