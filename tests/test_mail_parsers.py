"""Messages as independent software reads them: npm mailparser, Python's parser, dkimpy.

Every subject of every built-in template x locale x sample, plus long, mixed-script and emoji
subjects, must decode exactly (no space lost between RFC 2047 encoded-words) on each Python
tplkit supports, and DKIM signatures over the bytes must verify.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from oracles import combinations, mailparser

from tplkit.render import RenderedEmail

ROOT = Path(__file__).parent.parent
PYENV = Path.home() / ".pyenv" / "versions"
SENDER, TO = "Northwind Support <help@northwind.example>", "Олена Коваль <olena@example.com>"

EXTRA_SUBJECTS = [
    "Ваш запит SR-10482 взято на особливий контроль, і ми відповімо вам протягом 24 годин " * 3,
    "Статус Ihrer Bestellung NW-58213: طلبك قيد المعالجة — 您的订单正在处理 — ご注文を処理しています",
    "Thanks for your feedback 😀👍🏽 — спасибо 👨‍👩‍👧‍👦 🇺🇦 ✔️ شكراً 🙏",
    "a " * 60 + "б " * 60,          # many one-letter words: a space at almost every fold point
    "Übergrößenträger-Straßenbahnhaltestellenüberdachungsreinigungsmittelverkäuferin " * 2,
    "Re: [SR-1] " + "x" * 120,      # ASCII with an unbreakable run
]


def _extra_emails() -> list[RenderedEmail]:
    return [RenderedEmail(template="extra", locale="uk", subject=s.strip(), preheader="",
                          html="<p>x</p>\n", text="x\n") for s in EXTRA_SUBJECTS]


@pytest.fixture(scope="module")
def messages(kit, tmp_path_factory) -> list[tuple[RenderedEmail, Path]]:
    """Every built-in combination plus the extra subjects, written as .eml files."""
    folder = tmp_path_factory.mktemp("eml")
    emails = [kit.render(name, ctx, locale=locale) for name, locale, _, ctx in combinations(kit)]
    emails += _extra_emails()
    out = []
    for i, email in enumerate(emails):
        path = folder / f"{i:03}.eml"
        path.write_bytes(bytes(email.to_message(sender=SENDER, to=TO,
                                                headers={"X-Tplkit-Subject-Copy": email.subject})))
        out.append((email, path))
    return out


def test_there_are_many_non_ascii_subjects(messages):
    """The corpus really covers the built-ins (136 combinations today) and is mostly non-ASCII."""
    assert len(messages) >= 136 + len(EXTRA_SUBJECTS)
    assert sum(not e.subject.isascii() for e, _ in messages) > 80


def test_mailparser_decodes_every_subject_exactly(messages):
    """npm mailparser reads each subject, a copy in an X- header, From, To and both bodies back."""
    parsed = mailparser([p for _, p in messages])
    for email, path in messages:
        got = parsed[str(path)]
        assert got["subject"] == email.subject, path.name
        assert got["headers"]["x-tplkit-subject-copy"] == email.subject, path.name
        assert got["to"] == '"Олена Коваль" <olena@example.com>' or got["to"] == TO
        assert got["text"].replace("\r\n", "\n").rstrip("\n") == email.text.rstrip("\n"), path.name
        assert got["html"].replace("\r\n", "\n").rstrip("\n") == email.html.rstrip("\n"), path.name


def test_python_parsers_decode_every_subject_exactly(messages):
    """Python's modern parser and the strict RFC 2047 decoder (white space between
    encoded-words ignored) both give the subject back; no header line exceeds 78 octets."""
    for email, path in messages:
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert max(map(len, head.split(b"\r\n"))) <= 78, path.name
        msg = message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == email.subject, path.name
        legacy = message_from_bytes(raw, policy=policy.compat32)
        assert str(make_header(decode_header(legacy["Subject"]))) == email.subject, path.name


def _pythons() -> list[str]:
    found = {f"{sys.version_info.major}.{sys.version_info.minor}": sys.executable}
    for minor in ("3.11", "3.12", "3.13"):
        for exe in sorted(PYENV.glob(f"{minor}.*/bin/python")):
            found.setdefault(minor, str(exe))
    return [found.get(m, "") or m for m in ("3.11", "3.12", "3.13")]


FOLD_SCRIPT = """
import importlib.util, json, sys
from email.message import EmailMessage
spec = importlib.util.spec_from_file_location("mailpolicy", sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
for i, subject in enumerate(json.load(sys.stdin)):
    m = EmailMessage(policy=mod.SMTP)
    m["Subject"] = subject
    m["From"] = "a@example.com"
    m.set_content("x")
    open(f"{sys.argv[2]}/{i:03}.eml", "wb").write(bytes(m))
"""


@pytest.mark.parametrize("python", _pythons())
def test_subjects_fold_correctly_on_each_python(python, messages, tmp_path):
    """tplkit's header policy (stdlib only) folds every subject correctly on 3.11, 3.12 and
    3.13 (the standard SMTP policy loses spaces on 3.11/3.12), read back by mailparser."""
    if not os.path.isfile(python):
        pytest.skip(f"Python {python} is not installed (pyenv install {python})")
    subjects = [e.subject for e, _ in messages]
    subprocess.run([python, "-c", FOLD_SCRIPT, str(ROOT / "tplkit" / "mailpolicy.py"), str(tmp_path)],
                   input=json.dumps(subjects).encode(), check=True, timeout=120)
    paths = sorted(tmp_path.glob("*.eml"))
    parsed = mailparser(paths)
    assert [parsed[str(p)]["subject"] for p in paths] == subjects


def test_dkim_signatures_verify_and_survive_transport(messages, dkim_key):
    """dkimpy signs Subject/From/To/bodies; the signature verifies as sent, after a relay
    prepends a Received header, and (relaxed) after a relay refolds the Subject with tabs."""
    import dkim

    private, record = dkim_key

    def dns(name, timeout=5):
        assert name == b"sel._domainkey.northwind.example."
        return record

    refolds = 0
    heads = [b"from", b"to", b"subject", b"date", b"message-id", b"content-type", b"mime-version"]
    for _email, path in messages[::7] + messages[-len(EXTRA_SUBJECTS):]:
        raw = path.read_bytes()
        for canon in ((b"simple", b"simple"), (b"relaxed", b"relaxed")):
            sig = dkim.sign(raw, b"sel", b"northwind.example", private, canonicalize=canon,
                            include_headers=heads)
            signed = sig + raw
            assert dkim.verify(signed, dnsfunc=dns), (path.name, canon)
            relayed = b"Received: from mx.example by mx2.example; Tue, 1 Dec 2026 10:00:00 +0000\r\n" + signed
            assert dkim.verify(relayed, dnsfunc=dns), (path.name, canon)
        refolded = signed.replace(b"?=\r\n =?", b"?=\r\n\t =?")
        refolds += refolded != signed
        assert dkim.verify(refolded, dnsfunc=dns), path.name
        assert not dkim.verify(signed.replace(b"Subject: ", b"Subject: Re: ", 1), dnsfunc=dns)
    assert refolds >= len(EXTRA_SUBJECTS)
