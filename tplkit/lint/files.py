"""Source text helpers shared by the rule families: reading files once, offsets to lines,
finding rendered text back in the sources, and inline suppression comments."""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TplkitError
from ..safety import confine


class SourceText:
    """A file's text with an offset -> (line, column) index."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def find(self, needle: str) -> tuple[int, int] | None:
        """(line, column) of the first occurrence of ``needle``, if any.

        In a ``.po`` catalog only translations (``msgstr``) are searched: rendered text that
        matches a msgid came from the template, not from the catalog.
        """
        i = self.searchable.find(needle)
        return self.position(i) if i >= 0 else None

    @property
    def searchable(self) -> str:
        if self.path.suffix != ".po":
            return self.text
        if not hasattr(self, "_searchable"):
            out, keep = [], False
            for line in self.text.splitlines(keepends=True):
                s = line.lstrip()
                if s.startswith(("msgid", "msgctxt", "#")):
                    keep = False
                elif s.startswith("msgstr"):
                    keep = True
                out.append(line if keep and s else re.sub(r"[^\n]", " ", line))
            self._searchable = "".join(out)
        return self._searchable

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


class Files:
    """Reads each file once per lint run (unreadable files read as None)."""

    def __init__(self, roots: Any = None) -> None:
        self._cache: dict[Path, SourceText | None] = {}
        self.roots = roots   # with roots, a file whose real path is outside them is unreadable
        self.refused: dict[Path, TplkitError] = {}   # ... and why

    def get(self, path: Path) -> SourceText | None:
        path = Path(path)
        if path not in self._cache:
            try:
                real = confine(path, self.roots) if self.roots is not None else path
                self._cache[path] = SourceText(path, real.read_text(encoding="utf-8-sig"))
            except TplkitError as e:
                self._cache[path] = None
                self.refused[path] = e
            except (OSError, UnicodeDecodeError):
                self._cache[path] = None
        return self._cache[path]


    def loaded(self) -> list[SourceText]:
        """Every file read so far (that could be read)."""
        return [src for src in self._cache.values() if src is not None]


class Locator:
    """Finds where a piece of rendered text comes from: the template's own files first, then
    shared layouts/components, then the locale's catalogs (a translation), then config."""

    def __init__(self, files: Files, paths: Iterable[Path]) -> None:
        self.files = files
        self.paths = [Path(p) for p in paths]

    def find(self, *needles: str) -> tuple[str | None, int | None, int | None]:
        """(file, line, column) of the first needle found in the first file holding it."""
        for needle in needles:
            needle = needle.strip()
            if len(needle) < 2:
                continue
            for path in self.paths:
                src = self.files.get(path)
                if src is None:
                    continue
                pos = src.find(needle)
                if pos:
                    return str(path), pos[0], pos[1]
        return None, None, None


# {# tplkit: disable-next-line image-alt, link-scheme -- reason #}
SUPPRESS_RE = re.compile(r"\{#-?\s*tplkit:\s*disable-next-line\s+(?P<rules>[\w\-,\s]+?)"
                         r"\s*(?:--\s*(?P<reason>.*?))?\s*-?#\}", re.DOTALL)


@dataclass
class Suppression:
    """An inline ``disable-next-line`` comment and whether it matched a finding."""

    file: str
    line: int            # the line of the comment
    target: int          # the line it silences
    rules: tuple[str, ...]
    reason: str
    used: set[str] = field(default_factory=set)


def suppressions(src: SourceText) -> list[Suppression]:
    """Every suppression comment in a source file."""
    out = []
    for m in SUPPRESS_RE.finditer(src.text):
        line = src.position(m.start())[0]
        end_line = src.position(m.end() - 1)[0]
        rules = tuple(r for r in re.split(r"[\s,]+", m.group("rules")) if r)
        out.append(Suppression(str(src.path), line, end_line + 1, rules,
                               (m.group("reason") or "").strip()))
    return out
