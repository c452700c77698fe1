"""URL validation without urlsplit for plain http(s) URLs decides exactly as urlsplit does."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tplkit.coercion import _URLS_OK, _checked_url_split, checked_url

PIECES = ["http", "https", "HTTP", "hTtPs", "ftp", "javascript", "mailto", ":", "//", "/", "?", "#",
          "[", "]", "[::1]", "@", "a", "example.com", " ", "\t", '"', "<", "%20", "é", "ｅ", "x" * 20, "."]
URLS = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


def _outcome(fn, s: str) -> str:
    _URLS_OK.clear()   # the verdict itself, not a remembered one
    try:
        return "ok:" + fn(s)
    except ValueError as e:
        return f"error:{e}"


@settings(max_examples=3000, deadline=None)
@given(URLS)
def test_same_verdict_and_message_as_urlsplit(s):
    """Any string: the same result or the same ValueError message as the urlsplit path."""
    assert _outcome(checked_url, s) == _outcome(_checked_url_split, s)


@pytest.mark.parametrize("s", ["http://[::1", "https://]x", "http:///path", "https://?q", "https://#f",
                               "http://example.com/a b", 'https://x.example/"', "HTTPS://X.EXAMPLE/ok",
                               "https://exa[mple.com", "https:/x.example", "https://пример.рф/"])
def test_edge_cases(s):
    """Brackets, empty hosts, a missing slash, white space, quotes, upper case, non-ASCII hosts."""
    assert _outcome(checked_url, s) == _outcome(_checked_url_split, s)
