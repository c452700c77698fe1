"""Compile once, render many: the compiled path equals the naive per-message pipeline."""
from __future__ import annotations

import re

import tplkit
from tplkit.testing import assert_same_email, combinations

HOSTILE = {"customer_name": '<script>alert("x")</script> & Олена \'O\'Neil\'', "ticket_id": 'A&B "1"'}


def test_compiled_equals_naive_for_every_builtin_combination(kit):
    """For every template x locale x sample (and a hostile variant) compiled == naive."""
    checked = 0
    for name, loc, sample_name, sample in combinations(kit):
        for ctx in (sample, {**sample, **{k: v for k, v in HOSTILE.items() if k in sample}}):
            fast = kit.render(name, ctx, locale=loc)
            assert_same_email(fast, kit.render_naive(name, ctx, locale=loc), (name, loc, sample_name))
            assert "<script>" not in fast.html
            checked += 1
    assert checked >= 2 * 2 * 3 * 2


def test_runtime_templates_hold_only_per_recipient_work(kit):
    """After compiling, no brand, layout, slot token or translation lookup is left."""
    for name in kit.template_names():
        compiled = kit.compile(name, "uk")
        for src in compiled.sources.values():
            assert "TPLSLOT" not in src
            assert "brand" not in re.findall(r"\{\{(.*?)\}\}", src, re.S).__str__()
            assert "gettext" not in src and "_(" not in src


def test_doctype_restored_and_css_inlined(kit):
    """premailer's dropped lowercase doctype is restored and <style> rules are inlined."""
    html = kit.render("acknowledgement", kit.template("acknowledgement").sample).html
    assert html.lower().startswith("<!doctype html>")
    assert re.search(r'<a href="https://help\.northwind\.example" style="[^"]*color:#1d4ed8', html)
    assert "@media" in html  # responsive rules stay in a <style> block


def test_placeholders_in_href_survive_and_are_url_encoded(kit):
    """Rating links carry the ticket id URL-encoded (premailer would otherwise mangle {{ }})."""
    ctx = dict(kit.template("feedback-request").sample, ticket_id="A&B 1/2")
    email = kit.render("feedback-request", ctx)
    for score in range(1, 6):
        url = f"https://survey.northwind.example/rate?ticket=A%26B+1%2F2&amp;score={score}"
        assert f'href="{url}"' in email.html
        assert f"https://survey.northwind.example/rate?ticket=A%26B+1%2F2&score={score}" in email.text
    assert "%7B" not in email.html and "{{" not in email.html


def test_runtime_condition_picks_branch_per_message(kit):
    """One compiled template serves both the 1-5 and the 0-10 rating scale."""
    info = kit.template("feedback-request")
    csat = kit.render("feedback-request", info.samples["default"])
    nps = kit.render("feedback-request", info.samples["nps-order"])
    assert len(re.findall(r"tplkit-rating-link", csat.html)) == 5
    assert len(re.findall(r"tplkit-rating-link", nps.html)) == 11
    assert "score=0" in nps.text and "score=0" not in csat.text


def test_compiled_is_cached_per_template_and_locale(kit):
    """compile() returns the same object for the same (template, locale)."""
    assert kit.compile("acknowledgement", "ru") is kit.compile("acknowledgement", "ru")
    assert kit.compile("acknowledgement", "ru") is not kit.compile("acknowledgement", "uk")


def test_auto_reload_recompiles_changed_source(tmp_path):
    """With auto_reload, editing a template file is picked up without a new Kit."""
    import os
    import shutil

    shutil.copytree(tplkit.Kit().template("acknowledgement").folder,
                    tmp_path / "templates" / "acknowledgement")
    kit = tplkit.Kit(tmp_path, auto_reload=True)
    ctx = kit.template("acknowledgement").sample
    assert "received your request" in kit.render("acknowledgement", ctx).subject
    subject = tmp_path / "templates/acknowledgement/subject.txt"
    subject.write_text("Ticket {{ ticket_id }} is open\n")
    st = subject.stat()
    os.utime(subject, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    assert kit.render("acknowledgement", ctx).subject == f"Ticket {ctx['ticket_id']} is open"
