"""The built-in template library: complete manifests, translatable text, and each template's
support-practice promises (what it says, in which case, formatted for the locale)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

import tplkit
from tplkit import formatting
from tplkit.catalogs import extract, template_files
from tplkit.config import builtin_root
from tplkit.i18n import read_po

TEMPLATES = builtin_root() / "templates"
LOCALES = builtin_root() / "locales"
EXPECTED = {"acknowledgement", "auto-reply", "apology", "follow-up", "escalation", "feedback-request",
            "order-confirmation", "return-request", "knowledge-base", "escalation-resolved",
            "appointment"}


def render_all(kit: tplkit.Kit):
    for name in kit.template_names():
        for locale in kit.locales():
            for sample, ctx in kit.template(name).samples.items():
                yield name, locale, sample, kit.render(name, ctx, locale=locale)


# --- the library as a whole ---------------------------------------------------------------

def test_the_builtin_templates_exist(kit):
    """The built-in library has exactly the support templates of issues 1 and 18."""
    assert set(kit.template_names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest_is_complete(kit, name):
    """Description, category, tags, described placeholders and at least two named samples."""
    info = kit.template(name)
    assert info.description.endswith(".") and info.category and info.tags
    assert len(info.samples) >= 2
    for ph in info.placeholders.values():
        assert ph.description, f"{name}: placeholder {ph.name} has no description"
    body = info.file("html").read_text(encoding="utf-8")
    assert body.lstrip().startswith('{% extends "_layouts/base.mjml" %}')


def _visible_text(source: str) -> str:
    """What a template prints outside Jinja tags, trans blocks and markup."""
    s = re.sub(r"\{#.*?#\}", " ", source, flags=re.DOTALL)
    s = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", s, flags=re.DOTALL)
    s = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", s, flags=re.DOTALL)
    s = re.sub(r"<mj-style>.*?</mj-style>", " ", s, flags=re.DOTALL)
    s = re.sub(r"<[^>]*>", " ", s)
    return re.sub(r"&[a-z]+;|[·|]", " ", s)


@pytest.mark.parametrize("path", [f for _, f in template_files([TEMPLATES])],
                         ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_every_visible_word_is_marked_for_translation(path):
    """No template file prints words outside {% trans %} / _() (they would stay English)."""
    left = _visible_text(path.read_text(encoding="utf-8"))
    assert not re.search(r"[^\W\d_]{2,}", left), f"untranslatable text in {path.name}: {left.split()}"


def test_visible_text_check_catches_bare_words():
    """The check above flags text outside trans blocks and ignores tags, names and comments."""
    assert re.search(r"[^\W\d_]{2,}", _visible_text("<p>Hello {{ name }}</p>"))
    assert not re.search(r"[^\W\d_]{2,}", _visible_text(
        '{# note #}<p class="x">{% trans n=name %}Hi {{ n }}{% endtrans %} {{ _("Go") }}</p>'))


def test_pot_is_up_to_date():
    """locales/tplkit.pot holds exactly the messages of the templates (run 'tplkit i18n extract')."""
    extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in extract([TEMPLATES]) if m.id}
    pot = read_po(LOCALES / "tplkit.pot", None)
    in_pot = {m.id if isinstance(m.id, str) else tuple(m.id) for m in pot if m.id}
    assert extracted == in_pot


def test_subjects_are_short_in_every_locale(kit):
    """Every sample's subject fits 60 characters in every locale, and 45 in English."""
    too_long = []
    for name, locale, sample, email in render_all(kit):
        limit = 45 if locale == "en" else 60
        if len(email.subject) > limit:
            too_long.append(f"{name}/{locale}/{sample}: {len(email.subject)} {email.subject!r}")
    assert not too_long


def test_every_email_shows_the_brand_contacts(kit):
    """Phone, email, help-centre and social links are in the HTML and text of every email."""
    brand = kit.brand
    assert brand.social
    for name, locale, sample, email in render_all(kit):
        for part in (email.html, email.text):
            for value in (brand.phone, brand.email, brand.kb_url, *brand.social.values()):
                assert value in part, (name, locale, sample, value)


# --- auto-reply -----------------------------------------------------------------------------

def test_auto_reply_carries_rfc3834_headers(kit):
    """The message is marked Auto-Submitted: auto-replied and suppresses Exchange auto-replies."""
    msg = kit.render("auto-reply", kit.template("auto-reply").sample).to_message(
        sender="support@northwind.example", to="olena@example.com")
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"


@pytest.mark.parametrize("locale", ["en", "uk", "ar"])
def test_auto_reply_shows_the_return_day_and_time_in_the_locale(kit, locale):
    """back_at is shown as the full date and the short time of that locale (CLDR, with the
    locale's style: tplkit.locale_style)."""
    if locale not in kit.locales():
        pytest.skip(f"no {locale} catalog in this checkout")
    back = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    email = kit.render("auto-reply", {"back_at": back.isoformat()}, locale=locale)
    # the CLDR date, kept on one line (its spaces are no-break spaces)
    assert formatting.fmt_date(back, "full", locale=locale) in email.html
    assert formatting.fmt_time(back, locale=locale) in email.html
    assert "2026-11-23" not in email.text


def test_auto_reply_time_is_in_the_support_time_zone_and_names_it(kit, tmp_path):
    """back_at is shown in the brand's support time zone (Europe/Berlin by default), day
    included, with the zone's name; without one, in back_at's own offset."""
    def line(k, back_at, locale="en"):
        text = k.render("auto-reply", {"back_at": back_at}, locale=locale).text
        return " ".join(text.split())

    # 17:00 in Tokyo is 9:00 in Berlin the same day; 7:00 in Tokyo is 23:00 the day before
    assert "on Monday, November 23, 2026 at 9:00 AM (Central European Time)." in \
        line(kit, "2026-11-23T17:00:00+09:00")
    assert "on Monday, November 23, 2026 at 11:00 PM (Central European Time)." in \
        line(kit, "2026-11-24T07:00:00+09:00")
    assert "з 09:00 за центральноєвропейським часом." in line(kit, "2026-11-23T09:00:00+01:00", "uk")
    (tmp_path / "tplkit.toml").write_text('[brand]\ncompany_name = "Shop"\n[brand.support_hours]\n'
                                          'days = "mon-fri"\n', encoding="utf-8")  # no zone
    bare = tplkit.Kit(tmp_path)
    assert "on Tuesday, November 24, 2026 at 7:00 AM (GMT+09:00)." in \
        line(bare, "2026-11-24T07:00:00+09:00")
    # the same instant in another offset is another text (formatting results are kept per
    # value, and equal datetimes in different zones must not share one)
    assert "on Monday, November 23, 2026 at 10:00 PM (Coordinated Universal Time)." in \
        line(bare, "2026-11-23T22:00:00+00:00")


def test_auto_reply_response_time_defaults_to_the_sla_and_is_pluralised(kit):
    """response_hours defaults to brand.sla_hours; 1 hour vs 2/21 hours in English."""
    base = {"back_at": "2026-11-23T09:00:00+01:00"}
    assert f"within {kit.brand.sla_hours} hours" in kit.render("auto-reply", base).text
    assert "within 1 hour of" in kit.render("auto-reply", {**base, "response_hours": 1}).text
    for n in (2, 21):
        assert f"within {n} hours of" in kit.render("auto-reply", {**base, "response_hours": n}).text


def test_auto_reply_mentions_the_ticket_only_when_known(kit):
    """With ticket_id the subject and body quote it; without, neither shows a blank."""
    base = {"back_at": "2026-11-23T09:00:00+01:00"}
    with_ticket = kit.render("auto-reply", {**base, "ticket_id": "SR-77"})
    without = kit.render("auto-reply", base)
    assert "SR-77" in with_ticket.subject and "ticket SR-77" in with_ticket.text
    assert "ticket" not in without.text.split("Kind regards")[0]
    assert "Hello," in without.text and "Hi " not in without.text


# --- apology --------------------------------------------------------------------------------

APOLOGY = {"customer_name": "Olena", "details_url": "https://northwind.example/orders/1"}


def test_apology_names_each_situation(kit):
    """Each situation has its own subject and its own apology and action wording."""
    subjects, bodies = set(), set()
    for situation in kit.template("apology").placeholders["situation"].choices:
        email = kit.render("apology", {**APOLOGY, "situation": situation})
        subjects.add(email.subject)
        bodies.add(email.text.split("\n\n")[1] + email.text.split("\n\n")[2])
    assert len(subjects) == len(bodies) == 5
    late = kit.render("apology", {**APOLOGY, "situation": "delivery_delay", "order_id": "58213"})
    assert "late" in late.subject and "order 58213" in late.text and "carrier" in late.text


def test_apology_other_uses_the_details_and_resolution(kit):
    """situation 'other' quotes situation_details; resolution replaces the standard action."""
    email = kit.render("apology", {**APOLOGY, "situation": "other",
                                   "situation_details": "the unanswered calls",
                                   "resolution": "We've called you back today."})
    assert "We're truly sorry about the unanswered calls." in email.text
    assert "We've called you back today." in email.text
    assert "looking into what went wrong" not in email.text


def test_apology_apologises_once(kit):
    """The body says sorry in one sentence only (apologise once, sincerely)."""
    for sample in kit.template("apology").samples.values():
        body = kit.render("apology", sample).text.split("Kind regards")[0]
        assert len(re.findall(r"\b[Ss]orry\b", body)) == 1, body   # (not the SORRY- voucher code)


def test_compensation_box_only_with_a_voucher(kit):
    """No code and no amount: no box; a code alone, an amount alone, or both each read right."""
    plain = kit.render("apology", {**APOLOGY, "situation": "wrong_item"})
    assert "tplkit-compensation" not in plain.html and "gift" not in plain.text
    code = kit.render("apology", {**APOLOGY, "situation": "wrong_item", "voucher_code": "ABC-1"})
    assert "tplkit-compensation" in code.html and "ABC-1" in code.text
    assert "voucher for your next order" in code.text
    credit = kit.render("apology", {**APOLOGY, "situation": "wrong_item", "voucher_amount": "15 EUR"})
    assert "credit of €15.00" in credit.text and "Valid until" not in credit.text


@pytest.mark.parametrize("locale", ["en", "de", "uk", "ar"])
def test_compensation_amount_and_expiry_are_formatted_for_the_locale(kit, locale):
    """voucher_amount prints as the locale's money and voucher_expires as its date (CLDR with
    the locale's style: tplkit.locale_style)."""
    if locale not in kit.locales():
        pytest.skip(f"no {locale} catalog in this checkout")
    email = kit.render("apology", {**APOLOGY, "situation": "delivery_delay", "voucher_code": "X-1",
                                   "voucher_amount": {"amount": "10.00", "currency": "EUR"},
                                   "voucher_expires": "2027-02-28"}, locale=locale)
    assert formatting.fmt_money(Decimal("10.00"), "EUR", locale=locale) in email.html
    assert formatting.fmt_date(dt.date(2027, 2, 28), "long", locale=locale) in email.html


# --- follow-up and escalation ---------------------------------------------------------------

def test_follow_up_subject_carries_the_ticket_in_every_locale(kit):
    """Every sample's subject quotes its ticket number, in every locale."""
    for locale in kit.locales():
        for sample in kit.template("follow-up").samples.values():
            assert sample["ticket_id"] in kit.render("follow-up", sample, locale=locale).subject


def test_follow_up_says_what_happens_next_and_when(kit):
    """The status picks the next-step wording; the date is stated; the CTA links the request."""
    info = kit.template("follow-up")
    texts = {s.get("status", "in_progress"): kit.render("follow-up", s).text
             for s in info.samples.values()}
    assert len(set(texts.values())) == 3
    assert "Please answer this email by November 29, 2026" in " ".join(texts["needs_customer"].split())
    assert "update you by November 26, 2026" in " ".join(texts["in_progress"].split())
    sample = info.sample
    assert f"View or reply to your request: {sample['request_url']}" in kit.render("follow-up", sample).text


ESCALATION = {"customer_name": "Olena", "ticket_id": "SR-1", "request_url": "https://h.example/r/1",
              "contact_name": "Daniel Weber", "contact_role": "Team Lead", "reply_by": "2026-11-25"}


def test_escalation_names_the_contact_and_the_timeline(kit):
    """Name, role, the reply-by date and the CTA appear; optional lines only when given."""
    bare = kit.render("escalation", ESCALATION)
    assert "Daniel Weber\nTeam Lead" in bare.text
    assert "November 25, 2026" in " ".join(bare.text.split()) and "escalated" in bare.subject
    assert "Email:" not in bare.text and "Phone:" not in bare.text
    full = kit.render("escalation", {**ESCALATION, "contact_email": "dw@northwind.example",
                                     "contact_phone": "+1 555 0142"})
    assert 'href="mailto:dw@northwind.example"' in full.html
    assert "Email: dw@northwind.example" in full.text and "Phone: +1 555 0142" in full.text


def test_escalation_contact_card_mirrors_in_rtl(kit):
    """The contact card's accent border is on the start side: left in en, right in ar."""
    assert "border-left:4px solid" in kit.render("escalation", ESCALATION).html
    if "ar" in kit.locales():
        ar = kit.render("escalation", ESCALATION, locale="ar").html
        assert "border-right:4px solid" in ar and 'dir="rtl"' in ar


def test_readme_lists_every_template_and_placeholder(kit):
    """The README 'templates' section names every template, sample and placeholder."""
    readme = (builtin_root() / "README.md")
    if not readme.is_file():
        pytest.skip("README.md is not shipped in the wheel")
    text = readme.read_text(encoding="utf-8")
    section = text[text.index("<!-- section:templates -->"):text.index("<!-- /section:templates -->")]
    for name in kit.template_names():
        info = kit.template(name)
        assert f"`{name}`" in section
        for word in [*info.placeholders, *info.samples]:
            assert f"`{word}`" in section, f"README templates section lacks `{word}` ({name})"


def test_free_text_samples_are_in_each_language(kit):
    """Free-text sample values (a request summary, a contact's role, an update) come in every
    locale's language, so a preview reads as one language; other values stay as they are."""
    info = kit.template("escalation")
    base = info.sample_for(None, "no-direct-line")
    assert base["contact_role"] == "Team Lead, Returns"
    uk = info.sample_for("uk", "no-direct-line")
    assert uk["contact_role"] == "Керівниця групи повернень"
    assert (uk["customer_name"], uk["contact_name"]) == ("Марко", "Ганна Ковач")   # names in its script
    localized = ("contact_role", "customer_name", "contact_name")
    assert {k: v for k, v in uk.items() if k not in localized} == \
        {k: v for k, v in base.items() if k not in localized}
    assert info.sample_for("uk-UA", "no-direct-line") == uk == info.sample_for("uk_UA", "no-direct-line")
    assert info.sample_for("fr", "no-direct-line") == base          # no French values: as written
    assert kit.template("acknowledgement").sample_for("de")["request_summary"] == \
        "Rückerstattung für Bestellung 58213"                       # the default sample
    for name in kit.template_names():
        info = kit.template(name)
        for loc, by_sample in info.localized_samples.items():
            assert loc in kit.locales() and set(by_sample) <= set(info.samples), (name, loc)


def test_preview_shows_the_sample_in_the_locale_s_language():
    from click.testing import CliRunner

    from tplkit.cli import main

    result = CliRunner().invoke(main, ["preview", "acknowledgement", "--locale", "uk"])
    assert result.exit_code == 0, result.output
    assert "«повернення коштів за замовлення 58213»" in result.output
    assert "refund" not in result.output
