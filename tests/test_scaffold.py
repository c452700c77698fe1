"""`tplkit new project` / `tplkit new template`: a start that lints clean and previews at once."""
from __future__ import annotations

import os
import tomllib

import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main
from tplkit.lint import lint

LOCALES = ["en", "de", "uk"]


def run(*args: str, cwd=None):
    """The CLI in-process; stdin is not a terminal, so nothing is ever asked."""
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaffold") / "shop"
    res = run("new", "project", str(root), "--company", "Acme Shop",
              *[a for loc in LOCALES for a in ("--locale", loc)])
    assert res.exit_code == 0, res.output
    return root


def test_new_project_writes_a_config_template_and_catalogs(project):
    """The project has tplkit.toml, a template with typed placeholders and a sample, and a
    catalog per configured non-English locale."""
    cfg = tomllib.loads((project / "tplkit.toml").read_text(encoding="utf-8"))
    assert cfg["locales"] == LOCALES and cfg["brand"]["company_name"] == "Acme Shop"
    folder = project / "templates" / "request-received"
    manifest = tomllib.loads((folder / "template.toml").read_text(encoding="utf-8"))
    assert {n: p["type"] for n, p in manifest["placeholders"].items()} == {
        "customer_name": "text", "ticket_id": "text", "request_url": "url", "response_hours": "int"}
    assert manifest["samples"]["default"]["customer_name"] == "Olena"
    assert (folder / "body.mjml").read_text(encoding="utf-8").count('{% extends "_layouts/base.mjml" %}') == 1
    for name in ("subject.txt", "preheader.txt"):
        assert (folder / name).read_text(encoding="utf-8").strip()
    for loc in ("de", "uk"):
        assert (project / "locales" / loc / "LC_MESSAGES" / "tplkit.po").is_file()
    assert not (project / "locales" / "en").exists()


def test_new_project_lints_clean_and_previews_translated(project):
    """No finding at all, and every locale renders fully translated (no warnings)."""
    kit = tplkit.Kit(project)
    assert lint(kit) == []
    for loc in LOCALES:
        email = kit.render("request-received", kit.template("request-received").sample, locale=loc)
        assert email.locale == loc and email.warnings == ()
        assert "SR-10482" in email.subject and "Acme Shop" in email.text
    uk = kit.render("request-received", kit.template("request-received").sample, locale="uk")
    assert uk.subject == "Ми отримали ваш запит [SR-10482]"
    res = run("--project", str(project), "preview", "request-received", "--locale", "de")
    assert res.exit_code == 0 and "Wir haben Ihre Anfrage erhalten" in res.stdout
    assert res.stderr == ""


def test_new_template_in_the_project_lints_clean_and_previews(project):
    """`tplkit new template NAME` inside the project adds a template that lints clean."""
    res = run("new", "template", "order-shipped", cwd=project)
    assert res.exit_code == 0, res.output
    assert f"wrote {project / 'templates' / 'order-shipped' / 'template.toml'}" in res.stdout
    kit = tplkit.Kit(project)
    assert lint(kit) == []
    assert kit.render("order-shipped", kit.template("order-shipped").sample, locale="uk").warnings == ()


def test_existing_files_are_never_overwritten_without_force(project):
    """A second `new` refuses, names the file, and writes nothing; --force overwrites."""
    manifest = project / "templates" / "request-received" / "template.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    res = run("new", "template", "request-received", cwd=project)
    assert res.exit_code == 1
    assert res.stderr.startswith(f"error: {manifest}: {manifest} exists")
    assert "nothing was written" in res.stderr and "Traceback" not in res.output
    assert manifest.read_text(encoding="utf-8").endswith("# my edit\n")
    res = run("new", "project", str(project))
    assert res.exit_code == 1 and "tplkit.toml exists" in res.stderr
    assert "Acme Shop" in (project / "tplkit.toml").read_text(encoding="utf-8")
    res = run("new", "template", "request-received", "--force", cwd=project)
    assert res.exit_code == 0, res.output
    assert "# my edit" not in manifest.read_text(encoding="utf-8")


def test_a_language_without_builtin_translations_gets_a_catalog_to_translate(tmp_path):
    """French has no built-in catalog: the command says how many messages to translate, and
    lint lists exactly those (untranslated), nothing else."""
    res = run("new", "project", str(tmp_path / "p"), "--locale", "en", "--locale", "fr")
    assert res.exit_code == 0, res.output
    assert "translate 8 message(s) in" in res.stdout
    found = lint(tplkit.Kit(tmp_path / "p"))
    assert len(found) == 8 and {f.rule for f in found} == {"untranslated"}


@pytest.mark.parametrize("in_project,args,fragment", [
    (True, ("new", "template", "Order_Shipped"), "invalid template name 'Order_Shipped'"),
    (False, ("new", "project", "{tmp}/p", "-l", "en", "-l", "xx-nowhere"),
     "locales: unknown locale 'xx-nowhere'"),
    (False, ("new", "template", "x"), "no project selected"),
])
def test_bad_names_are_one_error_line(tmp_path, in_project, args, fragment):
    """Invalid names and locales are refused with one error line before anything is written."""
    if in_project:
        (tmp_path / "tplkit.toml").write_text("", encoding="utf-8")
    res = run(*[a.format(tmp=tmp_path) for a in args], cwd=tmp_path)
    assert res.exit_code == 1 and fragment in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists() and not (tmp_path / "templates").exists()


def test_created_files_follow_the_umask(tmp_path):
    """Scaffolded files get 0o666 minus the umask (0o644 under 022), not mkstemp's 0o600."""
    old = os.umask(0o022)
    try:
        assert run("new", "project", str(tmp_path / "p")).exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "p" / "tplkit.toml").stat().st_mode & 0o777 == 0o644
