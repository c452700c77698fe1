"""A kept compile (Kit.compile(..., keep=True), tplkit/stages.py): one pass gives the email and
what each compile stage produced, and lint reads that instead of building anything again."""
from __future__ import annotations

from pathlib import Path

import pytest

import tplkit
from tplkit import compile as compile_module
from tplkit.lint import lint

LINT_BROKEN = Path(__file__).parent / "fixtures" / "lint" / "broken"


@pytest.fixture(scope="module")
def kept() -> tplkit.compiled.Compiled:
    return tplkit.Kit().compile("acknowledgement", "de", keep=True)


def test_stages_are_what_the_compiled_parts_were_made_from(kept):
    """The kept inlined HTML and text, their slot tokens turned back into runtime tags, are the
    compiled HTML and text sources; the built MJML holds the tokens MRML's HTML carries on."""
    stages = kept.stages
    assert stages.slots.to_jinja(stages.inlined) == kept.sources["html"]
    assert stages.slots.to_jinja(stages.text) == kept.sources["text"]
    assert stages.slots.to_jinja(stages.built["subject"]) == kept.sources["subject"]
    assert set(stages.built) == {"subject", "preheader", "mjml"} == set(stages.maps)
    assert "<mj-body" in stages.built["mjml"] and "TPLSLOT" in stages.built["mjml"]
    assert stages.html.lstrip().lower().startswith("<!doctype html") and "<mj-" not in stages.html


def test_a_placeholder_is_found_where_the_template_prints_it(kept):
    """Stages.printing finds the slot token of {{ ticket_id }} in the built subject; the source
    map places it in the German catalog's msgstr that puts the value in (the subject is
    translated)."""
    stages = kept.stages
    (offset,) = stages.printing("subject", "ticket_id")
    pos = stages.position("subject", offset)
    assert pos.locale == "de" and pos.file.endswith(".po")
    line = Path(pos.file).read_text(encoding="utf-8").splitlines()[pos.line - 1]
    assert line.startswith("msgstr") and "%(ticket)s" in line   # trans ticket=ticket_id
    assert stages.printing("subject", "no_such_name") == []


def test_traced_html_renders_the_emails_images_and_links_in_order(kept):
    """The traced HTML rendered with a sample has the email's links in the same order, each
    marked with the MJML offset of the tag that made it."""
    kit = tplkit.Kit()
    info = kit.template("acknowledgement")
    values = kept.schema.validate(info.sample, strict=True, template=info.name, locale="de")
    traced = kept.render_traced(values)
    email = kit.render("acknowledgement", info.sample, locale="de")
    hrefs = [a.split('"', 1)[0] for a in email.html.split(' href="')[1:]]
    assert hrefs and [a.split('"', 1)[0] for a in traced.split(' href="')[1:]] == hrefs
    assert "tplsrc-" in traced and "TPLSLOT" not in traced


def test_kept_compile_replaces_the_cached_one_and_renders_the_same_email():
    """keep=True on a kit that compiled normally recompiles once, kept; renders use it and
    give the same email; asking again returns it without compiling."""
    kit = tplkit.Kit()
    sample = kit.template("apology").sample
    plain = kit.compile("apology", "uk")
    before = kit.render("apology", sample, locale="uk")
    kept = kit.compile("apology", "uk", keep=True)
    assert plain.stages is None and kept.stages is not None and kept is not plain
    assert kit.compile("apology", "uk") is kept and kit.compile("apology", "uk", keep=True) is kept
    assert kit.render("apology", sample, locale="uk") == before


def test_a_build_cannot_keep_stages(tmp_path):
    """A kit loaded from a build has no sources to keep stages of: a TplkitError says so."""
    from tplkit.build import write_build

    write_build(tplkit.Kit(), tmp_path / "b")
    kit = tplkit.Kit.from_build(tmp_path / "b")
    assert kit.compile("apology", "en").stages is None
    with pytest.raises(tplkit.TplkitError, match="needs the template sources"):
        kit.compile("apology", "en", keep=True)


def test_lint_builds_each_template_and_locale_once_kept(monkeypatch):
    """lint runs one build pass per (template, locale) it checks, the kept one: no second,
    marked pass to locate its findings (the broken fixture has findings of every layer)."""
    builds: list[tuple[str, str, bool]] = []
    real = compile_module.Builder.__init__

    def spy(self, env, info, brand, locale, *, keep=False):
        builds.append((info.name, locale, keep))
        real(self, env, info, brand, locale, keep=keep)

    monkeypatch.setattr(compile_module.Builder, "__init__", spy)
    found = lint(tplkit.Kit(LINT_BROKEN), jobs=1)
    assert {f.rule for f in found} >= {"image-alt", "typography", "empty-substitution", "mjml-invalid"}
    assert builds and all(keep for _, _, keep in builds)
    assert len(builds) == len(set(builds))
