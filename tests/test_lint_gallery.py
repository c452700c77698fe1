"""tplkit lint on MJML's public template gallery (tests/fixtures/gallery, see its SOURCE.md):
MJML's own examples pass MJML's rules, and every finding points at a line holding its cause."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import tplkit
from tplkit.lint import Finding, lint
from tplkit.mjmlcheck import RULE_IDS

GALLERY = Path(__file__).parent / "fixtures" / "gallery"
WHOLE_EMAIL = {"contacts-missing", "gmail-clipping"}   # no single line is to blame


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint(tplkit.Kit(GALLERY), jobs=1)


def _quoted(message: str) -> str:
    """The first quoted text of a message (Python's repr quotes with ' or ")."""
    m = re.search(r"""(['"])(.*?)\1(?: is| does|$| in)""", message)
    return m.group(2) if m else ""


def _first_word(text: str) -> str:
    words = re.findall(r"[^\W\d_]{2,}", text)
    return words[0].lower() if words else "\0"


def holds_cause(f: Finding, line: str) -> bool:
    """Whether a source line (from the finding's column on) holds what the finding is about."""
    at = line[(f.column or 1) - 1:]
    text = html.unescape(line).lower()
    if f.rule in ("untranslated-text", "generic-link-text"):
        return _first_word(_quoted(f.message)) in text
    if f.rule == "image-alt":
        return at.startswith(("<mj-image", "<img", "<mj-social-element", "<mj-carousel-image"))
    if f.rule == "link-scheme":
        return at.startswith("href") or at.startswith("<")
    if f.rule == "button-contrast":
        return at.startswith(("background-color", "color", "<mj-button"))
    if f.rule == "lang-dir":
        return at.startswith("<mjml")
    if f.rule == "leftover-placeholder":
        return _quoted(f.message).lower() in text
    if f.rule == "typography":
        snippet = re.search(r": '(.*)'$", f.message).group(1)
        return any(w.lower() in text for w in re.findall(r"[^\W\d_]{3,}", snippet))
    return False


def test_gallery_passes_mjmls_own_rules(findings):
    """MJML's gallery is valid MJML: no mjml-* finding (the rules are MJML's, not stricter)."""
    assert [f for f in findings if f.rule in (*RULE_IDS, "mjml-invalid", "template-error")] == []


def test_every_gallery_finding_is_at_a_line_holding_its_cause(findings):
    """Each finding with a line points at the line that holds its cause (checked per rule on
    the file's text); only whole-email findings have no line."""
    wrong = []
    for f in findings:
        if f.rule in WHOLE_EMAIL:
            assert f.line is None, f
            continue
        assert f.line is not None, f
        line = Path(f.file).read_text(encoding="utf-8").splitlines()[f.line - 1]
        if not holds_cause(f, line):
            wrong.append((f.rule, Path(f.file).parent.name, f.line, f.column, f.message[:80],
                          line.strip()[:80]))
    assert wrong == []
    assert len({f.rule for f in findings}) >= 8   # the check covered many kinds of findings
