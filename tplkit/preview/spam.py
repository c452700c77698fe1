"""Spam score of a message by SpamAssassin, when it is installed (local tests only, no network).

``spamassassin -t -L`` reads the ``.eml`` on stdin and writes it back with an
``X-Spam-Status`` header and a report whose table lists each rule that fired. ``-L``
(local only) keeps it from asking DNS blocklists or Razor/Pyzor servers, so the score is
what the message's own content earns.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

SPAMASSASSIN = "spamassassin"
INSTALL_HINT = ("SpamAssassin is not installed. On Debian or Ubuntu: sudo apt-get install spamassassin "
                "(the preview runs `spamassassin -t -L`: local tests only, nothing is sent anywhere).")
TIMEOUT = 60.0

_STATUS = re.compile(r"^X-Spam-Status:\s*(\w+),\s*score=(-?[\d.]+)\s+required=(-?[\d.]+)", re.MULTILINE)
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")


@dataclass
class SpamRule:
    """One SpamAssassin test that fired: points, name and description."""

    points: float
    name: str
    description: str


@dataclass
class SpamReport:
    """SpamAssassin's verdict on one message."""

    score: float
    required: float
    is_spam: bool
    rules: list[SpamRule] = field(default_factory=list)
    version: str = ""


class SpamCheckError(Exception):
    """SpamAssassin ran but its answer could not be read (shown on the page as is)."""


def available() -> bool:
    """True when the ``spamassassin`` program is on PATH."""
    return shutil.which(SPAMASSASSIN) is not None


def check(eml: bytes, timeout: float = TIMEOUT) -> SpamReport:
    """Score ``eml`` with ``spamassassin -t -L`` and parse its header and rule table."""
    exe = shutil.which(SPAMASSASSIN)
    if exe is None:
        raise SpamCheckError(INSTALL_HINT)
    try:
        done = subprocess.run([exe, "-t", "-L"], input=eml, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise SpamCheckError(f"spamassassin took more than {timeout:.0f} s") from None
    out = done.stdout.decode("utf-8", errors="replace")
    return parse_report(out, done.stderr.decode("utf-8", errors="replace"))


def parse_report(out: str, stderr: str = "") -> SpamReport:
    """Read ``spamassassin -t`` output: the ``X-Spam-Status`` header and the points table."""
    head = out.split("\n\n", 1)[0].replace("\n\t", " ").replace("\n ", " ")
    m = _STATUS.search(head)
    if m is None:
        why = stderr.strip().splitlines()[-1] if stderr.strip() else "no X-Spam-Status header"
        raise SpamCheckError(f"spamassassin gave no score: {why}")
    version = re.search(r"version=(\S+)", head)
    report = SpamReport(float(m.group(2)), float(m.group(3)), m.group(1).lower() == "yes",
                        version=version.group(1) if version else "")
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("pts rule name")), None)
    if start is None:
        return report
    for line in lines[start + 2:]:
        if not line.strip():
            break
        rule = _RULE.match(line)
        if rule:
            report.rules.append(SpamRule(float(rule.group(1)), rule.group(2), rule.group(3).strip()))
        elif report.rules:   # a wrapped description
            report.rules[-1].description += " " + line.strip()
    return report
