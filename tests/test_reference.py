"""docs/reference.md is generated from the code: it fails here as soon as the two disagree."""
from __future__ import annotations

import re
from pathlib import Path

from tplkit import reference
from tplkit.config import builtin_root, load_project
from tplkit.filters import RUNTIME_FILTERS
from tplkit.schema import PLACEHOLDER_KEYS, TYPES
from tplkit.settings import BRAND_KEYS

DOC = Path(__file__).parent.parent / "docs" / "reference.md"


def test_reference_is_up_to_date():
    """The committed file equals what the code generates (run `python -m tplkit.reference >
    docs/reference.md` after changing a setting, macro, filter, type or key)."""
    assert DOC.read_text(encoding="utf-8") == reference.generate()


def test_reference_lists_everything_it_promises():
    """Every brand key with its built-in value, ui macro with its arguments, placeholder type
    and key, filter, and the lang/dir layout variables are in it."""
    text = reference.generate()
    brand = load_project(None).brand
    for key in BRAND_KEYS:
        value = getattr(brand, key)
        assert f"| `brand.{key}` |" in text
        if isinstance(value, str) and value:
            assert f'`"{value}"`' in text
    assert set(BRAND_KEYS) == set(brand.__dataclass_fields__)   # no brand field undocumented
    ui = (builtin_root() / "templates" / "_components" / "ui.mjml").read_text(encoding="utf-8")
    for name, args in re.findall(r"\{% macro (\w+)\(([^)]*)\)", ui):
        assert f"`ui.{name}({args.replace(' ', '').replace(',', ', ')})" in text.replace("'", "")
    for t in TYPES:
        assert f"| `{t}` |" in text
    for k in PLACEHOLDER_KEYS:
        assert f"| `{k}` |" in text
    for f in RUNTIME_FILTERS:
        assert f"| `{f}(" in text
    assert "| `lang` | 'en' | 'ar' |" in text and "| `dir` | 'ltr' | 'rtl' |" in text
