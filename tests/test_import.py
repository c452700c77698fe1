"""Imported MJML: names real templates use work as placeholders; what cannot says how to rename."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main
from tplkit.lint import lint
from tplkit.schema import name_problem, snake_case

WELCOME = Path(__file__).parent / "fixtures" / "import" / "welcome.mjml"


def run(cwd: Path, *args: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path):
    assert run(tmp_path, "new", "project", str(tmp_path / "p"), "-l", "en", "-l", "de").exit_code == 0
    return tmp_path / "p"


@pytest.mark.parametrize("name,problem", [
    ("FirstName", None), ("first_name", None), ("ORDER_ID", None), ("order2", None),
    ("_private", "rename it to 'private'"), ("first-name", "rename it to 'first_name'"),
    ("2fa_code", "rename it to 'value_2fa_code'"), ("brand", "rename it, e.g. to 'customer_brand'"),
    ("lang", "a name templates already get"), ("none", "a Jinja or Python word"),
    ("Név", "rename it to 'n_v'"),
])
def test_placeholder_name_rule(name, problem):
    """Identifiers of any case are names; others get the exact rename to make."""
    found = name_problem(name)
    assert (found is None) if problem is None else (problem in found), found


def test_snake_case_advice():
    """FirstName -> first_name, HTTPCode -> http_code, 'Order ID' -> order_id."""
    assert [snake_case(n) for n in ("FirstName", "HTTPCode", "Order ID")] == \
        ["first_name", "http_code", "order_id"]


def test_mjml_gallery_style_template_imports_and_renders(project):
    """`new template --from` keeps {{FirstName}}, declares it, and the email renders at once."""
    res = run(project, "new", "template", "welcome", "--from", str(WELCOME))
    assert res.exit_code == 0, res.output
    assert "placeholders declared as text: FirstName, OrderNumber" in res.stdout
    kit = tplkit.Kit(project)
    email = kit.render("welcome", {"FirstName": "Olena", "OrderNumber": "58213"})
    assert email.subject == "Welcome aboard, Olena" and email.preheader == "Your account is ready"
    assert "Hello Olena!" in email.text and "Your order 58213 is confirmed." in email.text
    assert '<html lang="en" dir="ltr"' in email.html
    found = {f.rule for f in lint(kit, templates=["welcome"], locales=["en"])}
    assert "undeclared-placeholder" not in found and "lang-dir" not in found
    assert "untranslated-text" in found      # what is left to do by hand: mark the text


def test_a_name_that_cannot_be_a_placeholder_is_refused_with_the_rename(project, tmp_path):
    """{{ _id }} in imported MJML: one error at its line saying what to rename it to."""
    src = tmp_path / "bad.mjml"
    src.write_text("<mjml>\n<mj-body>\n<mj-text>{{ _id }}</mj-text>\n</mj-body>\n</mjml>\n")
    res = run(project, "new", "template", "bad", "--from", str(src))
    assert res.exit_code == 1
    assert res.stderr.startswith(f"error: {src}:3: {{{{ _id }}}} cannot be a placeholder:")
    assert "rename it to 'id' (in template.toml and the template)" in res.stderr
    assert not (project / "templates" / "bad").exists()


def test_other_tools_merge_tags_are_listed_with_their_line(project, tmp_path):
    """Mailchimp's *|FNAME|* is not a placeholder: the import names it and its line."""
    src = tmp_path / "mc.mjml"
    src.write_text("<mjml>\n<mj-body>\n<mj-text>Hi *|FNAME|*</mj-text>\n</mj-body>\n</mjml>\n")
    res = run(project, "new", "template", "mc", "--from", str(src))
    assert res.exit_code == 0
    assert f"warning: {src}:3: *|FNAME|* is another tool's merge tag" in res.stderr


def test_lint_advice_for_an_undeclared_camel_case_name(tmp_path):
    """Lint's advice for {{FirstName}} is to declare [placeholders.FirstName] -- which works."""
    p = tmp_path / "p"
    assert run(tmp_path, "new", "project", str(p)).exit_code == 0
    body = p / "templates" / "request-received" / "body.mjml"
    body.write_text(body.read_text().replace("{% trans %}Kind regards,{% endtrans %}",
                                             "{{FirstName}}"))
    found = [f for f in lint(tplkit.Kit(p)) if f.rule == "undeclared-placeholder"]
    assert len(found) == 1 and "declare it in template.toml: [placeholders.FirstName]" in found[0].message
    manifest = p / "templates" / "request-received" / "template.toml"
    manifest.write_text(manifest.read_text().replace(
        "[samples.default]",
        '[placeholders.FirstName]\ntype = "text"\n\n[samples.default]\nFirstName = "Olena"'))
    assert not [f for f in lint(tplkit.Kit(p)) if f.rule in ("undeclared-placeholder", "template-error")]
