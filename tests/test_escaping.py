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


def test_the_installed_markupsafe_gives_its_fast_escaper_if_it_has_one():
    """markupsafe 3's private escaper is picked when present (the reason the module exists);
    an older markupsafe (2.1, the floor) gets the public escape."""
    expected = getattr(markupsafe, "_escape_inner", escaping.escape_public)
    assert escaping._fast_escaper() is expected


def test_without_the_private_name_the_public_api_is_used():
    """A markupsafe without _escape_inner makes tplkit fall back to markupsafe.escape."""
    fallback = escaping._fast_escaper(types.ModuleType("markupsafe"))
    assert fallback is escaping.escape_public
    assert fallback("<a & b>") == "&lt;a &amp; b&gt;"
