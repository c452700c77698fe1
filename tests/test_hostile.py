"""Hostile placeholder values (issue 7): each renders safely or fails with a TplkitError.

The corpus is ``fixtures/hostile/corpus.json``; values are rendered into the ``attrs``
template of ``fixtures/hostile/values``, which shows them in text nodes, attributes and a
URL query. A rendered value must be escaped in the HTML and verbatim in the text part.
"""
from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
import unicodedata
from pathlib import Path
from typing import Any

import pytest

import tplkit

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
CASES = json.loads((HOSTILE / "corpus.json").read_text(encoding="utf-8"))["cases"]
BASE = {"customer_name": "Olena", "profile_url": "https://shop.example/profile"}
HANG_GUARD_SECONDS = 60  # not a speed check: turns a hang into a failure instead of a stuck suite


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _nested_money() -> dict:
    value: Any = "1.00"
    for _ in range(10_000):
        value = {"amount": value, "currency": "EUR"}
    return value


PYTHON_VALUES = {
    "nested_money": _nested_money, "many_items": lambda: [f"item {i}" for i in range(5000)],
    "dict": lambda: {"first": "Olena"}, "bytes": lambda: b"Olena", "object": object,
    "huge_int": lambda: 10 ** 5000,
}


def build(spec: Any) -> Any:
    """The value a corpus entry describes (see the ``_about`` note in the corpus)."""
    if isinstance(spec, dict) and "repeat" in spec:
        return spec["repeat"] * spec["times"]
    if isinstance(spec, dict) and "nest" in spec:
        return _nested(spec["nest"])
    if isinstance(spec, dict) and "python" in spec:
        return PYTHON_VALUES[spec["python"]]()
    return spec


@contextlib.contextmanager
def hang_guard():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fail(*_):
        raise AssertionError(f"still working after {HANG_GUARD_SECONDS} s: unbounded work")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def values_kit() -> tplkit.Kit:
    return tplkit.Kit(HOSTILE / "values")


def test_corpus_covers_the_issue():
    """The corpus holds every kind of hostile value the issue lists."""
    ids = {c["id"] for c in CASES}
    for needed in ("script-tag", "double-quote-breakout", "bidi-override", "zero-width", "one-megabyte",
                   "nested-list", "list-for-text", "nan-int", "lone-surrogate", "longest-word"):
        assert needed in ids
    assert len(ids) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_value(values_kit, case):
    """A hostile value renders safely (escaped in HTML, verbatim in text) or is a PlaceholderError."""
    name, value = case["placeholder"], build(case["value"])
    ctx = BASE | {name: value}
    with hang_guard():
        if case["expect"] == "rejected":
            with pytest.raises(tplkit.PlaceholderError) as info:
                values_kit.render("attrs", ctx)
            # a problem inside a list names its path (items[0]); each one is in that placeholder
            assert {re.split(r"[\[.]", p.name)[0] for p in info.value.problems} == {name}
            assert len(str(info.value)) < 2000  # the message quotes a value, never the megabyte
            return
        email = values_kit.render("attrs", ctx)
        email.to_message(sender="Help <help@shop.example>", to="olena@example.com")
    for bad in ("<script", "<svg", "<img src=x", "onmouseover=\"", "onmouseover='", "<mj-raw"):
        assert bad not in email.html
    if isinstance(value, str):
        # as the schema normalises text: NFC, Unicode line separators as line breaks
        shown = unicodedata.normalize("NFC", value).replace("\u2028", "\n").replace("\u2029", "\n")
        assert _escaped_in(shown, email.html)
        assert _words(shown) <= _words(email.text)


def _escaped_in(value: str, markup: str) -> bool:
    """Every line of ``value`` appears HTML-escaped (Jinja's escaping) in ``markup``."""
    from markupsafe import escape

    return all(str(escape(line)) in markup for line in value.split("\n") if line.strip())


def _words(s: str) -> set[str]:
    return set(s.split())


def test_longest_word_is_kept_whole_in_the_text_part(values_kit):
    """A 99 990-character word is never broken by the text wrapper (and wrapping it is bounded)."""
    word = "x" * 99_990
    with hang_guard():
        email = values_kit.render("attrs", BASE | {"note": f"see {word} here"})
    assert word in email.text.split("\n")


def test_escaping_of_markup_values_is_exact(values_kit):
    """The HTML part holds exactly Jinja's escaping of a markup value, in text and attribute."""
    value = "<b class=\"x\">O'Neil & co</b>"
    email = values_kit.render("attrs", BASE | {"customer_name": value})
    escaped = "&lt;b class=&#34;x&#34;&gt;O&#39;Neil &amp; co&lt;/b&gt;"
    assert f'title="{escaped}"' in email.html and f"Hi {escaped}," in email.html
    assert f"Hi {value}," in email.text


def test_non_mapping_contexts_are_placeholder_errors(values_kit):
    """A context that is not a mapping (a list, a string) is a PlaceholderError, not a crash."""
    for ctx in (["Olena"], "Olena", 42):
        with pytest.raises(tplkit.PlaceholderError):
            values_kit.render("attrs", ctx)


def test_many_unknown_keys_are_reported_together(values_kit):
    """Thousands of unknown keys give one PlaceholderError listing them, in bounded time."""
    ctx = BASE | {f"junk_{i}": i for i in range(3000)}
    with hang_guard(), pytest.raises(tplkit.PlaceholderError) as info:
        values_kit.render("attrs", ctx)
    assert {p.kind for p in info.value.problems} == {"unknown"} and len(info.value.problems) == 3000
