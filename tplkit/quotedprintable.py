"""Quoted-printable bodies for :mod:`tplkit.mime`: the parts of ``to_bytes``, encoded as
``to_message`` encodes them (``binascii.b2a_qp``, CRLF line ends).

* :func:`qp_text`: the text part, byte for byte ``to_message``'s;
* :func:`qp_pieces`: the HTML part of a rendered email, piece by piece (the template's static
  chunks once per process, the values per message); it decodes to exactly the bytes
  ``to_message`` encodes;
* :func:`qp_lines`: any other HTML, byte for byte ``to_message``'s, its repeated lines kept.

What is kept (encoded lines and pieces) is process-wide and bounded; :func:`clear_cache`
drops it.
"""
from __future__ import annotations

import binascii
import itertools
import operator
import re
from collections.abc import Sequence
from typing import cast

_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


def qp_text(content: str) -> bytes:
    """:func:`qp_lines` without the line cache: the text part is short, its lines mostly hold values."""
    data = binascii.b2a_qp(content.encode("utf-8"), istext=True)
    return _LINE_ENDS.sub(b"\r\n", data) if b"\r" in data else data.replace(b"\n", b"\r\n")


def qp_lines(content: str) -> bytes:
    """The body as ``to_message`` writes it: ``binascii.b2a_qp(..., istext=True)`` with CRLF
    line ends, byte for byte.

    b2a_qp starts every line afresh (its state is the column, reset at each LF, and whether
    the data uses CRLF), so a text without CR encodes line by line to the same bytes. Lines
    that repeat (the template's own markup) are encoded once and kept in :data:`_QP_LINES`;
    the others (lines with per-recipient values) are encoded together, one call per run.
    """
    if "\r" in content:
        return _LINE_ENDS.sub(b"\r\n", binascii.b2a_qp(content.encode("utf-8"), istext=True))
    lines = content.split("\n")
    last = lines.pop()
    cache, seen = _QP_LINES, _QP_SEEN
    out: list[bytes] = []
    run: list[str] = []
    for line in lines:
        encoded = cache.get(line)
        if encoded is None:
            if line not in seen:
                seen[line] = None
                run.append(line)
                continue
            encoded = cache[line] = _encode_lines([line])
        if run:
            out.append(_encode_lines(run))
            run = []
        out.append(encoded)
    if run:
        out.append(_encode_lines(run))
    if last:   # no LF after it: b2a_qp treats the end of the data apart (trailing blanks, ".")
        out.append(binascii.b2a_qp(last.encode("utf-8"), istext=True).replace(b"=\n", b"=\r\n"))
    if len(seen) > _QP_LINES_MAX:
        seen.clear()
        if len(cache) > _QP_LINES_MAX:
            cache.clear()
    return b"".join(out)


#: quoted-printable of lines seen twice (LF included, CRLF line ends), and lines seen once
_QP_LINES: dict[str, bytes] = {}
_QP_SEEN: dict[str, None] = {}
_QP_LINES_MAX = 20_000


def _encode_lines(lines: list[str]) -> bytes:
    """Lines, each with its LF, as b2a_qp encodes them (one call: LF resets its state)."""
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")


def qp_pieces(pieces: Sequence[str]) -> bytes:
    """The HTML joined from ``pieces`` (the template's static chunks and the values, as the
    generated render function joined them), quoted-printable, CRLF line ends.

    Each piece is encoded on lines of its own: one that does not end a line is followed by
    a soft line break (``=`` CRLF, which a reader removes). So a piece's encoding never
    depends on what precedes it, the static chunks are encoded once and kept
    (:data:`_PIECES`), and per message only the values are encoded, together, in one
    ``b2a_qp`` call. The part decodes to exactly the bytes ``to_message`` encodes (whose
    lines break at other places); lines stay within 76 characters, trailing white space
    is encoded, as RFC 2045 asks.
    """
    global _pieces_size
    if len(_PIECES) > _QP_LINES_MAX or _pieces_size > _PIECES_BYTES:
        _PIECES.clear()
        _pieces_size = 0
    n = len(pieces)
    while n and not pieces[n - 1]:
        n -= 1
    last = pieces[n - 1] if n else "\n"
    if not last.endswith("\n"):   # the end of the part: encoded as such (no soft break after it)
        n -= 1
    todo = pieces[:n] if n < len(pieces) else pieces
    encoded = list(map(_PIECES.get, todo))
    if None in encoded:   # (an encoding is never empty: not_ is True for None only)
        missing = list(itertools.compress(todo, map(operator.not_, encoded)))
        fresh = dict(zip(missing, _encode_pieces(missing), strict=True))
        _PIECES.update(fresh)
        _pieces_size += sum(map(len, fresh)) + sum(map(len, fresh.values()))
        encoded = list(map(fresh.get, todo, encoded))   # the fresh one, or the kept one
    if not last.endswith("\n"):
        encoded.append(_b2a_qp(last))
    return b"".join(cast(list[bytes], encoded))


def _b2a_qp(text: str) -> bytes:
    """``binascii.b2a_qp`` with CRLF line ends and lines of at most 76 characters: when it
    encodes the blank that ends a line (``=20``) it does not check the length, and writes
    77 or 78; such a line is broken (soft) before that ``=20``."""
    data = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    if len(data) > 76:
        lines = data.split(b"\r\n")
        if max(map(len, lines)) > 76:
            data = b"\r\n".join(x if len(x) <= 76 else x[:-3] + b"=\r\n" + x[-3:] for x in lines)
    return data


#: quoted-printable of the pieces seen (a piece on lines of its own, see :func:`_qp_pieces`)
_PIECES: dict[str, bytes] = {}
_PIECES_BYTES = 16_000_000   # at most about this many characters kept, pieces and encodings
                             # (values are kept too: a long one must not pin memory)
_pieces_size = 0


def _encode_pieces(pieces: list[str]) -> list[bytes]:
    """Each piece's encoding on lines of its own: CRLF after a piece that ends with LF,
    otherwise a soft line break. The encoding of ``piece + "x"`` less the ``x`` leaves room
    for the ``=`` and keeps a trailing blank unencoded (it is not at the end of a line)."""
    joined = "x\n".join(pieces)
    if joined.count("\n") == len(pieces) - 1:   # no piece holds a line break: one call for all
        # "x" LF ends each piece: the only LF after an "x" (b2a_qp breaks lines with "=" LF),
        # made a soft line break; NUL (encoded =00, never written raw) then marks the pieces
        data = binascii.b2a_qp((joined + "x\n").encode("utf-8"), istext=True)
        return data.replace(b"\n", b"\r\n").replace(b"x\r\n", b"=\r\n\x00").split(b"\x00")[:-1]
    out = []
    for piece in pieces:
        if piece.endswith("\n"):
            out.append(_b2a_qp(piece))
        else:
            out.append(_b2a_qp(piece + "x")[:-1] + b"=\r\n")
    return out


def clear_cache() -> None:
    """Forget the kept encodings (lines and pieces): benchmarks start from a cold cache."""
    global _pieces_size
    _QP_LINES.clear()
    _QP_SEEN.clear()
    _PIECES.clear()
    _pieces_size = 0


__all__ = ["clear_cache", "qp_lines", "qp_pieces", "qp_text"]
