"""Hand a rendered email to an SMTP server (``tplkit send``, a test send).

The message is :meth:`RenderedEmail.to_message` (multipart/alternative); ``--in-reply-to``
and ``--references`` add thread headers so a follow-up or escalation lands in the
customer's existing conversation. The SMTP password is read only from an environment
variable, never from the command line (where ``ps`` and shell history would show it).
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import getaddresses

from .errors import TplkitError

DEFAULT_SMTP = "localhost:25"
SMTP_TIMEOUT = 30.0
SSL_PORT = 465   # implicit TLS (RFC 8314), the port --ssl uses when --smtp names none


class SendError(TplkitError):
    """The message could not be handed to the SMTP server."""


def default_sender(brand) -> str:
    """``Company <support@company>`` from the brand settings (the From of previews and sends)."""
    return f"{brand.company_name} <{brand.email}>" if brand.email else brand.company_name


def parse_hostport(value: str, default_port: int = 25) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` -> ``(host, port)``."""
    value = value.strip()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise SendError(f"invalid SMTP address {value!r} (use HOST:PORT)")
        port_s = rest[1:]
    else:
        host, _, port_s = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    if not host:
        raise SendError(f"invalid SMTP address {value!r} (use HOST:PORT)")
    if not port_s:
        return host, default_port
    if not port_s.isdigit() or not 0 < int(port_s) < 65536:
        raise SendError(f"invalid SMTP port in {value!r}")
    return host, int(port_s)


def _check_auth(where: str, user: str | None, encrypted: bool, insecure_auth: bool) -> None:
    if user is not None and not encrypted and not insecure_auth:
        raise SendError(f"refusing to send the SMTP password unencrypted to {where}: use --ssl "
                        f"(implicit TLS, port {SSL_PORT}) or --starttls, or --insecure-auth for a "
                        f"server you trust on a private network")


def _envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """(sender, recipients) as ``smtplib.send_message`` takes them from the headers."""
    sender = getaddresses([str(msg["Sender"] or msg["From"] or "")])
    rcpts = getaddresses([str(v) for key in ("To", "Cc", "Bcc") for v in msg.get_all(key, [])])
    return (sender[0][1] if sender else ""), [addr for _, addr in rcpts if addr]


def conversation(msg: EmailMessage, smtp: str | None = None, *, starttls: bool = False,
                 use_ssl: bool = False, user: str | None = None, password_env: str | None = None,
                 insecure_auth: bool = False) -> str:
    """The SMTP conversation :func:`deliver` would have, message included (``--dry-run``).

    Nothing is connected to; a password is never shown (only where it would come from). A
    send that :func:`deliver` would refuse (a password in clear text) raises the same error.
    """
    host, port = parse_hostport(smtp or "localhost", SSL_PORT if use_ssl else 25)
    where = f"{host}:{port}"
    _check_auth(where, user, starttls or use_ssl, insecure_auth)
    sender, rcpts = _envelope(msg)
    me = socket.getfqdn()
    out = [f"# connect to {where}" + (" with implicit TLS (certificate verified)" if use_ssl else ""),
           f"EHLO {me}"]
    if starttls:
        out += ["STARTTLS", "# TLS handshake (certificate verified)", f"EHLO {me}"]
    if user is not None:
        source = f"${password_env}" if password_env else "the caller"
        out.append(f"AUTH (user {user!r}; the password from {source} is not shown)")
    out.append(f"MAIL FROM:<{sender}>")
    out += [f"RCPT TO:<{r}>" for r in rcpts]
    out.append("DATA")
    body = bytes(msg).decode("utf-8", errors="replace").replace("\r\n", "\n")
    out += [("." + line if line.startswith(".") else line) for line in body.rstrip("\n").split("\n")]
    out += [".", "QUIT"]
    return "\n".join(out) + "\n"


def deliver(msg: EmailMessage, smtp: str | None = DEFAULT_SMTP, *, starttls: bool = False,
            user: str | None = None, password: str | None = None,
            timeout: float = SMTP_TIMEOUT, use_ssl: bool = False, insecure_auth: bool = False) -> None:
    """Send ``msg`` through the SMTP server at ``smtp`` (``HOST:PORT``).

    ``use_ssl`` connects with implicit TLS (port 465 unless ``smtp`` names one),
    ``starttls`` upgrades a plain connection; both verify the certificate. A login over a
    connection that is neither is refused unless ``insecure_auth``. Every failure
    (connection, TLS, authentication, refused recipients) becomes one :class:`SendError`
    with a readable message.
    """
    if starttls and use_ssl:
        raise SendError("use either implicit TLS (--ssl) or STARTTLS (--starttls), not both")
    host, port = parse_hostport(smtp or "localhost", SSL_PORT if use_ssl else 25)
    where = f"{host}:{port}"
    _check_auth(where, user, starttls or use_ssl, insecure_auth)
    try:
        conn_cm = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
                   if use_ssl else smtplib.SMTP(host, port, timeout=timeout))
        with conn_cm as conn:
            if starttls:
                conn.starttls(context=ssl.create_default_context())
            if user is not None:
                conn.login(user, password or "")
            conn.send_message(msg)
    except smtplib.SMTPNotSupportedError as e:
        what = "STARTTLS" if starttls and "STARTTLS" in str(e) else "a required extension"
        raise SendError(f"SMTP server {where} does not support {what}: {e}") from None
    except smtplib.SMTPAuthenticationError as e:
        raise SendError(f"SMTP login as {user!r} failed at {where}: {smtp_reply(e)}") from None
    except smtplib.SMTPRecipientsRefused as e:
        refused = ", ".join(f"{rcpt} ({smtp_reply(err)})" for rcpt, err in e.recipients.items())
        raise SendError(f"SMTP server {where} refused recipient(s): {refused}") from None
    except smtplib.SMTPSenderRefused as e:
        raise SendError(f"SMTP server {where} refused sender {e.sender}: {smtp_reply(e)}"
                        f"{_tls_hint(e, starttls)}") from None
    except smtplib.SMTPResponseException as e:
        raise SendError(f"SMTP server {where} said: {smtp_reply(e)}{_tls_hint(e, starttls)}") from None
    except smtplib.SMTPException as e:
        raise SendError(f"SMTP error at {where}: {e}") from None
    except ssl.SSLError as e:
        raise SendError(f"TLS with {where} failed: {e.reason or e}") from None
    except OSError as e:
        raise SendError(f"cannot connect to SMTP server {where}: {e.strerror or e}") from None


def smtp_reply(err) -> str:
    """``535 bad credentials`` from an SMTP exception or an ``(code, msg)`` pair."""
    code, text = (err.smtp_code, err.smtp_error) if hasattr(err, "smtp_code") else err
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()


def _tls_hint(err: smtplib.SMTPResponseException, starttls: bool) -> str:
    """530 means "encryption required": say which option gives it."""
    return " (use --starttls)" if err.smtp_code == 530 and not starttls else ""


def split_ids(values: Sequence[str]) -> list[str]:
    """``--references`` may be repeated and each value may hold several space-separated ids."""
    return [mid for v in values for mid in v.split()]
