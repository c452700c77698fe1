"""Delivering many messages over SMTP the way mail servers expect.

* :class:`Relay` says where and how (``smtp://HOST:PORT``, ``smtps://`` for TLS from the first
  byte, STARTTLS, login); the password comes from an environment variable, never a URL.
* :class:`SMTPConnection` keeps one connection open across messages and turns every answer into
  an :class:`Outcome`: ``sent`` (2xx), ``retry`` (4xx replies, connection and timeout errors),
  ``failed`` (5xx replies). Problems of the set-up itself (login refused, STARTTLS missing)
  raise :class:`~tplkit.send.SendError`: they would fail every message alike.
* :class:`RetryPolicy` is exponential backoff with jitter and a bounded number of attempts.
* :class:`RateLimiter` caps messages per second across threads (a token bucket).
"""
from __future__ import annotations

import random
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Literal, NamedTuple

from .send import SMTP_TIMEOUT, SendError, parse_hostport, smtp_reply


@dataclass(frozen=True)
class Relay:
    """Where messages go: host, port, TLS mode and login (no password: see ``password_env``)."""

    host: str
    port: int
    tls: bool = False            # smtps: TLS from the first byte
    starttls: bool = False
    user: str | None = None
    password_env: str | None = None
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def parse(cls, url: str, **options) -> Relay:
        """``smtp://HOST:PORT``, ``smtps://HOST:PORT`` or a bare ``HOST:PORT``."""
        scheme, sep, rest = url.partition("://")
        if not sep:
            scheme, rest = "smtp", url
        if scheme not in ("smtp", "smtps") or "@" in rest or "/" in rest.rstrip("/"):
            raise SendError(f"invalid relay {url!r} (use smtp://HOST:PORT or smtps://HOST:PORT)")
        host, port = parse_hostport(rest.rstrip("/"), 465 if scheme == "smtps" else 25)
        return cls(host, port, tls=scheme == "smtps", **options)

    @property
    def url(self) -> str:
        """The relay as a URL (no credentials)."""
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


class Outcome(NamedTuple):
    """What became of one message: ``sent``, ``retry`` (try later) or ``failed`` (permanent)."""

    status: Literal["sent", "retry", "failed"]
    reply: str


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter: attempt n waits ``base * 2**(n-1)`` seconds,
    at most ``cap``, of which the last ``jitter`` fraction is random (equal jitter, so
    greylisted retries from many workers do not arrive in step)."""

    attempts: int = 8
    base: float = 60.0
    cap: float = 3600.0
    jitter: float = 0.5

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        full = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return full * (1 - self.jitter) + random.uniform(0, full * self.jitter)


class RateLimiter:
    """At most ``rate`` acquisitions per second over all threads (token bucket, burst 1)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait for the next slot."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def parse_rate(value: str) -> float:
    """``10/s``, ``600/m``, ``3600/h`` or a bare number (per second) -> messages per second."""
    num, _, unit = value.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}.get(unit.strip().lower())
    try:
        rate = float(num)
    except ValueError:
        rate = -1.0
    if per is None or rate <= 0:
        raise SendError(f"invalid rate {value!r} (use N/s, N/m or N/h)")
    return rate / per


class SMTPConnection:
    """One SMTP session reused for many messages; reopened after any error."""

    IDLE_CHECK = 5.0  # seconds idle after which the connection is checked with NOOP

    def __init__(self, relay: Relay, password: str | None = None) -> None:
        self.relay = relay
        self.password = password
        self._smtp: smtplib.SMTP | None = None
        self._used = 0.0

    def _open(self) -> smtplib.SMTP:
        r = self.relay
        where = f"{r.host}:{r.port}"
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP = (smtplib.SMTP_SSL(r.host, r.port, timeout=r.timeout, context=context)
                                  if r.tls else smtplib.SMTP(r.host, r.port, timeout=r.timeout))
        except ssl.SSLCertVerificationError as e:
            raise SendError(f"TLS with {where} failed: {e.verify_message or e}") from None
        try:
            if r.starttls:
                smtp.starttls(context=context)
            if r.user is not None:
                smtp.login(r.user, self.password or "")
        except smtplib.SMTPNotSupportedError as e:
            smtp.close()
            raise SendError(f"SMTP server {where} does not support STARTTLS or AUTH: {e}") from None
        except ssl.SSLCertVerificationError as e:   # set-up, not a passing fault: stop
            smtp.close()
            raise SendError(f"TLS with {where} failed: {e.verify_message or e}") from None
        except smtplib.SMTPResponseException as e:
            smtp.close()
            if e.smtp_code >= 500:
                raise SendError(f"SMTP server {where} refused the session: {smtp_reply(e)}") from None
            raise
        return smtp

    def send(self, msg: bytes, sender: str, recipients: list[str]) -> Outcome:
        """Hand one message over and classify the answer."""
        try:
            if self._smtp is not None and time.monotonic() - self._used > self.IDLE_CHECK:
                try:
                    self._smtp.noop()
                except (smtplib.SMTPException, OSError):
                    self.close()
            if self._smtp is None:
                self._smtp = self._open()
            self._smtp.sendmail(sender, recipients, msg)
            self._used = time.monotonic()
            return Outcome("sent", "250 OK")
        except smtplib.SMTPRecipientsRefused as e:
            self.close()
            replies = list(e.recipients.values())
            temporary = any(400 <= code < 500 for code, _ in replies)
            return Outcome("retry" if temporary else "failed", "; ".join(smtp_reply(r) for r in replies))
        except smtplib.SMTPResponseException as e:
            self.close()
            return Outcome("retry" if e.smtp_code < 500 else "failed", smtp_reply(e))
        except (smtplib.SMTPException, OSError) as e:  # disconnects, timeouts, refused connections
            self.close()
            return Outcome("retry", f"connection error: {getattr(e, 'strerror', None) or e}")

    def close(self) -> None:
        """Quit (or just drop) the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def envelope(sender: str, to: str) -> tuple[str, list[str]]:
    """The SMTP envelope (bare addresses) of a From and a To header value."""
    mail_from = getaddresses([sender])[0][1]
    rcpts = [addr for _, addr in getaddresses([to]) if addr]
    if not rcpts:
        raise ValueError(f"no recipient address in {to!r}")
    return mail_from, rcpts
