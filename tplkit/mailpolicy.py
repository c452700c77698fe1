"""The email policy of tplkit's messages: :data:`email.policy.SMTP` with one repair.

On Python 3.11 and 3.12 the standard library folds a long non-ASCII unstructured header
(Subject, X-…) so that the space between two words can end up *between* two RFC 2047
encoded-words, where RFC 2047 §6.2 says white space is ignored: "взято на особливий" then
decodes as "взято наособливий" in every conforming reader (npm mailparser, Thunderbird).
Python 3.13 fixed the folder. :class:`MailPolicy` folds such headers with the legacy
:class:`email.header.Header` encoder instead, which keeps every space inside an encoded
word, on every supported Python; ASCII headers and structured headers (addresses, message
ids) are folded by the standard policy as before.
"""
from __future__ import annotations

from email.header import Header
from email.headerregistry import UnstructuredHeader
from email.policy import EmailPolicy
from typing import Any


class MailPolicy(EmailPolicy):
    """:data:`email.policy.SMTP` (CRLF line ends, 78 columns) whose non-ASCII unstructured
    headers are encoded with every space inside an encoded-word (see the module doc)."""

    def fold(self, name: str, value: Any) -> str:
        """The header line as text (see :meth:`email.policy.EmailPolicy.fold`)."""
        encoded = self._encoded_words(name, value)
        return super().fold(name, value) if encoded is None else encoded

    def fold_binary(self, name: str, value: Any) -> bytes:
        """The header line as bytes (see :meth:`email.policy.EmailPolicy.fold_binary`)."""
        encoded = self._encoded_words(name, value)
        return super().fold_binary(name, value) if encoded is None else encoded.encode("ascii")

    def _encoded_words(self, name: str, value: Any) -> str | None:
        if self.utf8 or not isinstance(value, UnstructuredHeader):
            return None   # SMTPUTF8 sends UTF-8 as is; structured headers fold correctly
        text = str(value)
        if text.isascii():
            return None
        header = Header(text, "utf-8", maxlinelen=self.max_line_length or 78, header_name=name)
        return f"{name}: {header.encode(linesep=self.linesep)}{self.linesep}"


#: The policy of every message :meth:`tplkit.RenderedEmail.to_message` builds.
SMTP = MailPolicy(linesep="\r\n")
