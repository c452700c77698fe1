"""tplkit.escaping: the one place a private markupsafe name is used, and its fallback."""
from __future__ import annotations

import types

import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tplkit import escaping

TRICKY = ["", "plain", "<b>O'Neil & \"Sons\"</b>", "Олена <script>", "&amp; already", "\x00<>"]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_escaper_equals_markupsafe(text):
    """escape_str gives exactly the string markupsafe.escape gives, as a plain str."""
    out = escaping.escape_str(text)
    assert out == str(markupsafe.escape(text))
    assert type(out) is str


@given(st.text())
def test_fast_escaper_equals_markupsafe_on_any_text(text):
    """For any text, escape_str and the public fallback agree."""
    assert escaping.escape_str(text) == escaping.escape_public(text)


def test_the_installed_markupsafe_gives_the_fast_escaper():
    """With this markupsafe the private C escaper is picked (the reason the module exists)."""
    assert escaping._fast_escaper() is markupsafe._escape_inner


def test_without_the_private_name_the_public_api_is_used():
    """A markupsafe without _escape_inner makes tplkit fall back to markupsafe.escape."""
    fallback = escaping._fast_escaper(types.ModuleType("markupsafe"))
    assert fallback is escaping.escape_public
    assert fallback("<a & b>") == "&lt;a &amp; b&gt;"
