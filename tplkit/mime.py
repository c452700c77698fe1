"""Sendable bytes, fast: :meth:`tplkit.RenderedEmail.to_bytes`.

:meth:`~tplkit.RenderedEmail.to_message` builds an :class:`email.message.EmailMessage`;
``bytes()`` of it then parses and refolds every header through the email package's header
registry, about 2 ms a message, a hundred times the cost of rendering it. This module writes
the same ``multipart/alternative`` message (text/plain, then text/html, UTF-8,
quoted-printable) straight to RFC 5322 bytes:

* the values are validated by the very functions ``to_message`` uses (addresses, message
  ids, header names and values, List-Unsubscribe), so the same inputs are refused with the
  same :class:`~tplkit.errors.HeaderError`;
* the text part is byte for byte what ``to_message`` writes (``binascii.b2a_qp``, CRLF);
  the HTML part of a rendered email decodes to exactly the bytes ``to_message`` encodes,
  but is encoded piece by piece (:func:`_qp_pieces`): the template's static chunks once,
  the values per message; an email built otherwise gets ``to_message``'s bytes;
* unstructured headers (Subject, ``X-…``) are folded at spaces when ASCII and otherwise
  written as RFC 2047 ``B`` encoded-words that each hold whole UTF-8 characters, with every
  space inside an encoded-word (none is lost: see :mod:`tplkit.mailpolicy`); an ASCII value
  that holds ``=?`` or a run longer than a line is encoded too, so that it reads back
  literally;
* display names are written as ``Address`` writes them, or as encoded-words when not ASCII;
* header lines are at most 78 octets (a List-Unsubscribe URL aside: it is never encoded, and
  at most 900 characters);
* the boundary starts with ``=_``, which quoted-printable output can never contain.

A header named in the email package's registry as structured (``Sender``, ``Resent-To``, …)
that a caller adds through ``headers=`` is rare: it is folded by the email package itself, so
its meaning is exactly ``to_message``'s.
"""
from __future__ import annotations

import binascii
import bisect
import itertools
import operator
import random
import re
import time
from collections.abc import Mapping, Sequence
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from .errors import HeaderError
from .mailpolicy import SMTP
from .render import _address_list, _domain, unsubscribe_headers
from .safety import check_header_name as _header_name
from .safety import check_header_value as _header_value
from .safety import check_message_id as _msgid

if TYPE_CHECKING:
    from .render import RenderedEmail

CRLF = "\r\n"
WIDTH = 78          # RFC 5322 "SHOULD" line length (what to_message folds to)
_EW_OVERHEAD = len("=?utf-8?b??=")
_EW_MAX = 75        # RFC 2047: an encoded-word is at most 75 characters
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


def message_bytes(email: RenderedEmail, sender: str, to: str | Sequence[str], *,
                  cc: str | Sequence[str] = (), reply_to: str | None = None,
                  in_reply_to: str | None = None, references: str | Sequence[str] | None = None,
                  message_id: str | None = None, headers: Mapping[str, str] | None = None,
                  list_unsubscribe: str | Sequence[str] | None = None,
                  one_click: bool = True) -> bytes:
    """The RFC 5322 bytes of ``email`` (see :meth:`tplkit.RenderedEmail.to_bytes`)."""
    out = [_unstructured("Subject", _header_value("Subject", email.subject))]
    from_line, domain = _sender(sender)
    out.append(from_line)
    out.append(_addresses_line("To", to))
    if cc:
        out.append(_addresses_line("Cc", cc))
    if reply_to:
        out.append(_addresses_line("Reply-To", reply_to, single=True))
    out.append("Message-ID: " + (_msgid("Message-ID", message_id) if message_id
                                 else make_msgid(domain=domain)) + CRLF)
    out.append(_date())
    if in_reply_to:
        refs = [references] if isinstance(references, str) else list(references or ())
        if in_reply_to not in refs:
            refs.append(in_reply_to)
        out.append(_words("In-Reply-To", [_msgid("In-Reply-To", in_reply_to)]))
        out.append(_words("References", [_msgid("References", r) for r in refs]))
    elif references:
        refs = [references] if isinstance(references, str) else list(references)
        out.append(_words("References", [_msgid("References", r) for r in refs]))
    if list_unsubscribe:
        for name, value in unsubscribe_headers(list_unsubscribe, one_click).items():
            # one <uri> a line, never encoded (see render._UriList)
            out.append(f"{name}: " + f",{CRLF} ".join(value.split(", ")) + CRLF)
    extra = {**email.headers, **headers} if headers else email.headers
    if extra:
        _extra_headers(out, extra)
    boundary = f"=_{random.getrandbits(96):024x}"   # unique enough: QP never holds "=_"
    out.append(f'MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"'
               f"{CRLF}Content-Language: {_header_value('Content-Language', email.locale.replace('_', '-'))}"
               f"{CRLF}{CRLF}--{boundary}{CRLF}")
    delimiter = f"{CRLF}--{boundary}".encode("ascii")
    try:
        head = "".join(out).encode("ascii")
    except UnicodeEncodeError:
        # only message ids and List-Unsubscribe URIs are written as given: an IRI or a
        # non-ASCII id would need SMTPUTF8 (to_message fails on them, or encodes the id)
        raise HeaderError("a message id or List-Unsubscribe URI holds non-ASCII characters "
                          "(percent-encode the URI; message ids must be ASCII)") from None
    html = email.html
    # the pieces the HTML was joined from: only if it is still that very string
    # (dataclasses.replace and the constructor carry them along with another html)
    joined, pieces = email._pieces or (None, ())
    return b"".join((
        head,
        _PLAIN_HEAD, _qp_plain(email.text), delimiter, b"\r\n",
        _HTML_HEAD,
        _qp_pieces(pieces) if joined is html and len(pieces) > 1 and "\r" not in html else _qp(html),
        delimiter, b"--\r\n",
    ))


_PART_HEAD = (b'Content-Type: text/%s; charset="utf-8"\r\n'
              b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
_PLAIN_HEAD, _HTML_HEAD = _PART_HEAD % b"plain", _PART_HEAD % b"html"


def _qp_plain(content: str) -> bytes:
    """:func:`_qp` without the line cache: the text part is short, its lines mostly hold values."""
    data = binascii.b2a_qp(content.encode("utf-8"), istext=True)
    return _LINE_ENDS.sub(b"\r\n", data) if b"\r" in data else data.replace(b"\n", b"\r\n")


def _qp(content: str) -> bytes:
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


def _qp_pieces(pieces: Sequence[str]) -> bytes:
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


# --- headers ---------------------------------------------------------------------------------

_FIRST_WORD_ROOM = 16   # a first line with less room than this starts the value on the next line


def _encoded_words(text: str, first_room: int) -> list[str]:
    """``text`` as RFC 2047 ``B`` encoded-words of whole UTF-8 characters; the first fits in
    ``first_room`` characters, the others in a continuation line."""
    data = text.encode("utf-8")
    words = []
    room = first_room
    start, end = 0, len(data)
    while start < end:
        size = max(3, (min(room, _EW_MAX) - _EW_OVERHEAD) // 4 * 3)
        cut = min(start + size, end)
        while cut < end and data[cut] & 0xC0 == 0x80:   # never split a character
            cut -= 1
        words.append("=?utf-8?b?" + binascii.b2a_base64(data[start:cut], newline=False).decode("ascii")
                     + "?=")
        start = cut
        room = WIDTH - 1
    return words


def _fold(prefix: str, atoms: Sequence[str]) -> str:
    """``prefix`` and ``atoms`` separated by single spaces, folded (CRLF before a space)
    so that lines stay within :data:`WIDTH` where an atom allows it."""
    lines = []
    line = prefix
    for atom in atoms:
        if len(line) + 1 + len(atom) > WIDTH and (line != prefix or len(atom) < WIDTH):
            lines.append(line)
            line = ""
        line += " " + atom
    lines.append(line)
    return CRLF.join(lines) + CRLF


def _unstructured(name: str, value: str) -> str:
    """An unstructured header line (Subject, X-…), folded; encoded-words when not ASCII."""
    prefix = name + ":"
    if value.isascii() and "=?" not in value:
        if len(prefix) + 1 + len(value) <= WIDTH:
            return f"{prefix} {value}{CRLF}"
        folded = _fold_ascii(prefix, value)
        if folded is not None:
            return folded
    room = WIDTH - len(prefix) - 1
    if room < _FIRST_WORD_ROOM:
        return _fold(prefix, _encoded_words(value, WIDTH - 1))
    return _fold(prefix, _encoded_words(value, room))


def _fold_ascii(prefix: str, value: str) -> str | None:
    """An ASCII value folded before single spaces (see :data:`_FOLD_POINT`); None when a run
    of text is longer than a line (it is then encoded, as the email package does, rather
    than left longer than :data:`WIDTH`)."""
    text = f"{prefix} {value}"
    points = [m.start() for m in _FOLD_POINT.finditer(text, len(prefix) + 1)]
    lines = []
    start = i = 0
    while len(text) - start > WIDTH and i < len(points):
        j = bisect.bisect_right(points, start + WIDTH, i) - 1
        cut = points[j] if j >= i else points[i]   # a run longer than a line stays whole
        lines.append(text[start:cut])
        start = cut
        i = bisect.bisect_right(points, cut, i)
    lines.append(text[start:])
    if max(map(len, lines)) > WIDTH:
        return None
    return CRLF.join(lines) + CRLF


# a single space between two non-blank characters: some readers (npm mailparser) unfold
# CRLF plus *all* the white space after it into one space, so a fold never touches a run
_FOLD_POINT = re.compile(r"(?<=[^ \t]) (?=[^ \t])")


def _words(name: str, words: Sequence[str]) -> str:
    """A header of space-separated ASCII tokens (message ids), folded between them."""
    return _fold(name + ":", words)


def _address_atoms(addr: Address) -> list[str]:
    """One address as foldable pieces: display-name words (or encoded-words), then ``<addr>``."""
    spec = addr.addr_spec
    if not spec.isascii():
        raise HeaderError(f"not an ASCII address (SMTPUTF8 is not supported): {spec!r:.80}")
    display = addr.display_name
    if not display:
        return [spec]
    if display.isascii() and "=?" not in display and len(display) <= 60:
        text = str(addr)                      # quoted as the email package quotes it
        shown = text[:len(text) - len(spec) - 3]
        atoms = [shown] if shown.startswith('"') or "  " in shown or "\t" in shown else shown.split(" ")
    else:
        atoms = _encoded_words(display, WIDTH - 1)
    return [*atoms, f"<{spec}>"]


# a bare address that getaddresses/Address give back as it is: dot-atom local part of
# letters, digits, "_", "+", "-"; a domain of such labels with at least one dot
_SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _addresses_line(name: str, value: str | Sequence[str], single: bool = False) -> str:
    if isinstance(value, str):
        if _SIMPLE_ADDRESS.fullmatch(value):   # recipients are unique: no cache, no parser
            return _fold(name + ":", [value])
        return _cached_addresses_line(name, value, single)
    return _format_addresses(name, _address_list(name, value, single))


@lru_cache(maxsize=1024)
def _cached_addresses_line(name: str, value: str, single: bool) -> str:
    """A batch has one sender and often repeated recipients: validated and written once
    (a refused value raises every time; lru_cache keeps no exceptions)."""
    return _format_addresses(name, _address_list(name, value, single))


def _format_addresses(name: str, addresses: list[Address]) -> str:
    atoms: list[str] = []
    for addr in addresses:
        if atoms:
            atoms[-1] += ","
        atoms.extend(_address_atoms(addr))
    return _fold(name + ":", atoms)


@lru_cache(maxsize=64)
def _sender(sender: str) -> tuple[str, str | None]:
    """(the From line, the domain for Message-IDs) of a sender, once per sender."""
    return _addresses_line("From", sender, single=True), _domain(sender)


_date_line: tuple[int, str] = (-1, "")


def _date() -> str:
    """The Date header, formatted once a second (UTC written ``+0000``, as to_message does)."""
    global _date_line
    now = int(time.time())
    if _date_line[0] != now:
        _date_line = (now, f"Date: {formatdate(now, usegmt=True)[:-3]}+0000{CRLF}")
    return _date_line[1]


@lru_cache(maxsize=512)
def _kind(name: str) -> tuple[int | None, bool]:
    """(max count, structured?) of a header name, as the email package's registry has it."""
    cls = cast(HeaderRegistry, SMTP.header_factory)[name]
    return SMTP.header_max_count(name), not issubclass(cls, UnstructuredHeader)


def _extra_headers(out: list[str], extra: Mapping[str, str]) -> None:
    """Custom headers, checked as ``to_message`` checks them (name, value, repeats)."""
    present = [line.partition(":")[0].lower() for line in out]
    for k, v in extra.items():
        name = _header_name(k)
        value = _header_value(k, v)
        lower = name.lower()
        limit, structured = _kind(lower)
        if limit is not None and present.count(lower) >= limit:
            raise HeaderError(f"invalid {name} header: There may be at most {limit} {name} "
                              "headers in a message")
        if lower in ("mime-version", "content-type"):   # written below (to_message: ValueError)
            raise HeaderError(f"invalid {name} header: There may be at most {limit} {name} "
                              "headers in a message")
        if structured:
            try:
                out.append(SMTP.fold(name, SMTP.header_store_parse(name, value)[1]))
            except (ValueError, TypeError) as e:
                raise HeaderError(f"invalid {name} header: {e}") from None
        else:
            out.append(_unstructured(name, value))
        present.append(lower)


__all__ = ["message_bytes"]
