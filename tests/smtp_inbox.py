"""A real SMTP server on loopback for tests (aiosmtpd), shared by the send and example tests."""
from __future__ import annotations

import contextlib
import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every envelope it receives.

    Recipients at ``@refused.example`` are refused with 550, to test delivery errors.
    """

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def message(self, i: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(self.envelopes[i].content, policy=email.policy.default)


@contextlib.contextmanager
def serving(inbox: Any = None, **options: Any) -> Iterator[Any]:
    """``inbox`` (a new :class:`Inbox` by default) served by aiosmtpd on 127.0.0.1 for the
    ``with`` block (``inbox.port``, and ``inbox.address`` as ``host:port``); ``options`` go to aiosmtpd's
    ``Controller`` (authenticator, TLS contexts, ...)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox() if inbox is None else inbox
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    ctl.start()
    inbox.port, inbox.address = ctl.port, f"127.0.0.1:{ctl.port}"
    try:
        yield inbox
    finally:
        ctl.stop()
