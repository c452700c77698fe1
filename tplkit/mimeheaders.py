"""RFC 5322 header lines for :mod:`tplkit.mime` (``to_bytes``), meaning what
``to_message``'s header policy (:mod:`tplkit.mailpolicy`) writes:

* unstructured headers (Subject, ``X-…``) are folded at spaces when ASCII and otherwise
  written as RFC 2047 ``B`` encoded-words that each hold whole UTF-8 characters, with every
  space inside an encoded-word (none is lost: see :mod:`tplkit.mailpolicy`); an ASCII value
  that holds ``=?`` or a run longer than a line is encoded too, so that it reads back
  literally;
* address lists are validated by :func:`address_list` (which ``to_message`` uses too) and
  display names written as ``Address`` writes them, or as encoded-words when not ASCII;
* header lines are at most 78 octets;
* a header named in the email package's registry as structured (``Sender``, ``Resent-To``, …)
  that a caller adds through ``headers=`` is rare: it is folded by the email package itself,
  so its meaning is exactly ``to_message``'s.
"""
from __future__ import annotations

import binascii
import bisect
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.utils import formatdate, getaddresses
from functools import lru_cache
from typing import cast

from .errors import HeaderError
from .mailpolicy import SMTP
from .safety import check_header_name, check_header_value, check_message_id

CRLF = "\r\n"
WIDTH = 78          # RFC 5322 "SHOULD" line length (what to_message folds to)
_EW_OVERHEAD = len("=?utf-8?b??=")
_EW_MAX = 75        # RFC 2047: an encoded-word is at most 75 characters


def address_list(name: str, value: str | Iterable[str], single: bool = False) -> list[Address]:
    """The addresses of ``value`` (one, or a list), validated as ``to_message`` and
    ``to_bytes`` both take them: :class:`HeaderError` for anything not one address each,
    or not exactly one when ``single``."""
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise HeaderError(f"{name}: no address given")
    out = []
    for item in items:
        item = check_header_value(name, item)
        parsed = getaddresses([item])
        if len(parsed) != 1 or "@" not in parsed[0][1]:
            raise HeaderError(f"{name}: not a valid address: {item!r:.80}")
        display, addr = parsed[0]
        local, _, domain = addr.rpartition("@")
        if not local or not domain or "." not in domain.strip(".") or " " in addr:
            raise HeaderError(f"{name}: not a valid address: {item!r:.80}")
        try:
            out.append(Address(display_name=display, username=local, domain=domain))
        except (ValueError, IndexError) as e:
            raise HeaderError(f"{name}: not a valid address: {e}") from None
    if single and len(out) != 1:
        raise HeaderError(f"{name} takes exactly one address")
    return out


def sender_domain(sender: str) -> str | None:
    """The domain of a sender address (for the Message-ID), or None."""
    addr = getaddresses([sender])[0][1]
    return addr.rpartition("@")[2] or None


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


def unstructured(name: str, value: str) -> str:
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


def id_list(name: str, words: Sequence[str]) -> str:
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


def addresses_line(name: str, value: str | Sequence[str], single: bool = False) -> str:
    """The header line of an address list (From, To, Cc, Reply-To), validated by
    :func:`address_list` and folded; encoded-words for a display name that is not ASCII."""
    if isinstance(value, str):
        if _SIMPLE_ADDRESS.fullmatch(value):   # recipients are unique: no cache, no parser
            return _fold(name + ":", [value])
        return _cached_addresses_line(name, value, single)
    return format_addresses(name, address_list(name, value, single))


@lru_cache(maxsize=1024)
def _cached_addresses_line(name: str, value: str, single: bool) -> str:
    """A batch has one sender and often repeated recipients: validated and written once
    (a refused value raises every time; lru_cache keeps no exceptions)."""
    return format_addresses(name, address_list(name, value, single))


def format_addresses(name: str, addresses: list[Address]) -> str:
    """The folded header line of already validated addresses."""
    atoms: list[str] = []
    for addr in addresses:
        if atoms:
            atoms[-1] += ","
        atoms.extend(_address_atoms(addr))
    return _fold(name + ":", atoms)


@lru_cache(maxsize=64)
def sender_line(sender: str) -> tuple[str, str | None]:
    """(the From line, the domain for Message-IDs) of a sender, once per sender."""
    return addresses_line("From", sender, single=True), sender_domain(sender)


_date_line: tuple[int, str] = (-1, "")


def date_line() -> str:
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


def extra_headers(out: list[str], extra: Mapping[str, str]) -> None:
    """Custom headers appended to the lines ``out``, checked as ``to_message`` checks them
    (name, value, repeats; the structure headers tplkit writes itself are refused by
    :func:`tplkit.safety.check_header_name`)."""
    present = [line.partition(":")[0].lower() for line in out]
    for k, v in extra.items():
        name = check_header_name(k)
        value = check_header_value(k, v)
        lower = name.lower()
        limit, structured = _kind(lower)
        if limit is not None and present.count(lower) >= limit:
            raise HeaderError(f"invalid {name} header: There may be at most {limit} {name} "
                              "headers in a message")
        if structured:
            try:
                out.append(SMTP.fold(name, SMTP.header_store_parse(name, value)[1]))
            except (ValueError, TypeError) as e:
                raise HeaderError(f"invalid {name} header: {e}") from None
        else:
            out.append(unstructured(name, value))
        present.append(lower)


__all__ = ["CRLF", "WIDTH", "address_list", "addresses_line", "date_line", "extra_headers",
           "format_addresses", "id_list", "sender_domain", "sender_line", "unstructured"]


def unsubscribe_headers(uris: str | Sequence[str], one_click: bool = True) -> dict[str, str]:
    """``List-Unsubscribe`` (and, for ``one_click``, ``List-Unsubscribe-Post``) header values
    for ``uris``: http(s) URLs and ``mailto:`` addresses. One-click (RFC 8058) needs an
    https URL; anything else, or a URI that could break out of its ``<...>``, is a
    :class:`HeaderError`."""
    items = [uris] if isinstance(uris, str) else list(uris)
    if not items:
        raise HeaderError("List-Unsubscribe: no URI given")
    out = []
    for uri in items:
        uri = check_header_value("List-Unsubscribe", uri).strip()
        scheme = uri.partition(":")[0].lower()
        if scheme not in ("https", "http", "mailto") or re.search(r"[\s<>,\"]", uri) or len(uri) > 900:
            raise HeaderError(f"List-Unsubscribe: not an http(s) or mailto URI: {uri!r:.80}")
        if not uri.isascii():   # an IRI needs SMTPUTF8; the email package fails on it late
            raise HeaderError(f"List-Unsubscribe: a URI holds non-ASCII characters (percent-encode "
                              f"it): {uri!r:.80}")
        out.append(f"<{uri}>")
    headers = {"List-Unsubscribe": ", ".join(out)}
    if one_click:
        if not any(u.lower().startswith("<https://") for u in out):
            raise HeaderError("List-Unsubscribe-Post (one-click, RFC 8058) needs an https URL")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def thread_ids(in_reply_to: str | None,
               references: str | Sequence[str] | None) -> tuple[str | None, list[str]]:
    """The checked ``In-Reply-To`` id (or None) and ``References`` ids of a reply: the
    references given, with ``in_reply_to`` appended when they do not hold it (RFC 5322
    3.6.4). Shared by :meth:`~tplkit.RenderedEmail.to_message` and ``to_bytes``."""
    refs = list(references or ()) if not isinstance(references, str) else [references] if references else []
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    return (check_message_id("In-Reply-To", in_reply_to) if in_reply_to else None,
            [check_message_id("References", r) for r in refs])
