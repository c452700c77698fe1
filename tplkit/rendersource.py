"""The generated render function's source: kept compressed, put in :mod:`linecache` when
read (tracebacks and debuggers then show it), and its lines mapped back to the part and
the line of the part's runtime source they come from (each generated line ends with a
``# <part>:<line>`` comment, see :meth:`tplkit.exprgen.ExprCodegen.emit`).
"""
from __future__ import annotations

import linecache
import re
import zlib
from collections.abc import Mapping, Sequence
from types import CodeType
from typing import Any, Protocol

_WHERE = re.compile(r"  # (\w+):(\d+)$")


class RenderFunction(Protocol):
    """The generated ``render(values) -> (subject, preheader, html, text, html_pieces)``:
    ``html_pieces`` are the static chunks and values the HTML was joined from, in order
    (:mod:`tplkit.quotedprintable` encodes each static chunk once, not per message)."""

    source_z: bytes  # its Python source, zlib-compressed (see :func:`source_of`)
    __code__: CodeType

    def __call__(self, values: Mapping[str, Any], /) -> tuple[str, str, str, str, Sequence[str]]: ...


def source_of(fn: RenderFunction) -> str:
    """The Python source of a generated function, registered in :mod:`linecache` under its
    file name (so tracebacks and debuggers show it from then on)."""
    filename = fn.__code__.co_filename
    entry = linecache.cache.get(filename)
    if entry is not None and len(entry) == 4:
        return "".join(entry[2])
    code = zlib.decompress(fn.source_z).decode("utf-8")
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return code


def origin(exc: BaseException, fn: RenderFunction) -> tuple[str, int] | None:
    """(part, line of the part's runtime source) where ``exc`` left the generated ``fn``,
    or None when it did not pass through it."""
    filename = fn.__code__.co_filename
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    if found is None:
        return None
    lines = source_of(fn).splitlines()
    m = _WHERE.search(lines[found - 1]) if 0 < found <= len(lines) else None
    return (m.group(1), int(m.group(2))) if m else None


def compressed(code: str) -> bytes:
    """The source as kept with the function (it repeats every static chunk: a tenth of the size)."""
    return zlib.compress(code.encode("utf-8"), 9)
