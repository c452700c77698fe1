"""The build source map (tplkit/sourcemap.py) of a kept compile (tplkit/stages.py): the marked
build pass leaves no trace in what is compiled, and every character of the built output maps to
the template, layout, component or msgstr that wrote it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import tplkit


@pytest.fixture(scope="module")
def kits() -> tuple[tplkit.Kit, tplkit.Kit]:
    """Two kits of the built-in library of this module's own: one compiles normally, the
    other kept (no compile cached by another test is shared)."""
    return tplkit.Kit(), tplkit.Kit()


def build_both(kits, name: str, locale: str):
    """The normal compile and a kept one of the same template and locale."""
    plain = kits[0].compile(name, locale)
    kept = kits[1].compile(name, locale, keep=True)
    return kits[0].template(name), plain, kept.stages.built, kept.stages.maps, kept


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
def test_mapped_build_equals_the_normal_build(kits, locale):
    """For every built-in template the marks leave no trace: a kept compile has the same runtime
    sources as a normal one, which keeps no stages."""
    for name in kits[0].template_names():
        _, plain, _, maps, kept = build_both(kits, name, locale)
        assert dict(kept.sources.items()) == dict(plain.sources.items()), name
        assert plain.stages is None and "mjml" in maps and "subject" in maps


def test_literal_template_text_maps_to_its_line_and_column(kits):
    """A tag written in a template file maps to that file, line and column exactly."""
    info, _, built, maps, _ = build_both(kits, "acknowledgement", "en")
    source = info.file("html").read_text(encoding="utf-8")
    m = re.search(r"<mj-\w+", source.split("{% block", 1)[1])
    tag = m.group(0)
    offset = source.index(tag, source.index("{% block"))
    line = source.count("\n", 0, offset) + 1
    col = offset - source.rfind("\n", 0, offset)
    found = [maps["mjml"].position(i) for i in range(len(built["mjml"]))
             if built["mjml"].startswith(tag, i)]
    assert any(p.file == str(info.file("html")) and (p.line, p.column) == (line, col) for p in found)


def test_translated_text_maps_to_the_msgstr_line_of_its_catalog(kits):
    """Text that comes from the German catalog maps to the msgstr line msgfmt would name, with
    the locale; the line really holds that text."""
    _, _, built, maps, _ = build_both(kits, "acknowledgement", "de")
    mjml = built["mjml"]
    hits = [(i, maps["mjml"].position(i)) for i in range(len(mjml))]
    catalog = [(i, p) for i, p in hits if p is not None and p.locale == "de"]
    assert catalog
    for i, p in catalog[:200]:
        assert Path(p.file).suffix == ".po"
        line = Path(p.file).read_text(encoding="utf-8").splitlines()[p.line - 1]
        assert line.startswith("msgstr") or line.startswith('"')
        before = line[line.find('"') + 1:p.column] if p.column else "%"
        if not re.search(r"[%\\&<>'\"]", before):
            # exact up to the first substitution or escape: the character written there
            assert line[p.column - 1] == mjml[i], (line, p.column, mjml[i])
