"""The email frame's height without JavaScript: the server's estimate in the page (checked
against Chromium's real height in tests/test_browser.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import tplkit
from tplkit.preview import PreviewApp
from tplkit.preview.height import estimate_height

PROJECT = Path(__file__).parent / "fixtures" / "serve" / "project"


@pytest.fixture(scope="module")
def app():
    return PreviewApp(PROJECT)


@pytest.mark.parametrize(("view", "width"), [("desktop", 600), ("mobile", 375), ("narrow", 320)])
def test_page_gives_the_frame_the_estimate_for_its_width(app, view, width):
    """The iframe's height attribute is the estimate for the view's width, and a <noscript> note
    links to the email on its own."""
    page = app.handle(f"/t/showcase?locale=en&view={view}").body.decode("utf-8")
    html = tplkit.Kit(PROJECT).render("showcase", {"customer_name": "Layla"}, locale="en").html
    frame = re.search(r'<iframe id="email"[^>]*>', page).group(0)
    assert f'width="{width}" height="{estimate_height(html, width)}"' in frame
    assert '<noscript><p class="note" id="noscript-note">' in page
    view_param = f"&amp;view={view}" if view != "desktop" else ""
    assert f'href="/t/showcase/email.html?locale=en{view_param}"' in page


def test_estimate_counts_wrapped_text_spacers_and_images():
    """Longer text, a narrower width, a fixed-height spacer and an image each make the email taller;
    hidden text (the preheader, <style>) adds nothing."""
    def email(body: str) -> str:
        return f"<html><head><style>p{{margin:0}}</style></head><body>{body}</body></html>"

    short = estimate_height(email("<p>Hello.</p>"), 600)
    long = estimate_height(email("<p>" + "Hello there. " * 200 + "</p>"), 600)
    assert short < long < estimate_height(email("<p>" + "Hello there. " * 200 + "</p>"), 320)
    spacer = email('<p>Hello.</p><div style="height:900px;line-height:900px;">&#8202;</div>')
    assert estimate_height(spacer, 600) >= short + 900
    image = email('<p>Hello.</p><img src="a.png" width="600" height="300">')
    assert estimate_height(image, 320) >= short + 160   # 600x300 shown 320 wide: 160 high
    hidden = email('<div style="display:none;max-height:0px">' + "preview text " * 100
                   + "</div><p>Hello.</p>")
    assert estimate_height(hidden, 600) == short
