"""CSS inlining on MJML's public template gallery (tests/fixtures/gallery, see its SOURCE.md).

Each gallery template goes through tplkit's HTML stages (mjml-python, then tplkit.inline's
``inline_css``, as tplkit.compile runs them); its baseline is the mjml-python output alone.
premailer's defaults once rewrote 156 of the gallery's 200 image widths; now every element keeps
exactly MJML's attributes, every ``<style>`` is unchanged, and the Nu validator finds no kind
of error that the baseline lacks.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from oracles import elements, style_texts, vnu

from tplkit.compile import mjml_to_html
from tplkit.inline import inline_css

TEMPLATES = Path(__file__).parent / "fixtures" / "gallery" / "templates"


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[tuple[str, Path, Path]]:
    """(template, inlined HTML file, mjml-python HTML file) for every gallery template."""
    folder = tmp_path_factory.mktemp("gallery")
    out = []
    for body in sorted(TEMPLATES.glob("*/body.mjml")):
        name = body.parent.name
        html = mjml_to_html(body.read_text(encoding="utf-8"), template=name, locale="en", file=str(body))
        done, plain = folder / f"{name}.html", folder / f"{name}.plain.html"
        plain.write_text(html, encoding="utf-8")
        done.write_text(inline_css(html, template=name, locale="en"), encoding="utf-8")
        out.append((name, done, plain))
    return out


def test_gallery_keeps_every_attribute_mjml_set(documents):
    """Every element of every gallery template keeps exactly MJML's attributes (style aside):
    no image width rewritten, no width/bgcolor/align added anywhere."""
    assert len(documents) == len(list(TEMPLATES.iterdir())) >= 25
    changed = {name: [(a, b) for a, b in zip(elements(plain), elements(done), strict=False) if a != b][:3]
               for name, done, plain in documents if elements(done) != elements(plain)}
    assert not changed, changed
    found = [e for _, done, _ in documents for e in elements(done)]
    images = [a for t, a in found if t == "img"]
    print(f"{len(documents)} templates: {len(found)} elements, {sum(map(len, (a for _, a in found)))} "
          f"attributes, {len(images)} images ({sum('width' in a for a in images)} with a width) kept")
    assert len(images) >= 200 and sum("width" in a for a in images) >= 150, len(images)


def test_gallery_keeps_every_style_element(documents):
    """Every <style> of every gallery template (media queries, !important rules) is unchanged."""
    for name, done, plain in documents:
        assert style_texts(done) == style_texts(plain), name
    assert any("!important" in s for _, done, _ in documents for s in style_texts(done))


def test_gallery_has_no_validator_error_mjml_output_lacks(documents):
    """The Nu validator (one JVM run over all 2 x 25 files) finds no kind of error in an inlined
    gallery template that its mjml-python baseline does not have."""
    errors = vnu([p for _, done, plain in documents for p in (done, plain)])
    extra = {name: sorted(set(errors[str(done)]) - set(errors[str(plain)]))
             for name, done, plain in documents}
    assert not {n: e for n, e in extra.items() if e}, extra


def test_the_comparison_catches_premailers_default_rewrites(documents, tmp_path):
    """The check is live: premailer with its default options (what tplkit once ran) changes
    image widths in the gallery, and the attribute comparison sees it."""
    import premailer

    rewritten = 0
    for _, _, plain in documents:
        out = tmp_path / plain.name
        out.write_text(premailer.Premailer(plain.read_text(encoding="utf-8"), allow_network=False,
                                           keep_style_tags=True, remove_classes=False,
                                           disable_validation=True,
                                           cssutils_logging_level=logging.CRITICAL).transform(),
                       encoding="utf-8")
        before = [a.get("width") for t, a in elements(plain) if t == "img"]
        after = [a.get("width") for t, a in elements(out) if t == "img"]
        rewritten += sum(b != a for b, a in zip(before, after, strict=True))
    print(f"premailer defaults rewrite {rewritten} gallery image widths")
    assert rewritten > 0
