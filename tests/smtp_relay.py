"""A relay for the sending tests: aiosmtpd on loopback that counts messages by Message-ID and can
answer 451 (greylisting) or 550 (unknown user) on demand."""
from __future__ import annotations

import collections
import json
import time
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from smtp_inbox import free_port


class CountingRelay:
    """aiosmtpd handler: counts every accepted message by Message-ID.

    ``greylist_until`` (a time.time()) / ``greylist_count`` (a number of DATA commands) make it
    answer ``451``; recipients at a domain in ``refuse`` get ``550``."""

    def __init__(self) -> None:
        self.received: collections.Counter[str] = collections.Counter()
        self.greylist_until = 0.0
        self.greylist_count = 0
        self.greylisted = 0
        self.refuse: set[str] = {"refused.example"}
        self.rcpts: dict[str, list[str]] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[2] in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.greylist_count > 0 or time.time() < self.greylist_until:
            self.greylist_count -= 1
            self.greylisted += 1
            return "451 4.7.1 greylisted, try again later"
        mid = BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]
        self.received[mid] += 1
        self.rcpts[mid] = list(envelope.rcpt_tos)
        return "250 OK"

    def duplicates(self) -> dict[str, int]:
        """Message-IDs received more than once."""
        return {m: n for m, n in self.received.items() if n > 1}


class RunningRelay:
    """A :class:`CountingRelay` served on 127.0.0.1 (``.url``: smtp://127.0.0.1:PORT)."""

    def __init__(self) -> None:
        self.handler = CountingRelay()
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._ctl = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> CountingRelay:
        self._ctl.start()
        return self.handler

    def __exit__(self, *exc) -> None:
        self._ctl.stop()


def write_records(path: Path, n: int, refused: set[int] = frozenset(), tag: str = "") -> Path:
    """n good acknowledgement records; the line numbers in ``refused`` go to @refused.example;
    ``tag`` makes the data (and so the batch) differ between tests."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            domain = "refused.example" if i in refused else "example.com"
            f.write(json.dumps({"customer_name": f"Client {tag}{i}", "ticket_id": f"SR-{i}",
                                "request_url": f"https://help.example/r/{i}",
                                "email": f"c{i}@{domain}"}) + "\n")
    return path


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (openssl), trusted by a client given SSL_CERT_FILE."""
    import shutil
    import subprocess

    import pytest

    openssl = shutil.which("openssl")
    if not openssl:
        pytest.fail("the openssl command is needed to make a test certificate (apt-get install openssl)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key
