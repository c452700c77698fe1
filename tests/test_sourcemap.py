"""The build source map (tplkit/sourcemap.py): the mapped build pass gives byte-identical
output, and every character maps to the template, layout, component or msgstr that wrote it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tplkit import formatting
from tplkit.compile import Builder
from tplkit.deferred import Deferred, Slots
from tplkit.sourcemap import mapped_parts


def build_both(kit, name: str, locale: str):
    info = kit.template(name)
    slots = Slots()
    values = {n: Deferred(n, slots, locale, formatting.TYPE_FORMAT.get(ph.type))
              for n, ph in info.placeholders.items()}
    env = kit.environment(locale)
    plain = Builder(env, info, kit.brand, locale).build(values)
    mapped, maps = mapped_parts(env, Builder, info, kit.brand, locale, values)
    return info, plain, mapped, maps


@pytest.mark.parametrize("locale", ["en", "de", "ar"])
def test_mapped_build_equals_the_normal_build(kit, locale):
    """For every built-in template the marks leave no trace: same subject, preheader, MJML."""
    for name in kit.template_names():
        _, plain, mapped, maps = build_both(kit, name, locale)
        assert mapped == plain, name
        assert "mjml" in maps and "subject" in maps


def test_literal_template_text_maps_to_its_line_and_column(kit):
    """A tag written in a template file maps to that file, line and column exactly."""
    info, _, built, maps = build_both(kit, "acknowledgement", "en")
    source = info.file("html").read_text(encoding="utf-8")
    m = re.search(r"<mj-\w+", source.split("{% block", 1)[1])
    tag = m.group(0)
    offset = source.index(tag, source.index("{% block"))
    line = source.count("\n", 0, offset) + 1
    col = offset - source.rfind("\n", 0, offset)
    found = [maps["mjml"].position(i) for i in range(len(built["mjml"]))
             if built["mjml"].startswith(tag, i)]
    assert any(p.file == str(info.file("html")) and (p.line, p.column) == (line, col) for p in found)


def test_translated_text_maps_to_the_msgstr_line_of_its_catalog(kit):
    """Text that comes from the German catalog maps to the msgstr line msgfmt would name, with
    the locale; the line really holds that text."""
    _, _, built, maps = build_both(kit, "acknowledgement", "de")
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
