"""Broken files (issue 7): a malformed manifest, .mjml, .po or config file is an error with
file and line, and the other templates keep loading and rendering; output is never lost."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main

BROKEN = Path(__file__).parent / "fixtures" / "broken"
PROJECT = BROKEN / "project"
TEMPLATES = PROJECT / "templates"
# template -> (file, line, message fragment) of the error rendering it gives
BROKEN_TEMPLATES = {
    "bad-manifest": ("template.toml", 5, "invalid TOML: Unclosed array"),        # array opened on 4
    "bad-key": ("template.toml", 4, "unknown manifest keys: catgory"),
    "bad-placeholder": ("template.toml", 30, "unknown type 'integer'"),
    "bad-jinja": ("body.mjml", 6, "template syntax error"),
    "bad-mjml": ("body.mjml", 3, "<mj-text> is never closed"),
    "bad-sample-locale": ("template.toml", 50, "[samples_by_locale.uk.urgnt]: there is no [samples.urgnt]"),
    "bad-sample-key": ("template.toml", 48, "'request_sumary' is not a placeholder of this template "
                                            "(did you mean 'request_summary'?)"),
}


@pytest.fixture(scope="module")
def broken_kit() -> tplkit.Kit:
    return tplkit.Kit(PROJECT)


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--project", str(PROJECT), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", sorted(BROKEN_TEMPLATES))
def test_broken_template_error_names_file_and_line(broken_kit, name):
    """Each kind of broken template file gives a TemplateSourceError with its file and line."""
    file, line, fragment = BROKEN_TEMPLATES[name]
    with pytest.raises(tplkit.TemplateSourceError) as info:
        broken_kit.render(name, {"customer_name": "Olena"})
    err = info.value
    assert (err.file, err.line, err.template) == (str(TEMPLATES / name / file), line, name)
    assert fragment in err.message
    assert str(err).startswith(f"{TEMPLATES / name / file}:{line}")


def test_good_templates_render_next_to_broken_ones(broken_kit):
    """With broken templates in the project, its good one and every built-in one still render."""
    names = broken_kit.template_names()
    assert set(BROKEN_TEMPLATES) | {"good"} <= set(names)
    for name in BROKEN_TEMPLATES:   # fail first: nothing they leave behind may disturb the others
        with pytest.raises(tplkit.TplkitError):
            broken_kit.render(name, {"customer_name": "Olena"})
    for name in set(names) - set(BROKEN_TEMPLATES):
        email = broken_kit.render(name, broken_kit.template(name).sample, locale="en")
        assert "Broken Files Ltd" in email.text


def test_broken_catalog_names_file_and_line_and_spares_other_locales(broken_kit):
    """A malformed .po fails its own locale with file and line; other locales render."""
    sample = broken_kit.template("good").sample
    with pytest.raises(tplkit.CatalogError) as info:
        broken_kit.render("good", sample, locale="uk")
    po = PROJECT / "locales" / "uk" / "LC_MESSAGES" / "tplkit.po"
    assert (info.value.file, info.value.line, info.value.locale) == (str(po), 11, "uk")
    assert "invalid catalog line" in info.value.message
    assert broken_kit.render("good", sample, locale="en").locale == "en"


@pytest.mark.parametrize("folder,line,fragment", [
    ("config-syntax", 4, "invalid TOML"),
    ("config-brand", 5, "brand.sla_hour: unknown setting; did you mean 'sla_hours'?"),
    ("config-social", 6, "brand.social.x: expected an https:// address"),
    ("config-icons", 4, "brand.social_icons: expected an https:// URL containing {network}"),
])
def test_broken_config_names_file_and_line(folder, line, fragment):
    """A malformed or mistyped tplkit.toml is a ConfigError with file and line."""
    with pytest.raises(tplkit.ConfigError) as info:
        tplkit.Kit(BROKEN / folder)
    assert (info.value.file, info.value.line) == (str(BROKEN / folder / "tplkit.toml"), line)
    assert fragment in info.value.message


def test_cli_list_shows_every_template_and_marks_broken_ones():
    """`tplkit list` lists good templates and marks broken manifests, with their location."""
    code, out, err = _cli("list")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "good" in rows and "acknowledgement" in rows and "BROKEN" not in rows["good"]
    assert "BROKEN" in rows["bad-manifest"] and "template.toml:5" in rows["bad-manifest"]
    assert "BROKEN" in rows["bad-placeholder"] and "template.toml:30" in rows["bad-placeholder"]


def test_cli_preview_of_a_good_template_still_works():
    """`tplkit preview good` renders while other templates of the project are broken."""
    code, out, err = _cli("preview", "good")
    assert code == 0, err
    assert "Subject:" in out and "Broken Files Ltd" in out


@pytest.mark.parametrize("name", sorted(BROKEN_TEMPLATES))
def test_cli_preview_of_a_broken_template_is_one_error_line(name):
    """`tplkit preview` of a broken template prints one error line with file:line, no traceback."""
    file, line, _ = BROKEN_TEMPLATES[name]
    code, out, err = _cli("preview", name)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {TEMPLATES / name / file}:{line}")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_with_a_broken_config_is_one_error_line():
    """Every command on a project with a broken config fails with the config's file:line."""
    result = CliRunner().invoke(main, ["--project", str(BROKEN / "config-syntax"), "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {BROKEN / 'config-syntax' / 'tplkit.toml'}:4")
    assert "Traceback" not in result.stderr


# --- nothing is lost -------------------------------------------------------------------------

def test_preview_output_is_never_overwritten_without_force(tmp_path):
    """`preview -o` refuses an existing file without --force and leaves it untouched."""
    target = tmp_path / "out.html"
    target.write_text("keep me")
    code, _, err = _cli("preview", "good", "-f", "html", "-o", str(target))
    assert code == 1 and "--force" in err
    assert target.read_text() == "keep me"
    assert os.listdir(tmp_path) == ["out.html"]


def test_preview_output_with_force_replaces_atomically(tmp_path):
    """With --force the file is replaced by the full email and no temporary file is left."""
    target = tmp_path / "out.html"
    target.write_text("old")
    code, _, err = _cli("preview", "good", "-f", "html", "-o", str(target), "--force")
    assert code == 0, err
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert target.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert os.listdir(tmp_path) == ["out.html"]


def test_failed_preview_leaves_existing_output_alone(tmp_path):
    """A render error with --force never truncates or replaces the existing output file."""
    target = tmp_path / "out.html"
    target.write_text("previous good output")
    code, _, _ = _cli("preview", "bad-mjml", "-f", "html", "-o", str(target), "--force")
    assert code == 1
    assert target.read_text() == "previous good output"
    assert os.listdir(tmp_path) == ["out.html"]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    """If writing fails midway, the old file stays and the temporary file is removed."""
    from tplkit import fsutil

    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(fsutil.os, "fsync", boom)
    with pytest.raises(tplkit.errors.WriteError, match="out.txt: cannot write: disk full"):
        fsutil.atomic_write(target, "new content")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_toml_error_at_end_of_document_names_the_last_line():
    """tomllib places an unclosed array "at end of document" without a line; the error names
    the file's last line (where lint's syntax-error puts it too)."""
    manifest = Path(__file__).parent / "fixtures" / "lint" / "broken" / "templates" / "badtoml" \
        / "template.toml"
    kit = tplkit.Kit(manifest.parents[2])
    with pytest.raises(tplkit.TomlError) as info:
        kit.template("badtoml")
    assert (info.value.file, info.value.line) == (str(manifest), 3)
    assert "at end of document" in info.value.message
