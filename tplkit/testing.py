"""Helpers for tests of rendered emails: tplkit's own and your application's.

>>> from tplkit.testing import assert_renders_everywhere
>>> assert_renders_everywhere(tplkit.Kit("path/to/project"))   # every template x locale x sample
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

from .wrapping import collapse

_EXACT_PARTS = ("subject", "preheader", "text")   # html is compared as a browser reads it


def combinations(kit: Any, templates: Iterable[str] | None = None,
                 locales: Iterable[str] | None = None) -> Iterator[tuple[str, str, str, dict]]:
    """Every (template, locale, sample name, sample context) of a kit."""
    locales = list(locales) if locales is not None else kit.locales()
    for name in templates if templates is not None else kit.template_names():
        info = kit.template(name)
        for locale in locales:
            for sample_name in info.samples:
                yield name, locale, sample_name, info.sample_for(locale, sample_name)


class _Canon(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.out.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.out.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.out.append(("data", collapse(data)))

    def handle_comment(self, data):
        self.out.append(("comment", collapse(data)))


def canonical_html(html: str) -> list[tuple]:
    """HTML as a browser reads it: tags, decoded attribute values, collapsed text.

    Two serialisations of the same document (``&#34;`` or ``"`` in text, ``'`` or ``"``
    around an attribute, white space between tags) give the same list.
    """
    canon = _Canon()
    canon.feed(html)
    canon.close()
    return canon.out


def assert_same_email(actual: Any, expected: Any, label: Any = "") -> None:
    """Subject, preheader and text identical; HTML identical as a browser reads it."""
    for part in _EXACT_PARTS:
        a, b = getattr(actual, part), getattr(expected, part)
        assert a == b, f"{label}: {part} differs:\n{a!r}\n!=\n{b!r}"
    assert canonical_html(actual.html) == canonical_html(expected.html), f"{label}: html differs"


def assert_renders_everywhere(kit: Any, templates: Iterable[str] | None = None,
                              locales: Iterable[str] | None = None) -> int:
    """Render every sample of every template in every locale; fail listing *all* failures.

    Returns how many emails were rendered.
    """
    failures, count = [], 0
    for name, locale, sample_name, ctx in combinations(kit, templates, locales):
        try:
            email = kit.render(name, ctx, locale=locale)
            assert email.subject and email.html and email.text, "an empty part"
            count += 1
        except Exception as e:  # collect, then report every failure at once
            failures.append(f"{name}/{locale}/{sample_name}: {e}")
    assert not failures, f"{len(failures)} of {count + len(failures)} failed:\n" + "\n".join(failures)
    return count
