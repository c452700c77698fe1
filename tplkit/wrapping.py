"""Plain-text lines at 78 characters: wrapping as :mod:`textwrap` does (URLs never broken),
finishing a text part, collapsing white space in one-line parts, and :class:`LinePlan` and
:func:`greedy`, which make wrapping a line that holds values cheap per message (see
:mod:`tplkit.textgen`); :func:`finish_text` is the reference they equal.
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence

WIDTH = 78


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


def squash(s: str) -> str:
    """Runs of HTML white space as one space (a no-break space is kept)."""
    return _WS.sub(" ", s)


_NEEDS_COLLAPSE = re.compile(r"[\t\r\f\v\n]|  ")


def collapse(s: str) -> str:
    """Collapse runs of (ASCII) white space to one space and strip the ends."""
    if _NEEDS_COLLAPSE.search(s) is None:  # the common case: nothing to collapse
        return s.strip(" ")
    return _WS.sub(" ", s).strip(" ")


def _words(s: str) -> list[str]:
    return [w for w in _WS.split(s) if w]
