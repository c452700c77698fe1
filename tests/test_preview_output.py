"""`preview -o FILE`: the format comes from the extension unless --format says otherwise."""
from __future__ import annotations

import email
import json
import os
from email import policy

import pytest
from click.testing import CliRunner

from tplkit.cli import main


def preview(*args: str):
    return CliRunner().invoke(main, ["preview", "acknowledgement", *args])


def check_html(data: bytes) -> None:
    assert data.lstrip().lower().startswith(b"<!doctype html") and b"SR-10482" in data


def check_text(data: bytes) -> None:
    assert data.startswith(b"Subject:   We've received your request [SR-10482]\n")


def check_eml(data: bytes) -> None:
    msg = email.message_from_bytes(data, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert "SR-10482" in msg["Subject"] and msg.get_body(("html",)) is not None


def check_json(data: bytes) -> None:
    obj = json.loads(data)
    assert obj["template"] == "acknowledgement" and "SR-10482" in obj["subject"]


@pytest.mark.parametrize("name,check", [
    ("out.html", check_html), ("OUT.HTM", check_html), ("out.txt", check_text),
    ("out.eml", check_eml), ("out.json", check_json), ("out.preview", check_text),
])
def test_output_format_follows_the_extension(tmp_path, name, check):
    """.html/.txt/.eml/.json pick their format; another extension gets the text summary."""
    res = preview("-o", str(tmp_path / name))
    assert res.exit_code == 0, res.output
    check((tmp_path / name).read_bytes())


def test_explicit_format_wins_over_the_extension(tmp_path):
    """--format text into a .html file writes text."""
    assert preview("-o", str(tmp_path / "x.html"), "--format", "text").exit_code == 0
    check_text((tmp_path / "x.html").read_bytes())


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_output_file_mode_follows_the_umask(tmp_path, mask, mode):
    """The -o file gets 0o666 minus the umask, like any file the user creates."""
    old = os.umask(mask)
    try:
        assert preview("-o", str(tmp_path / "x.html")).exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "x.html").stat().st_mode & 0o777 == mode
