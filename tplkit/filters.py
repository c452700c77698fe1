"""What compiled templates may call: the locale filters, ``with_query`` and ``finalize``
(how a value is printed). The build pass and the per-message runtime share them."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

from . import formatting
from .safety import require_printable
from .text import text_table


def finalize(value: Any) -> Any:
    """None prints as nothing; anything but a plain value (a function, macro, class, list,
    generator, object) is an error: its repr would put Python internals, such as memory
    addresses, into the email (:func:`tplkit.safety.require_printable`)."""
    if value is None:
        return ""
    return require_printable(value)


def with_query(url: Any, **params: Any) -> str:
    """``url`` with ``params`` URL-encoded and appended to its query string (what
    ``urlunsplit`` gives for ``urlencode(params)`` added to the query; the pieces of each
    URL and the quoted form of each key and value are kept, as rating links repeat them)."""
    before, query, after = _url_pieces(str(url))
    added = "&".join(f"{_quote(k)}={_quote('' if v is None else v)}" for k, v in params.items())
    query = "&".join(q for q in (query, added) if q)
    if not query:
        return urlunsplit(urlsplit(str(url)))
    return f"{before}?{query}{after}"


@functools.lru_cache(maxsize=1024)
def _url_pieces(url: str) -> tuple[str, str, str]:
    """``url`` as (everything before the query, the query, ``#fragment`` or ""): urlunsplit
    appends the query and the fragment last."""
    parts = urlsplit(url)
    return (urlunsplit(parts._replace(query="", fragment="")), parts.query,
            f"#{parts.fragment}" if parts.fragment else "")


@functools.lru_cache(maxsize=4096)
def _quote_text(s: str) -> str:
    return quote_plus(s)


def _quote(v: Any) -> str:
    """How ``urlencode`` quotes one key or value."""
    if isinstance(v, bytes):
            return quote_plus(v)
    return _quote_text(v if isinstance(v, str) else str(v))


def length(value: Any) -> int:
    """How many items a list has (Jinja's ``length``), e.g. to choose a plural form."""
    return len(value)


def localize_filter_calls(tokens: list, locale: str) -> list:
    """The tokens (``[type, value]`` pairs, as Jinja's lexer gives them) of a condition the
    build pass turns into a runtime ``{% if %}``, with ``locale=`` passed to every locale
    filter: in ``{{ }}`` the build pass adds it (:func:`tplkit.deferred.defer_filter`), and a
    condition must format as the printed value does (``{% if name|vocative %}`` in Polish).
    A call that names its own ``locale`` keeps it."""
    out: list = []
    i = 0
    while i < len(tokens):
        out.append(tokens[i])
        if not (tokens[i][0] == "pipe" and i + 1 < len(tokens) and tokens[i + 1][0] == "name"
                and tokens[i + 1][1] in formatting.LOCALE_FILTERS):
            i += 1
            continue
        out.append(tokens[i + 1])
        i += 2
        if i >= len(tokens) or tokens[i][0] != "lparen":
            out += [["lparen", "("], ["name", "locale"], ["assign", "="], ["string", locale],
                    ["rparen", ")"]]
            continue
        depth, end, named = 0, i, False
        for end in range(i, len(tokens)):
            kind = tokens[end][0]
            depth += kind in ("lparen", "lbracket", "lbrace")
            depth -= kind in ("rparen", "rbracket", "rbrace")
            if depth == 1 and tokens[end] == ["name", "locale"] and end + 1 < len(tokens) \
                    and tokens[end + 1][0] == "assign":
                named = True
            if depth == 0:
                break
        out += tokens[i:end]
        if not named:
            if tokens[end - 1][0] not in ("lparen", "comma"):
                out.append(["comma", ","])
            out += [["name", "locale"], ["assign", "="], ["string", locale]]
        i = end   # the closing parenthesis is appended next
    return out


RUNTIME_FILTERS: dict[str, Callable] = {**formatting.LOCALE_FILTERS, "with_query": with_query,
                                        "text_table": text_table, "length": length}

