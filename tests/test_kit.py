"""The library API: discovery, rendering, locales, projects, placeholder errors."""
from __future__ import annotations

from pathlib import Path

import pytest

import tplkit
from tplkit import LocaleWarning, PlaceholderError, TemplateNotFound, TemplateSourceError

FIX = Path(__file__).parent / "fixtures" / "core"
ACK = "acknowledgement"


def ack_ctx(**over):
    ctx = {"customer_name": "Olena", "ticket_id": "SR-1", "request_url": "https://help.example/r/1"}
    ctx.update(over)
    return ctx


def test_discovery_lists_builtin_templates_and_locales(kit):
    """template_names() and locales() list the built-in library."""
    assert {"acknowledgement", "feedback-request"} <= set(kit.template_names())
    assert {"en", "ru", "uk"} <= set(kit.locales())


def test_every_sample_renders_in_every_locale(kit):
    """Each built-in sample renders to non-empty parts in each locale."""
    from tplkit.testing import assert_renders_everywhere

    assert all(len(kit.template(n).samples) >= 2 for n in kit.template_names())
    assert assert_renders_everywhere(kit) == sum(
        len(kit.template(n).samples) for n in kit.template_names()) * len(kit.locales())


def test_assert_renders_everywhere_lists_every_failure():
    """The testing helper reports all broken combinations, not just the first."""
    from tplkit.testing import assert_renders_everywhere

    with pytest.raises(AssertionError) as exc:
        assert_renders_everywhere(tplkit.Kit(FIX / "broken"),
                                  templates=["syntax-error", "undefined-name", "good"],
                                  locales=["en"])
    assert str(exc.value).startswith("2 of 3 failed:")
    assert "syntax-error/en/default" in str(exc.value) and "undefined-name/en/default" in str(exc.value)


def test_locale_negotiation_uses_fallback_chain(kit):
    """uk-UA falls back to uk; the locale used and the one requested are on the result."""
    email = kit.render(ACK, ack_ctx(), locale="uk-UA")
    assert email.locale == "uk" and email.requested_locale == "uk-UA"
    assert email.warnings == ()
    assert "Ми отримали ваш запит" in email.subject


@pytest.mark.parametrize("requested", ["pt-BR", "xx-??", "klingon"])
def test_unknown_locale_falls_back_with_warning(kit, requested):
    """An unavailable locale renders the default locale and says so."""
    with pytest.warns(LocaleWarning, match="using 'en'"):
        email = kit.render(ACK, ack_ctx(), locale=requested)
    assert email.locale == "en"
    assert email.warnings and requested in email.warnings[0]


def test_template_not_found_suggests_name(kit):
    """A misspelled template name is a TemplateNotFound with a suggestion."""
    with pytest.raises(TemplateNotFound, match="did you mean 'acknowledgement'"):
        kit.render("acknowledgment", ack_ctx())


def test_placeholder_error_reports_every_problem(kit):
    """Missing, invalid and unknown values are all reported at once, with did-you-mean."""
    with pytest.raises(PlaceholderError) as exc:
        kit.render(ACK, {"customer_nme": "O", "ticket_id": "SR-1", "request_url": "javascript:alert(1)",
                         "response_hours": "soon"})
    kinds = {(p.name, p.kind) for p in exc.value.problems}
    assert kinds == {("customer_name", "missing"), ("request_url", "invalid"),
                     ("response_hours", "invalid"), ("customer_nme", "unknown")}
    unknown = next(p for p in exc.value.problems if p.kind == "unknown")
    assert "did you mean 'customer_name'" in unknown.message
    assert exc.value.template == ACK


def test_non_strict_kit_ignores_unknown_names():
    """Kit(strict=False) ignores context keys that are not placeholders."""
    email = tplkit.Kit(strict=False).render(ACK, ack_ctx(internal_note="x"))
    assert "x" not in email.text.split()


def test_values_escaped_in_html_not_in_text(kit):
    """A value with markup is escaped in the HTML part and verbatim in text and subject."""
    name = '<b>O\'Neil & "Co"</b>'
    email = kit.render(ACK, ack_ctx(customer_name=name, ticket_id="<i>SR</i>"))
    assert name not in email.html and "<i>SR</i>" not in email.html
    assert "&lt;b&gt;O&#39;Neil &amp; &#34;Co&#34;&lt;/b&gt;" in email.html
    assert name in email.text
    assert "<i>SR</i>" in email.subject


@pytest.mark.parametrize("locale,hours,expected", [
    ("en", 1, "within 1 hour."), ("en", 24, "within 24 hours."),
    ("ru", 1, "в течение 1 часа."), ("ru", 2, "в течение 2 часов."), ("ru", 5, "в течение 5 часов."),
    ("ru", 21, "в течение 21 часа."), ("ru", 22, "в течение 22 часов."), ("ru", 25, "в течение 25 часов."),
    ("uk", 1, "протягом 1 години."), ("uk", 2, "протягом 2 годин."), ("uk", 5, "протягом 5 годин."),
    ("uk", 21, "протягом 21 години."), ("uk", 22, "протягом 22 годин."), ("uk", 25, "протягом 25 годин."),
])
def test_response_time_declines_with_plural_forms(kit, locale, hours, expected):
    """The response time uses the catalog's plural forms for the number of hours."""
    email = kit.render(ACK, ack_ctx(response_hours=hours), locale=locale)
    assert email.preheader.endswith(expected)
    assert expected in email.text


def test_response_hours_defaults_to_brand_sla():
    """Without response_hours, the acknowledgement promises the brand's SLA."""
    kit = tplkit.Kit(FIX / "project")
    assert kit.brand.sla_hours == 12
    email = tplkit.Kit().render(ACK, ack_ctx(), locale="en")
    assert "within 24 hours" in email.preheader
    email = kit.render("feedback-request", kit.template("feedback-request").sample)
    builtin_ack = kit.render(ACK, ack_ctx(), locale="uk")
    assert "протягом 12 годин" in builtin_ack.preheader


def test_html_lang_and_dir_follow_locale(kit, tmp_path):
    """<html lang dir> come from the locale, rtl for Arabic."""
    email = kit.render(ACK, ack_ctx(), locale="uk")
    assert '<html lang="uk" dir="ltr"' in email.html
    (tmp_path / "locales/ar/LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locales/ar/LC_MESSAGES/tplkit.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 '
        ': n%100>=11 ? 4 : 5);\\n"\n\nmsgid "View your request"\nmsgstr "عرض طلبك"\n', encoding="utf-8")
    (tmp_path / "templates").mkdir()
    ar = tplkit.Kit(tmp_path).render(ACK, ack_ctx(), locale="ar")
    assert '<html lang="ar" dir="rtl"' in ar.html
    assert "عرض طلبك" in ar.html
    assert 'align="right"' in ar.html


def test_project_layers_templates_brand_and_catalogs():
    """A project adds templates, overrides built-ins and messages, and its brand keys win
    (unset ones keep the built-in values; lint flags those as demo values)."""
    kit = tplkit.Kit(FIX / "project")
    assert "order-update" in kit.template_names() and ACK in kit.template_names()
    assert not kit.template("order-update").builtin and kit.template("feedback-request").builtin
    email = kit.render(ACK, ack_ctx(), locale="uk")
    assert email.subject == "Acme got your request SR-1"
    assert "Відкрити ваш запит в Acme" in email.html           # project catalog wins
    assert "Acme Shop" in email.text and "help@acme.example" in email.text
    # a table the project sets replaces the built-in one whole: no demo social links
    assert "instagram.com/acme" in email.text and "facebook.com/northwind" not in email.text
    assert kit.brand.address == tplkit.Kit().brand.address   # unset: the built-in value


def test_typed_values_are_coerced_and_formatted_per_locale():
    """ISO strings become dates, amounts become money, lists are joined per CLDR."""
    kit = tplkit.Kit(FIX / "project")
    ctx = kit.template("order-update").sample
    en = kit.render("order-update", ctx, locale="en").text
    # a date is kept on one line: its spaces are no-break spaces
    assert "Total: €12.50; ships: November\u00a024,\u00a02026; items: kettle, mug, and teapot." in en
    uk = kit.render("order-update", dict(ctx, parcels=2), locale="uk").text
    assert "12,50" in uk and "24\u00a0листопада\u00a02026" in uk
    assert "Standard delivery." in en
    assert "Express delivery." in kit.render("order-update", dict(ctx, express="yes")).text


def test_broken_template_reports_file_and_line():
    """A syntax error names the template, locale, file and line; other templates still render."""
    kit = tplkit.Kit(FIX / "broken")
    with pytest.raises(TemplateSourceError) as exc:
        kit.render("syntax-error", {"customer_name": "x"})
    err = exc.value
    assert err.file.endswith("syntax-error/body.mjml") and err.line == 5
    assert err.template == "syntax-error" and err.locale == "en"
    assert "'tplkit_if'" not in str(err)
    assert str(err).startswith(f"{err.file}:5: template syntax error")
    assert kit.render("good", {"customer_name": "Olena"}).subject == "Hello Olena"


def test_undeclared_name_reports_file_and_line():
    """A name that is neither a placeholder nor a build-time value is reported where it is used."""
    kit = tplkit.Kit(FIX / "broken")
    with pytest.raises(TemplateSourceError) as exc:
        kit.compile("undefined-name", "en")
    assert exc.value.file.endswith("undefined-name/body.mjml") and exc.value.line == 5
    assert "order_number" in str(exc.value)


def test_macro_may_test_a_placeholder_argument():
    """An {% if %} in a macro on a placeholder argument becomes a runtime condition."""
    kit = tplkit.Kit(FIX / "broken")
    assert kit.render("macro-branch", {"customer_name": "Olena"}).text.startswith("Hi Olena")
    assert "{%" not in kit.compile("macro-branch", "en").sources["text"].split("{% if")[0]


def test_money_without_currency_uses_the_brand_currency(tmp_path):
    """A money placeholder with no currency of its own takes brand.currency; bad amounts say so."""
    folder = tmp_path / "templates" / "refund"
    folder.mkdir(parents=True)
    (tmp_path / "tplkit.toml").write_text('[brand]\ncompany_name = "Zloty Shop"\ncurrency = "PLN"\n')
    (folder / "template.toml").write_text('description = "x"\n[placeholders.amount]\ntype = "money"\n'
                                          '[samples.default]\namount = "12.5"\n')
    (folder / "subject.txt").write_text("Refund of {{ amount }}\n")
    (folder / "preheader.txt").write_text("Refund\n")
    (folder / "body.mjml").write_text('{% extends "_layouts/base.mjml" %}{% block content %}'
                                      '<mj-text>{{ amount }}</mj-text>{% endblock %}\n')
    kit = tplkit.Kit(tmp_path)
    assert kit.render("refund", {"amount": "12.5"}, locale="en").subject == "Refund of PLN12.50"
    assert kit.render("refund", {"amount": "12.5 EUR"}, locale="en").subject == "Refund of €12.50"
    with pytest.raises(PlaceholderError, match="amount: expected a number, got 'lots'"):
        kit.render("refund", {"amount": "lots"})


def test_formatting_results_are_kept_per_value_type_and_arguments():
    """The locale filters keep recent results: a repeated value is formatted once; values
    that are equal but of another type, or other arguments, are formatted anew; lists
    (unhashable) are formatted every time; the store is bounded."""
    from tplkit.formatting import _remembered

    calls = []

    def fmt(value, *args, **kwargs):
        calls.append(value)
        return f"{type(value).__name__}:{value}:{args}:{sorted(kwargs.items())}"

    f = _remembered(fmt)
    assert f(1, locale="en") == f(1, locale="en") == "int:1:():[('locale', 'en')]"
    assert f(True, locale="en").startswith("bool:") and f(1, locale="uk").endswith("'uk')]")
    assert f(1, "short", locale="en") != f(1, locale="en")
    assert f([1, 2], locale="en") == f([1, 2], locale="en")
    assert calls == [1, True, 1, 1, [1, 2], [1, 2]]
    for i in range(5000):
        f(i, locale="en")
    memo = next(c.cell_contents for c in f.__closure__ if isinstance(c.cell_contents, dict))
    assert 0 < len(memo) <= 4096
