"""The plain-text part derived from the MJML structure."""
from __future__ import annotations

import re

from tplkit.text import mjml_to_text


def test_text_part_has_no_markup_artifacts(kit):
    """No table pipes, rules, tags or leaked preheader in any built-in text part."""
    for name in kit.template_names():
        for loc in kit.locales():
            email = kit.render(name, kit.template(name).sample, locale=loc)
            assert "|" not in email.text and "---" not in email.text and "<" not in email.text
            assert email.preheader not in email.text, (name, loc)
            assert not email.text.startswith("\n") and email.text.endswith("\n")


def test_lines_wrapped_at_78_except_urls(kit):
    """Every line fits in 78 characters unless it is (or ends in) a URL, even with long values."""
    ctx = dict(kit.template("acknowledgement").sample,
               request_summary="the replacement of a damaged espresso machine delivered last week " * 3)
    for loc in kit.locales():
        text = kit.render("acknowledgement", ctx, locale=loc).text
        for line in text.splitlines():
            if len(line) > 78:
                assert re.search(r"\S+://\S+$", line), line


def test_cta_is_label_then_url_and_rating_is_numbered_list(kit):
    """A button is shown as 'label: url'; rating buttons as a numbered list of URLs."""
    email = kit.render("feedback-request", kit.template("feedback-request").sample)
    assert "Leave a review: https://northwind.example/reviews/new" in email.text
    lines = [ln for ln in email.text.splitlines() if "score=" in ln]
    assert [ln.split(".")[0] for ln in lines] == ["1", "2", "3", "4", "5"]
    assert lines[0] == "1. https://survey.northwind.example/rate?ticket=SR-10482&score=1"


def test_paragraphs_links_and_lists():
    """Paragraphs are separated by a blank line; links show their URL; list items get dashes."""
    text = mjml_to_text("""<mjml><mj-head><mj-preview>hidden preview</mj-preview></mj-head><mj-body>
      <mj-section><mj-column>
        <mj-text><p>First  paragraph
        continues.</p><p>See <a href="https://kb.example/a">the guide</a> or
        <a href="mailto:help@x.example">help@x.example</a>.</p><ul><li>one</li><li>two</li></ul></mj-text>
        <mj-image src="https://x.example/i.png" alt="logo"/>
        <mj-divider/>
        <mj-table><tr><td>Order</td><td>58213</td></tr></mj-table>
      </mj-column></mj-section></mj-body></mjml>""")
    assert text == ("First paragraph continues.\n\n"
                    "See the guide (https://kb.example/a) or help@x.example.\n\n"
                    "- one\n- two\n\nOrder 58213\n")
