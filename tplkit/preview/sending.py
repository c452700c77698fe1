"""The preview's test send: the shown email as a message, delivered through the SMTP server
the project's ``[preview]`` table names (loopback port 25 unless configured otherwise)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import TplkitError
from ..kit import Kit
from ..send import DEFAULT_SMTP, default_sender, deliver

PREVIEW_TO = "customer@example.com"   # the recipient the headers tab and the .eml show


def smtp_settings(kit: Kit) -> dict[str, Any]:
    """The test-send server from the project's ``[preview]`` table (default: loopback port 25).

    Nothing is sent anywhere else unless the project's config names the server.
    """
    table = kit.project.settings.get("preview", {})
    table = table if isinstance(table, Mapping) else {}
    return {"smtp": str(table.get("smtp", DEFAULT_SMTP)), "starttls": bool(table.get("starttls", False)),
            "user": table.get("user") or None, "password_env": table.get("password_env") or None}


def message(kit: Kit, email: Any, to: str = PREVIEW_TO) -> Any:
    """``email`` as the message a test send delivers, from the brand's sender."""
    return email.to_message(sender=default_sender(kit.brand), to=to)


def send_to(kit: Kit, email: Any, to: str) -> dict[str, Any]:
    """Send ``email`` to ``to``; ``{"ok": ..., "message": ...}`` for the page, never a raise."""
    smtp = smtp_settings(kit)
    to = to.strip()
    try:
        msg = message(kit, email, to)
        password = os.environ.get(smtp["password_env"]) if smtp["password_env"] else None
        deliver(msg, smtp["smtp"], starttls=smtp["starttls"], user=smtp["user"], password=password,
                timeout=15.0)
    except TplkitError as e:
        return {"ok": False, "message": f"not sent: {e}"}
    return {"ok": True, "message": f"sent to {to} via {smtp['smtp']} (Message-ID {msg['Message-ID']})"}

