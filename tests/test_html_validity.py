"""The HTML of every built-in email, checked by the Nu HTML validator against its baseline.

The baseline of a document is mjml-python's own output for it (the same pipeline with CSS
inlining left out): inlining may add ``style`` and nothing else, so the validator must find
no error in the finished HTML that it does not find in the baseline, and every element must
keep exactly the attributes MJML gave it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from oracles import combinations, elements, style_texts, vnu

import tplkit.compile


@pytest.fixture(scope="module")
def documents(kit, tmp_path_factory) -> list[tuple[str, Path, Path]]:
    """(label, finished HTML file, baseline HTML file) for every template x locale x sample."""
    folder = tmp_path_factory.mktemp("html")
    finished = {}
    for name, locale, sample, ctx in combinations(kit):
        finished[name, locale, sample] = (kit.render(name, ctx, locale=locale).html, ctx)
    out = []
    with pytest.MonkeyPatch.context() as mp:
        # the baseline: the per-message pipeline with the inlining stage left out
        mp.setattr(tplkit.compile, "inline_css", lambda html, **_: html)
        for (name, locale, sample), (html, ctx) in finished.items():
            label = f"{name}-{locale}-{sample}"
            done, plain = folder / f"{label}.html", folder / f"{label}.plain.html"
            done.write_text(html, encoding="utf-8")
            plain.write_text(kit.render_naive(name, ctx, locale=locale).html, encoding="utf-8")
            out.append((label, done, plain))
    return out


def test_validator_finds_no_error_that_mjml_output_lacks(documents):
    """Each kind of Nu validator error in a finished email is one its mjml-python baseline has.

Kinds, not counts: inlining copies MJML's own CSS (Outlook's ``mso-*`` properties, which
the validator does not know) from the head onto each element it applies to."""
    errors = vnu([p for _, done, plain in documents for p in (done, plain)])
    assert len(documents) >= 136
    extra = {}
    for label, done, plain in documents:
        added = set(errors[str(done)]) - set(errors[str(plain)])
        if added:
            extra[label] = sorted(added)
    assert not extra, extra


def test_the_validator_does_report_what_premailer_used_to_add(documents, tmp_path):
    """The oracle is live: the attributes premailer once added to links are reported."""
    _, done, _ = documents[0]
    bad = tmp_path / "bad.html"
    bad.write_text(done.read_text(encoding="utf-8").replace("<a ", '<a bgcolor="#1d4ed8" width="44" ', 1),
                   encoding="utf-8")
    found = vnu([bad])[str(bad)]
    assert any("bgcolor" in m for m in found) and any("width" in m for m in found), found


def test_inlining_keeps_every_attribute_mjml_set(documents):
    """Same elements, same attributes (style aside) before and after inlining: the logo keeps
    width="140", no link gains width/bgcolor/align."""
    for label, done, plain in documents:
        assert elements(done) == elements(plain), label
    logo = next(a for t, a in elements(documents[0][1]) if t == "img")
    assert logo["width"] == "140", logo


def test_inlining_keeps_every_style_element_as_mjml_wrote_it(documents):
    """The <style> elements (media queries, !important overrides, dark mode) are unchanged:
    premailer's default stripped !important, so dark-mode colours lost to the inline ones."""
    for label, done, plain in documents:
        assert style_texts(done) == style_texts(plain), label
    assert any("!important" in s for s in style_texts(documents[0][1]))


ALL_COMPONENTS = Path(__file__).parent / "fixtures" / "output" / "all-components.mjml"


def test_inlining_any_mjml_keeps_attributes_styles_and_validity(tmp_path):
    """Beyond the built-ins: a document using every MJML component (hero, navbar, columns,
    groups, images with and without width, table, accordion, carousel, social, wrapper) keeps
    every attribute and <style> through inlining and gains no kind of validator error."""
    from tplkit.compile import mjml_to_html
    from tplkit.inline import inline_css

    html = mjml_to_html(ALL_COMPONENTS.read_text(encoding="utf-8"), template="all-components",
                        locale="en", file=str(ALL_COMPONENTS))
    plain, done = tmp_path / "plain.html", tmp_path / "done.html"
    plain.write_text(html, encoding="utf-8")
    done.write_text(inline_css(html, template="all-components", locale="en"), encoding="utf-8")
    assert elements(done) == elements(plain)
    assert style_texts(done) == style_texts(plain)
    widths = [a.get("width") for t, a in elements(done) if t == "img"]
    assert len(widths) >= 8 and "100%" not in widths, widths
    errors = vnu([plain, done])
    assert set(errors[str(done)]) <= set(errors[str(plain)])
