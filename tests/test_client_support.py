"""Client support by caniemail's data (npm ``caniemail``, pinned in tests/node): the built-in
layout uses no HTML/CSS feature that Gmail, Apple Mail or Outlook do not support, beyond what
MJML's own output for the same components uses, except the ones listed (with why) in
``BEYOND_MJML`` and in the README's "Client support" section."""
from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import mjml
import pytest
from oracles import NODE_DIR, combinations, require

README = Path(__file__).parent.parent / "README.md"
FAMILIES = ("gmail", "apple-mail", "outlook")

#: caniemail features the layout adds on top of MJML that some Gmail/Apple/Outlook client lacks
BEYOND_MJML = {
    "css-at-media-prefers-color-scheme": "dark mode; clients without it show the light design",
    "css-color-scheme": "dark mode hint; ignored where unsupported",
    "html-meta-color-scheme": "dark mode hint (Apple Mail on macOS); ignored where unsupported",
    "css-selector-attribute": "[data-ogsc]/[data-ogsb]: dark-mode hooks only Outlook.com sets",
    "css-selector-child": "inside the dark-mode rules only, to reach MJML's section tables",
    "css-white-space": "white-space:nowrap on amounts in order tables; where unsupported they may wrap",
}

# the same components as the built-in layout, as plain MJML: what MJML itself needs
BASELINE_MJML = """<mjml lang="en" dir="ltr">
<mj-head><mj-title>t</mj-title><mj-preview>p</mj-preview></mj-head>
<mj-body background-color="#eeeeee" width="600px" css-class="b"><mj-section padding="24px 0"><mj-column>
<mj-image src="https://e.example/l.png" alt="l" width="140px" href="https://e.example" />
</mj-column></mj-section>
<mj-section background-color="#ffffff" border-radius="8px" direction="ltr" text-align="left" css-class="c">
<mj-column><mj-text color="#111111" css-class="t">x</mj-text>
<mj-button href="https://e.example" css-class="b" border-radius="6px">b</mj-button>
<mj-raw><div>r</div></mj-raw><mj-table><tr><td>x</td></tr></mj-table></mj-column></mj-section></mj-body></mjml>"""


@pytest.fixture(scope="module")
def caniemail() -> dict[str, dict]:
    """caniemail's features by slug."""
    path = NODE_DIR / "node_modules" / "caniemail" / "data" / "caniemail.json"
    require(None if path.is_file()
            else "npm caniemail is not installed (cd tests/node && npm ci --ignore-scripts)")
    return {f["slug"]: f for f in json.loads(path.read_text(encoding="utf-8"))["data"]}


def _css(css: str, slugs: dict) -> set[str]:
    out = set()
    for prop, value in re.findall(r"(?<![\w-])([a-z][a-z-]*)\s*:\s*([^;{}]+)", css):
        if prop.startswith("mso-"):
            continue
        slug = "css-" + re.sub(r"-(top|right|bottom|left)$", "", prop)
        slug = "css-border" if slug.startswith("css-border-") and slug not in slugs else slug
        if prop == "display" and "none" in value:
            out.add("css-display-none")
        if "!important" in value:
            out.add("css-important")
        out |= {slug} & slugs.keys()
        out |= {f"css-unit-{u}" for u, pat in (("px", r"\dpx"), ("percent", r"\d%"), ("em", r"\dem\b"))
                if re.search(pat, value)}
    return out


def _selectors(css: str) -> set[str]:
    out = set()
    for group in re.findall(r"([^{}@]+)\{", re.sub(r"@media[^{]*\{", "", css)):
        parts = [p.strip() for p in group.split(",")]
        out |= {"css-selector-grouping"} if len(parts) > 1 else set()
        for sel in parts:
            checks = {"css-selector-child": ">" in sel, "css-selector-attribute": "[" in sel,
                      "css-selector-id": "#" in sel, "css-selector-class": "." in sel,
                      "css-selector-type": bool(re.match(r"[a-z]", sel)),
                      "css-selector-chaining": bool(re.search(r"[\w\]]\.[a-z]", sel)),
                      "css-selector-descendant": bool(re.search(r"[\w\]]\s+[.\w\[#]", sel))}
            out |= {k for k, v in checks.items() if v}
    return out


def features(html: str, slugs: dict) -> set[str]:
    """The caniemail features an HTML document uses (elements, attributes, CSS, selectors)."""
    out = {"html-doctype"} if html.lstrip().lower().startswith("<!doctype") else set()
    for el in lxml.html.fromstring(html).iter():
        if not isinstance(el.tag, str):
            out.add("html-comments")
            continue
        out |= {f"html-{el.tag}"} & slugs.keys()
        for attr, value in el.attrib.items():
            out |= {f"html-{attr}"} & slugs.keys() - {"html-style"}
            if attr == "style":
                out |= _css(value, slugs)
            if attr == "href" and value.startswith("mailto:"):
                out.add("html-mailto-links")
        if el.tag == "meta" and el.get("name") == "color-scheme":
            out.add("html-meta-color-scheme")
        if el.tag == "style":
            css = el.text or ""
            out |= _css(css, slugs) | _selectors(css)
            out |= {slug for slug, word in (("css-at-media", "@media"), ("css-at-import", "@import"),
                                            ("css-at-font-face", "@font-face"),
                                            ("css-at-media-prefers-color-scheme", "prefers-color-scheme"))
                    if word in css}
    return out


def unsupported(feature: dict) -> list[str]:
    """Gmail/Apple Mail/Outlook clients whose latest caniemail result is "n" (not supported)."""
    bad = []
    for family in FAMILIES:
        for platform, results in feature["stats"].get(family, {}).items():
            if results and list(results.values())[-1].startswith("n"):
                bad.append(f"{family}/{platform}")
    return bad


def test_layout_uses_no_unsupported_feature_beyond_mjml(kit, caniemail):
    """Unsupported (somewhere in Gmail/Apple Mail/Outlook) features the built-in emails use
    and MJML's own output does not are exactly the documented ones."""
    used = set()
    for name, locale, _, ctx in combinations(kit):
        used |= features(kit.render(name, ctx, locale=locale).html, caniemail)
    baseline = features(mjml.mjml2html(BASELINE_MJML, disable_comments=True, fonts={}), caniemail)
    extra = {f for f in used - baseline if unsupported(caniemail[f])}
    assert extra == set(BEYOND_MJML), {f: unsupported(caniemail[f]) for f in extra}
    assert "css-at-media" in baseline and "css-border-radius" in baseline   # the detector sees MJML's


def test_readme_lists_each_remaining_feature():
    """The README's client-support section names every feature in BEYOND_MJML."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Client support"):]
    assert all(f"`{slug}`" in section for slug in BEYOND_MJML)
