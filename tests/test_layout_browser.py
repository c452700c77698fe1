"""The built-in layout in headless Chromium: touch targets at 320 px, vertical rhythm, and
light/dark rendering (prefers-color-scheme emulation). Screenshots of light and dark go to
``test-artifacts/layout/``.

Nothing leaves the machine: every request the email makes is answered locally (the logo by
a small dark SVG, which shows whether a dark logo survives dark mode) or aborted.
"""
from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.browser

LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="280" height="80" viewBox="0 0 280 80">'
        b'<text x="0" y="56" font-family="sans-serif" font-size="48" font-weight="bold" '
        b'fill="#111827">Northwind</text></svg>')
TARGET = 44   # px: WCAG 2.5.5 / Apple HIG minimum touch target


def _open(browser, html: str, width: int, scheme: str = "light"):
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = ctx.new_page()

    def answer(route):
        if route.request.url.endswith("/logo.png"):
            route.fulfill(status=200, content_type="image/svg+xml", body=LOGO)
        else:
            route.abort()

    page.route("**/*", answer)
    page.set_content(html, wait_until="load")
    return ctx, page


def _rating_boxes(page) -> list[dict]:
    return page.eval_on_selector_all("a.tplkit-rating-link", """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {x: r.left, y: r.top, w: r.width, h: r.height, text: e.textContent}; })""")


@pytest.mark.parametrize("sample,count", [("default", 5), ("nps-order", 11)])
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_rating_targets_at_320px(kit, browser, sample, count, locale, screenshot):
    """At 320 px every rating button is a >= 44x44 px target inside the screen, none overlap,
    the NPS row wraps to two lines and the 1-5 row stays on one; at 600 px both are one line."""
    info = kit.template("feedback-request")
    html = kit.render("feedback-request", info.sample_for(locale, sample), locale=locale).html
    for width, lines in ((320, 2 if count == 11 else 1), (600, 1)):
        ctx, page = _open(browser, html, width)
        boxes = _rating_boxes(page)
        assert [b["text"] for b in boxes] == [str(n) for n in range(count == 5, count + (count == 5))]
        for b in boxes:
            assert b["w"] >= TARGET and b["h"] >= TARGET, b
            assert b["x"] >= 0 and b["x"] + b["w"] <= width, b
        for a, c in itertools.pairwise(boxes):
            assert a["y"] != c["y"] or abs(a["x"] - c["x"]) >= a["w"], (a, c)
        assert len({round(b["y"]) for b in boxes}) == lines, (width, boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"layout/rating-{locale}-{sample}-{width}px")
        ctx.close()


BLOCKS = """() => {
  const units = [];
  // each row of the card's column is one MJML block: an mj-text (its paragraphs, boxes and
  // rating row count one by one) or an mj-button (its table)
  const rows = '.tplkit-card .mj-outlook-group-fix > table > tbody > tr > td';
  for (const td of document.querySelectorAll(rows)) {
    const inner = td.firstElementChild;
    if (td.classList.contains('tplkit-cta')) units.push(inner);
    else for (const el of inner.children) units.push(el);
  }
  const rects = units.map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
  const gaps = [];
  for (let i = 1; i < rects.length; i++) gaps.push(Math.round(rects[i].top - rects[i - 1].bottom));
  return gaps;
}"""


@pytest.mark.parametrize("name", ["acknowledgement", "apology", "auto-reply", "escalation",
                                  "feedback-request", "follow-up"])
def test_vertical_rhythm_is_even(kit, browser, name):
    """Inside the card, the gap between any two consecutive blocks (paragraphs, boxes,
    buttons, rating rows) is 16 px, give or take the rating buttons' 2 px margin."""
    info = kit.template(name)
    for sample in info.samples:
        html = kit.render(name, info.sample_for("en", sample), locale="en").html
        ctx, page = _open(browser, html, 600)
        gaps = page.evaluate(BLOCKS)
        ctx.close()
        assert len(gaps) >= 3, gaps
        assert all(14 <= g <= 18 for g in gaps), (sample, gaps)


def _colors(page) -> dict[str, str]:
    return page.evaluate("""() => {
      const bg = e => getComputedStyle(e).backgroundColor;
      const card = document.querySelector('.tplkit-card');
      return {page: bg(document.querySelector('.tplkit-body')), card: bg(card),
              text: getComputedStyle(card.querySelector('p')).color,
              link: getComputedStyle(document.querySelector('.tplkit-card p a')
                                     || card.querySelector('p')).color,
              logo: bg(document.querySelector('.tplkit-logo img'))};
    }""")


@pytest.mark.parametrize("name,locale,sample", [("acknowledgement", "en", "default"),
                                                ("apology", "de", "default"),
                                                ("feedback-request", "ar", "nps-order")])
def test_light_and_dark_screenshots(kit, browser, name, locale, sample, screenshot):
    """prefers-color-scheme: dark switches page, card, text and link colours to the brand's
    dark ones and puts the (dark) logo on a light plate; light keeps the light ones.
    Screenshots of both are saved as test artefacts."""
    info = kit.template(name)
    html = kit.render(name, info.sample_for(locale, sample), locale=locale).html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    brand = kit.brand
    found = {}
    for scheme in ("light", "dark"):
        ctx, page = _open(browser, html, 600, scheme)
        found[scheme] = _colors(page)
        screenshot(page, f"layout/{name}-{locale}-{sample}-{scheme}")
        ctx.close()

    def rgb(hex_: str) -> str:
        r, g, b = (int(hex_[i:i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    assert found["light"]["card"] == rgb("#ffffff") and found["light"]["text"] == rgb(brand.text_color)
    assert found["light"]["page"] == rgb(brand.background_color)
    assert found["dark"]["page"] == rgb(brand.dark_background_color)
    assert found["dark"]["card"] == rgb(brand.dark_card_color)
    assert found["dark"]["text"] == rgb(brand.dark_text_color)
    assert found["dark"]["logo"] == rgb("#ffffff") and found["light"]["logo"] == "rgba(0, 0, 0, 0)"


def test_dark_logo_swaps_when_the_brand_has_one(browser, tmp_path):
    """brand.logo_dark_url: the light logo hides and the dark one shows in dark mode only."""
    import tplkit

    (tmp_path / "tplkit.toml").write_text(
        '[brand]\ncompany_name = "Swap Ltd"\nlogo_url = "https://swap.example/logo.png"\n'
        'logo_dark_url = "https://swap.example/dark/logo.png"\n', encoding="utf-8")
    kit = tplkit.Kit(tmp_path)
    html = kit.render("acknowledgement", kit.template("acknowledgement").sample).html
    shown = {}
    for scheme in ("light", "dark"):
        ctx, page = _open(browser, html, 600, scheme)
        shown[scheme] = page.evaluate("""() => [...document.querySelectorAll('img')]
            .filter(i => i.getBoundingClientRect().height > 0).map(i => i.getAttribute('src'))""")
        ctx.close()
    assert shown == {"light": ["https://swap.example/logo.png"],
                     "dark": ["https://swap.example/dark/logo.png"]}



@pytest.mark.parametrize("locale", ["en", "ar"])
def test_order_lines_table(kit, browser, locale, screenshot):
    """The order confirmation's lines and totals: amounts in the end column (right in
    English, left in Arabic) on one line, no horizontal scrolling at 320 px, and in dark
    mode the cells' text takes the brand's dark text colour like a paragraph. Screenshots
    are saved."""
    info = kit.template("order-confirmation")
    html = kit.render("order-confirmation", info.sample_for(locale), locale=locale).html
    for width, scheme in ((600, "light"), (600, "dark"), (320, "light")):
        ctx, page = _open(browser, html, width, scheme)
        found = page.evaluate("""() => {
          const rows = [...document.querySelectorAll('.tplkit-lines table tr')].slice(1);
          const name = rows[0].querySelector(':scope > td:first-child > div');
          const price = rows[0].querySelector(':scope > td:last-child > div').getBoundingClientRect();
          return {overflow: document.documentElement.scrollWidth - window.innerWidth,
                  color: getComputedStyle(name).color, rows: rows.length, priceHeight: price.height,
                  priceEnd: price.left > name.getBoundingClientRect().left};
        }""")
        screenshot(page, f"layout/order-confirmation-{locale}-{width}-{scheme}")
        ctx.close()
        assert found["rows"] == 3 and found["overflow"] <= 0, found
        assert found["priceHeight"] < 2 * 15, found   # one line: an amount never wraps
        assert found["priceEnd"] == (locale == "en"), found
        color = kit.brand.dark_text_color if scheme == "dark" else kit.brand.text_color
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        assert found["color"] == f"rgb({r}, {g}, {b})", (scheme, found)
