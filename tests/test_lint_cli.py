"""`tplkit lint` command: exit codes, --strict/--max-warnings, formats, -o, selection."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tplkit.cli import main

LINT = Path(__file__).parent / "fixtures" / "lint"
BROKEN, CLEAN = LINT / "broken", LINT / "clean"


def run(project: Path, *args: str):
    return CliRunner().invoke(main, ["--project", str(project), "lint", "-j", "1", *args])


def test_clean_template_exits_0():
    """No findings: exit 0 and a "0 findings" summary."""
    res = run(CLEAN, "hello")
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "0 findings"


def test_errors_exit_1_with_one_line_per_finding():
    """Errors: exit 1; each finding is one path:line: severity rule message line."""
    res = run(BROKEN, "badsyntax", "--locale", "en")
    assert res.exit_code == 1
    assert "templates/badsyntax/body.mjml:3: error syntax-error template syntax error" in res.output


@pytest.mark.parametrize("args, code", [
    ((), 0),                          # warnings alone pass
    (("--strict",), 1),               # ... unless --strict
    (("--max-warnings", "0"), 1),     # ... or more than allowed
    (("--max-warnings", "1"), 0),
])
def test_warnings_exit_code(args, code):
    """A warning-only run exits 0, or 1 with --strict or over --max-warnings."""
    res = run(CLEAN, "wordy", *args)
    assert res.exit_code == code, res.output
    assert "warning preheader-length" in res.output


@pytest.mark.parametrize("args, message", [
    (("nosuch",), "no template named 'nosuch'"),
    (("--locale", "xx"), "unknown locale 'xx'"),
])
def test_unknown_names_exit_2(args, message):
    """An unknown template or locale is a usage error: exit 2 and one error line."""
    res = run(BROKEN, *args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_bad_option_and_bad_config_exit_2():
    """A bad --format is a click usage error; a bad [lint] table a config error: both exit 2."""
    assert run(CLEAN, "--format", "xml").exit_code == 2
    res = run(LINT / "badconfig")
    assert res.exit_code == 2
    assert "tplkit.toml:6: [lint] ignore: unknown rule(s) 'typograhpy'" in res.output


def test_internal_error_exits_2(monkeypatch):
    """A crashing rule makes the run exit 2 (the report is incomplete), not 0 or 1."""
    import dataclasses

    from tplkit.lint import engine

    def boom(ctx):
        raise RuntimeError("kaput")
        yield  # pragma: no cover

    monkeypatch.setattr(engine, "RULES", [dataclasses.replace(r, check=boom)
                                          if r.id == "preheader-length" else r for r in engine.RULES])
    res = run(CLEAN, "wordy")
    assert res.exit_code == 2
    assert "internal-error rule preheader-length crashed" in res.output


def test_output_file_and_format(tmp_path):
    """-o writes the report (here JSON) atomically and refuses to overwrite without --force."""
    out = tmp_path / "lint.json"
    res = run(CLEAN, "wordy", "-f", "json", "-o", str(out))
    assert res.exit_code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["rule"] for r in rows] == ["preheader-length"]
    assert run(CLEAN, "wordy", "-f", "json", "-o", str(out)).exit_code == 2
    assert run(CLEAN, "wordy", "-f", "sarif", "-o", str(out), "--force").exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_locale_selection_limits_rendered_findings():
    """--locale renders only that locale."""
    res = run(BROKEN, "everything", "--locale", "de", "-f", "json")
    rows = json.loads(res.output)
    assert {r["locale"] for r in rows if r["locale"]} <= {"de", "fr"}  # fr: catalog-missing
    assert any(r["rule"] == "subject-length" and r["locale"] == "de" for r in rows)


def test_ci_examples_use_real_options(tmp_path, monkeypatch):
    """The pre-commit hook and the GitHub Actions example run lint with options that exist."""
    import re
    import shlex

    root = Path(__file__).parent.parent
    hook = (root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert re.search(r"^- id: tplkit-lint$", hook, re.MULTILINE) and "entry: tplkit lint" in hook
    workflow = (root / "examples" / "github-actions-lint.yml").read_text(encoding="utf-8")
    commands = re.findall(r"run: (tplkit lint[^|\n]*)", workflow)
    assert len(commands) == 2 and "upload-sarif" in workflow
    monkeypatch.chdir(tmp_path)
    for cmd in commands:
        args = shlex.split(cmd)[2:]
        res = run(CLEAN, *args, "hello")
        assert res.exit_code == 0, (cmd, res.output)
    assert json.loads((tmp_path / "tplkit-lint.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_list_rules_prints_every_rule():
    """--list-rules prints one line per registered rule, id first, and exits 0."""
    from tplkit.lint import RULES

    res = run(CLEAN, "--list-rules")
    assert res.exit_code == 0
    assert [line.split()[0] for line in res.output.splitlines()] == [r.id for r in RULES]


def test_subject_length_is_checked_with_the_longest_values_allowed():
    """A subject that fits with the sample's ticket number is reported when the longest
    ticket number the manifest allows (max_length) pushes it over 60 characters."""
    res = run(LINT / "longvalues")
    assert res.exit_code == 0, res.output   # a warning
    assert ("templates/ticket/subject.txt:1: warning subject-length the subject is 67 characters long "
            "(at most 60) with the longest values allowed (ticket_id: 40 characters)") in res.output
    assert "1 finding (1 warning)" in res.output
