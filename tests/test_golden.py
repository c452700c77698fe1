"""Golden snapshots: every built-in template x locale x sample renders exactly as reviewed.

Each combination has one file, ``tests/golden/<template>/<locale>/<sample>.txt``, holding
the subject, the preheader, the plain text and a normalised HTML (the ``<head>`` and
comments dropped, white space collapsed, one tag per line so diffs are readable).

A changed template or translation makes these tests fail on purpose. After checking that
the change is intended, regenerate every snapshot with one command:

    TPLKIT_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py

and review ``git diff tests/golden`` before committing. A missing snapshot is a failure
(it is never created silently); the same command creates it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import tplkit

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TPLKIT_UPDATE_GOLDEN") == "1"
HOW = "TPLKIT_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py"

_HEAD = re.compile(r"<head\b.*?</head>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SPACE = re.compile(r"[ \t\r\n]+")   # HTML white space only: CLDR's no-break spaces stay
_BETWEEN_TAGS = re.compile(r">\s*<")


def normalise_html(html: str) -> str:
    """The HTML without its volatile or noisy parts, white space collapsed, a tag per line."""
    html = _COMMENT.sub("", _HEAD.sub("", html))
    html = _SPACE.sub(" ", html).strip()
    return _BETWEEN_TAGS.sub(">\n<", html) + "\n"


def snapshot(email: tplkit.RenderedEmail) -> str:
    """The reviewed form of one rendered email."""
    return (f"== subject\n{email.subject}\n== preheader\n{email.preheader}\n"
            f"== text\n{email.text.rstrip()}\n== html\n{normalise_html(email.html)}")


def combinations() -> list[tuple[str, str, str]]:
    kit = tplkit.Kit()
    return [(name, locale, sample)
            for name in kit.template_names()
            for locale in kit.locales()
            for sample in kit.template(name).samples]


COMBOS = combinations()


def golden_path(name: str, locale: str, sample: str) -> Path:
    return GOLDEN / name / locale / f"{sample}.txt"


@pytest.mark.parametrize("name,locale,sample", COMBOS, ids=["/".join(c) for c in COMBOS])
def test_rendering_matches_the_golden_snapshot(kit, name, locale, sample):
    """The rendered subject, preheader, text and normalised HTML equal the reviewed snapshot."""
    email = kit.render(name, kit.template(name).sample_for(locale, sample), locale=locale)
    assert email.locale == locale
    got = snapshot(email)
    path = golden_path(name, locale, sample)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != got:
            path.write_text(got, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden snapshot {path.relative_to(GOLDEN.parent.parent)}; "
                    f"create it with: {HOW}", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if got != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True),
                                            "golden", "rendered", n=2))
        pytest.fail(f"{name}/{locale}/{sample} differs from {path.name}; if the change is "
                    f"intended, update with: {HOW}\n{diff[:4000]}", pytrace=False)


def test_no_orphan_golden_snapshots():
    """Every snapshot belongs to an existing template, locale and sample (renames leave none)."""
    wanted = {golden_path(*c) for c in COMBOS}
    found = set(GOLDEN.rglob("*.txt"))
    orphans = sorted(found - wanted)
    if UPDATE:
        for p in orphans:
            p.unlink()
        return
    assert not orphans, (f"snapshots without a template/locale/sample: "
                         f"{[str(p.relative_to(GOLDEN)) for p in orphans]}; remove them with: {HOW}")


def test_normalise_html_drops_head_and_comments_but_keeps_content():
    """Normalisation keeps what a reader sees (text, attributes) and drops head and comments."""
    html = ('<!doctype html><html lang="uk" dir="ltr"><head><title>x</title><style>p{}</style>'
            '</head><body><!--[if mso]><table><![endif]--><p style="a:b">Привіт,\n  '
            'світ\u00a0!</p>  <a href="u">ok</a></body></html>')
    assert normalise_html(html) == ('<!doctype html>\n<html lang="uk" dir="ltr">\n<body>\n'
                                    '<p style="a:b">Привіт, світ\u00a0!</p>\n<a href="u">ok</a>\n'
                                    '</body>\n</html>\n')
