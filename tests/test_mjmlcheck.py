"""Strict MJML validation (tplkit/mjmlcheck.py, rules generated from MJML's sources) and the
build source map that locates each breach in the template, layout, component or catalog."""
from __future__ import annotations

import json
from pathlib import Path

import mjml
import pytest

import tplkit
from tplkit import mjmlcheck
from tplkit.errors import MjmlValidationError, TemplateSourceError
from tplkit.lint import lint

BROKEN = Path(__file__).parent / "fixtures" / "mjml" / "broken"
EXPECTED = json.loads((BROKEN / "expected.json").read_text(encoding="utf-8"))["defects"]


def doc(column: str) -> str:
    return f"<mjml><mj-body><mj-section><mj-column>{column}</mj-column></mj-section></mj-body></mjml>"


def rules_of(src: str) -> list[str]:
    return [v.rule for v in mjmlcheck.check(src)]


def test_rules_file_names_mjmls_commit_and_holds_its_component_data():
    """mjml_rules.json says where it comes from; its data is MJML's (spot checks against the
    component sources: mj-button's attribute types, mj-section's children, mj-wrapper's
    inherited section attributes)."""
    data = mjmlcheck.rules()
    src = data["source"]
    assert src["repository"] == "https://github.com/mjmlio/mjml" and len(src["commit"]) == 40
    assert "packages/mjml-preset-core/src/dependencies.js" in src["files"]
    button = data["components"]["mj-button"]
    assert button["ending_tag"] and button["attributes"]["inner-padding"] == "unit(px,%){1,4}"
    assert data["children"]["mj-section"] == ["mj-column", "mj-group", "mj-raw"]
    wrapper = data["components"]["mj-wrapper"]["attributes"]
    assert wrapper["gap"] == "unit(px)" and wrapper["background-url"] == "string"
    assert data["global_attributes"] == ["mj-class", "css-class"]


@pytest.mark.parametrize("src", [
    doc('<mj-buttton href="https://x.example">Go</mj-buttton>'),
    doc('<mj-text css-clas="intro">Hi</mj-text>'),
    doc('<mj-text padding="ten">Hi</mj-text>'),
    "<mjml><mj-body><mj-section><mj-button>Go</mj-button></mj-section></mj-body></mjml>",
])
def test_mjml_python_renders_these_mistakes_without_a_word(src):
    """The reason for the validator: mjml-python (MRML) accepts each mistake silently."""
    assert "<html" in mjml.mjml2html(src)
    assert mjmlcheck.check(src) != []


@pytest.mark.parametrize(("column", "rule", "says"), [
    ('<mj-buttton href="https://x.example">Go</mj-buttton>', "mjml-unknown-tag", "did you mean mj-button"),
    ('<mj-button href="https://x.example">Go</mj-buton>', "mjml-close-tag", "did you mean mj-button"),
    ("<mj-text>Go</mj-txt>", "mjml-close-tag", "does not close <mj-text>"),
    ("<mj-text>Hi", "mjml-close-tag", "<mj-text> is never closed"),
    ('<mj-text css-clas="x">Hi</mj-text>', "mjml-unknown-attribute", "did you mean css-class"),
    ('<mj-text align="middle">Hi</mj-text>', "mjml-attribute-value", "only accepts left, right, center"),
    ('<mj-text padding="10px 0 10px 0 5px">Hi</mj-text>', "mjml-attribute-value", "1 to 4 value(s)"),
    ('<mj-divider border-color="#12345" />', "mjml-attribute-value", "Color"),
    ('<mj-image fluid-on-mobile="yes" src="a.png" />', "mjml-attribute-value", "boolean"),
    ("<mj-section><mj-column></mj-column></mj-section>", "mjml-parent", "only inside: mj-body, mj-wrapper"),
])
def test_each_kind_of_breach_is_reported_once_with_its_rule(column, rule, says):
    """One violation per mistake, with MJML's rule and a message that helps fix it."""
    (v,) = mjmlcheck.check(doc(column))
    assert v.rule == rule and says in v.text("line 1")


def test_valid_mjml_passes_including_head_attributes_and_dynamic_values():
    """Correct MJML (mj-attributes defaults, mj-class, named and rgba colours, unitless
    line-height, a per-recipient value in a typed attribute) has no violation."""
    src = ('<mjml><mj-head><mj-attributes><mj-all padding="0px" /><mj-text color="red" />'
           '<mj-class name="x" color="blue" /></mj-attributes><mj-style>.a{color:red}</mj-style>'
           '</mj-head><mj-body width="600px"><mj-wrapper gap="10px"><mj-section padding="10px 0">'
           '<mj-column width="50%"><mj-text mj-class="x" line-height="1.5" color="rgba(1,2,3,0.5)">'
           '<p>a <b>b</b><br/>c &amp; d</p></mj-text><mj-button width="TPLSLOT123X" '
           'background-color="darkslateblue">Go</mj-button><mj-raw><!-- x --><div>raw</div></mj-raw>'
           '</mj-column></mj-section></mj-wrapper></mj-body></mjml>')
    assert mjmlcheck.check(src) == []


def test_broken_project_compile_errors_point_at_each_cause():
    """Compiling each broken-on-purpose template raises MjmlValidationError at the file, line
    and column written down in expected.json (layouts and components included)."""
    kit = tplkit.Kit(BROKEN)
    got = []
    for name in sorted(p.name for p in (BROKEN / "templates").iterdir() if not p.name.startswith("_")):
        with pytest.raises(MjmlValidationError) as exc:
            kit.compile(name, "de")
        e = exc.value
        assert isinstance(e, TemplateSourceError) and e.template == name and e.locale == "de"
        (p,) = e.problems
        got.append({"rule": p.rule, "file": Path(p.file).relative_to(BROKEN).as_posix(),
                    "line": p.line, "column": p.column})
    key = lambda d: (d["file"], d["line"])  # noqa: E731
    assert sorted(got, key=key) == sorted(EXPECTED, key=key)


def test_broken_project_lints_to_exactly_the_expected_findings():
    """tplkit lint reports each MJML defect once, at its cause, listing both locales."""
    found = lint(tplkit.Kit(BROKEN), jobs=1)
    got = sorted((f.rule, Path(f.file).relative_to(BROKEN).as_posix(), f.line, f.column)
                 for f in found)
    assert got == sorted((d["rule"], d["file"], d["line"], d["column"]) for d in EXPECTED)
    assert {f.locale for f in found} == {"de, en"}
    assert all(f.severity == "error" for f in found)


def test_cli_preview_fails_instead_of_rendering_lost_content(tmp_path):
    """tplkit preview of a template with a misspelled close exits non-zero with file:line:col
    and no traceback."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tplkit", "--project", str(BROKEN), "preview",
                          "misspelled-close", "--locale", "de"], capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "misspelled-close/body.mjml:5:66" in out.stderr + out.stdout


REJECTED = Path(__file__).parent / "fixtures" / "mjml" / "rejected"
# template -> (file that wrote what MRML rejects, line, column)
MRML_REJECTS = {
    "in-component": ("templates/_components/panel.mjml", 4, 5),   # <mj-text padding=10px>
    "in-body": ("templates/in-body/body.mjml", 6, 22),            # <!-- never closed
}


@pytest.mark.parametrize("name", sorted(MRML_REJECTS))
def test_mrml_rejection_at_compile_names_the_line_that_wrote_it(name):
    """MRML rejects the MJML without saying where; the compile error names the file, line and
    column that wrote it (through an include too) from the build's source map, whether the
    compile was kept or not."""
    file, line, column = MRML_REJECTS[name]
    for keep in (False, True):
        with pytest.raises(tplkit.errors.MjmlError) as info:
            tplkit.Kit(REJECTED).compile(name, "en", keep=keep)
        err = info.value
        assert not isinstance(err, MjmlValidationError)   # MRML's own refusal
        assert (Path(err.file).relative_to(REJECTED).as_posix(), err.line, err.column) == \
            (file, line, column)
        assert (err.template, err.locale, err.part) == (name, "en", "html")
        assert "invalid MJML: unable to parse" in err.message and "TPLSLOT" in err.mjml


def test_lint_reports_mrml_rejections_where_the_compile_error_does():
    """lint's mjml-invalid findings are the compile errors' places, nothing else."""
    found = lint(tplkit.Kit(REJECTED), jobs=1)
    got = {(f.template, Path(f.file).relative_to(REJECTED).as_posix(), f.line, f.column)
           for f in found if f.rule == "mjml-invalid"}
    assert got == {(name, *where) for name, where in MRML_REJECTS.items()}


def test_naive_pipeline_places_mrml_rejection_the_same_way():
    """The per-message pipeline (render_naive, the oracle) reports MRML's refusal at the same
    component line and column as the compile."""
    file, line, column = MRML_REJECTS["in-component"]
    with pytest.raises(tplkit.errors.MjmlError) as info:
        tplkit.Kit(REJECTED).render_naive("in-component", {"note": "a note"}, locale="en")
    err = info.value
    assert (Path(err.file).relative_to(REJECTED).as_posix(), err.line, err.column) == (file, line, column)
