"""A failure inside the generated render code names the author's template file and line
(through includes too), not only the line of the compiled part (issue 11)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main

PROJECT = Path(__file__).parent / "fixtures" / "render-errors"
TEMPLATES = PROJECT / "templates"
GOOD = {"total": 10, "in_subject": 2, "in_html": 2, "in_text": 2}
# the placeholder set to 0 -> (part, file whose {{ total // ... }} divides by it, its line)
FAILS = {
    "in_subject": ("subject", TEMPLATES / "ratio" / "subject.txt", 1),
    "in_html": ("html", TEMPLATES / "_parts" / "share.mjml", 3),   # included by body.mjml
    "in_text": ("text", TEMPLATES / "ratio" / "body.txt", 4),
}


@pytest.fixture(scope="module")
def kit() -> tplkit.Kit:
    return tplkit.Kit(PROJECT)


def test_fixture_renders_with_good_values(kit):
    """With no zero the template renders (the failures below come from the values alone)."""
    email = kit.render("ratio", GOOD, locale="en")
    assert email.subject == "Share: 5"
    assert "5 in all." in email.text


@pytest.mark.parametrize("zero", sorted(FAILS))
def test_render_error_names_template_file_and_line(kit, zero):
    """A division by zero inside the compiled function is a TemplateSourceError naming the
    part, the author's file (an included component for the HTML part) and its line."""
    part, file, line = FAILS[zero]
    with pytest.raises(tplkit.TemplateSourceError) as info:
        kit.render("ratio", {**GOOD, zero: 0}, locale="en")
    err = info.value
    assert (err.template, err.locale, err.part) == ("ratio", "en", part)
    assert (Path(err.file).resolve(), err.line) == (file.resolve(), line)
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert f"{err.file}:{line}: ZeroDivisionError" in str(err)
    assert f"compiled {part}, line " in str(err)   # the compiled line is still given


def test_cli_reports_template_file_and_line_without_traceback():
    """`tplkit preview` with values that fail at render time prints file:line, no traceback."""
    res = CliRunner().invoke(main, ["--project", str(PROJECT), "preview", "ratio",
                                    "--data", str(PROJECT / "zero-html.json")])
    assert res.exit_code != 0
    assert "Traceback" not in res.output
    assert f"{TEMPLATES / '_parts' / 'share.mjml'}:3: ZeroDivisionError" in res.output


def test_prebuilt_template_keeps_the_origin(kit, tmp_path):
    """A template loaded from `tplkit build` names the same file (relative to the project)
    and line."""
    from tplkit.build import load_compiled, write_build

    write_build(kit, tmp_path / "build")
    compiled = load_compiled(tmp_path / "build", "ratio", "en")
    with pytest.raises(tplkit.TemplateSourceError) as info:
        compiled.render_four({**GOOD, "in_text": 0}, validated=True)
    assert (info.value.part, info.value.file, info.value.line) == ("text", "templates/ratio/body.txt", 4)


ZERO_SHARE = {"total": 10, "rows": [{"name": "Ann", "share": 0}]}


@pytest.mark.parametrize("validated", [True, False])
def test_jinja_fallback_part_names_template_file_and_line(kit, validated):
    """A part the fast path hands to plain Jinja (an unsupported filter inside a loop) fails
    with the template file and line too, whether it runs inside the generated function
    (validated values) or through the Jinja reference path (an unvalidated context)."""
    compiled = kit.compile("in-loop", "en")
    assert compiled.fallbacks > 0 and "_j" in compiled.code   # the HTML part really is Jinja's
    with pytest.raises(tplkit.TemplateSourceError) as info:
        if validated:
            kit.render("in-loop", ZERO_SHARE, locale="en")
        else:
            compiled.render_four({"rows": ZERO_SHARE["rows"]})   # no total: Jinja reports it
    err = info.value
    body = TEMPLATES / "in-loop" / "body.mjml"
    assert (err.template, err.locale, err.part) == ("in-loop", "en", "html")
    assert Path(err.file).resolve() == body.resolve()
    if validated:
        assert err.line == 7 and isinstance(err.__cause__, ZeroDivisionError)
        assert f"{err.file}:7: ZeroDivisionError" in str(err)
    else:   # 'total' is undefined where the loop's row prints it
        assert err.line == 7 and "'total' is undefined" in str(err)
    assert "compiled html, line " in str(err)
