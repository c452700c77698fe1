"""Sendable bytes, fast: :meth:`tplkit.RenderedEmail.to_bytes`.

:meth:`~tplkit.RenderedEmail.to_message` builds an :class:`email.message.EmailMessage`;
``bytes()`` of it then parses and refolds every header through the email package's header
registry, about 2 ms a message, a hundred times the cost of rendering it. This module writes
the same ``multipart/alternative`` message (text/plain, then text/html, UTF-8,
quoted-printable) straight to RFC 5322 bytes:

* the values are validated by the very functions ``to_message`` uses (addresses, message
  ids, header names and values, List-Unsubscribe), so the same inputs are refused with the
  same :class:`~tplkit.errors.HeaderError`;
* the header lines are written by :mod:`tplkit.mimeheaders` (folding, RFC 2047
  encoded-words, address lists), at most 78 octets (a List-Unsubscribe URL aside: it is
  never encoded, and at most 900 characters);
* the bodies by :mod:`tplkit.quotedprintable`: the text part byte for byte what
  ``to_message`` writes; the HTML part of a rendered email decodes to exactly the bytes
  ``to_message`` encodes, but is encoded piece by piece (the template's static chunks once,
  the values per message); an email built otherwise gets ``to_message``'s bytes;
* the boundary starts with ``=_``, which quoted-printable output can never contain.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from email.utils import make_msgid
from typing import TYPE_CHECKING

from .errors import HeaderError
from .mimeheaders import (
    CRLF,
    addresses_line,
    date_line,
    extra_headers,
    id_list,
    sender_line,
    thread_ids,
    unstructured,
    unsubscribe_headers,
)
from .quotedprintable import qp_lines, qp_pieces, qp_text
from .safety import check_header_value, check_message_id

if TYPE_CHECKING:
    from .render import RenderedEmail


def message_bytes(email: RenderedEmail, sender: str, to: str | Sequence[str], *,
                  cc: str | Sequence[str] = (), reply_to: str | None = None,
                  in_reply_to: str | None = None, references: str | Sequence[str] | None = None,
                  message_id: str | None = None, headers: Mapping[str, str] | None = None,
                  list_unsubscribe: str | Sequence[str] | None = None,
                  one_click: bool = True) -> bytes:
    """The RFC 5322 bytes of ``email`` (see :meth:`tplkit.RenderedEmail.to_bytes`)."""
    out = [unstructured("Subject", check_header_value("Subject", email.subject))]
    from_line, domain = sender_line(sender)
    out.append(from_line)
    out.append(addresses_line("To", to))
    if cc:
        out.append(addresses_line("Cc", cc))
    if reply_to:
        out.append(addresses_line("Reply-To", reply_to, single=True))
    out.append("Message-ID: " + (check_message_id("Message-ID", message_id) if message_id
                                 else make_msgid(domain=domain)) + CRLF)
    out.append(date_line())
    parent, refs = thread_ids(in_reply_to, references)
    if parent:
        out.append(id_list("In-Reply-To", [parent]))
    if refs:
        out.append(id_list("References", refs))
    if list_unsubscribe:
        for name, value in unsubscribe_headers(list_unsubscribe, one_click).items():
            # one <uri> a line, never encoded (see render._UriList)
            out.append(f"{name}: " + f",{CRLF} ".join(value.split(", ")) + CRLF)
    extra = {**email.headers, **headers} if headers else email.headers
    if extra:
        extra_headers(out, extra)
    boundary = f"=_{random.getrandbits(96):024x}"   # unique enough: QP never holds "=_"
    language = check_header_value("Content-Language", email.locale.replace("_", "-"))
    out.append(f'MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"'
               f"{CRLF}Content-Language: {language}"
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
    pieces = email.html_pieces
    return b"".join((
        head,
        _PLAIN_HEAD, qp_text(email.text), delimiter, b"\r\n",
        _HTML_HEAD,
        qp_pieces(pieces) if len(pieces) > 1 and "\r" not in html else qp_lines(html),
        delimiter, b"--\r\n",
    ))


_PART_HEAD = (b'Content-Type: text/%s; charset="utf-8"\r\n'
              b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
_PLAIN_HEAD, _HTML_HEAD = _PART_HEAD % b"plain", _PART_HEAD % b"html"


__all__ = ["message_bytes"]
