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
    """-o writes the report (here JSON) atomically; a re-run replaces its previous report of the
    same format (the README's CI command is re-runnable); any other file needs --force."""
    out = tmp_path / "lint.json"
    res = run(CLEAN, "wordy", "-f", "json", "-o", str(out))
    assert res.exit_code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["rule"] for r in rows] == ["preheader-length"]
    assert run(CLEAN, "hello", "-f", "json", "-o", str(out)).exit_code == 0   # replaced
    assert json.loads(out.read_text(encoding="utf-8")) == []
    sarif = tmp_path / "lint.sarif"
    for _ in range(2):
        assert run(CLEAN, "wordy", "-f", "sarif", "-o", str(sarif)).exit_code == 0
    assert run(CLEAN, "wordy", "-f", "sarif", "-o", str(out)).exit_code == 2   # a JSON report
    notes = tmp_path / "notes.txt"
    notes.write_text("my own notes\n", encoding="utf-8")
    res = run(CLEAN, "wordy", "-o", str(notes))
    assert res.exit_code == 2 and "--force" in res.output
    assert notes.read_text(encoding="utf-8") == "my own notes\n"
    assert run(CLEAN, "wordy", "-f", "sarif", "-o", str(out), "--force").exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_junit_strict_failures_are_failures(tmp_path):
    """With --strict a warning fails the run, and the JUnit report says so: the warning's test
    case is a <failure>; without --strict it passes."""
    out = tmp_path / "lint.xml"
    res = run(CLEAN, "wordy", "-f", "junit", "-o", str(out), "--strict")
    assert res.exit_code == 1
    import junitparser

    (case,) = list(junitparser.JUnitXml.fromfile(str(out)))[0]
    assert not case.is_passed and case.result[0].type == "preheader-length"
    assert run(CLEAN, "wordy", "-f", "junit", "-o", str(out)).exit_code == 0
    (case,) = list(junitparser.JUnitXml.fromfile(str(out)))[0]
    assert case.is_passed


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


def test_default_jobs_is_one_process_on_two_cpus(monkeypatch):
    """The default -j never starts worker processes on a 2-CPU machine (where they are no
    faster than -j 1), and on bigger ones only with enough (template, locale) pairs."""
    import os

    from tplkit.lint.parallel import PAIRS_PER_WORKER, auto_jobs

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert auto_jobs(1000) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert auto_jobs(PAIRS_PER_WORKER - 1) == 1
    assert auto_jobs(3 * PAIRS_PER_WORKER) == 3
    assert auto_jobs(1000) == 7


def test_source_language_catalog_from_i18n_init_lints_clean(tmp_path):
    """`tplkit i18n init en` on a clean project starts an English catalog whose msgstrs are
    empty (English shows the source text): lint reports no untranslated error for it."""
    import shutil

    project = tmp_path / "p"
    shutil.copytree(CLEAN, project)
    runner = CliRunner()
    for args in (["i18n", "extract"], ["i18n", "init", "en"]):
        res = runner.invoke(main, ["--project", str(project), *args])
        assert res.exit_code == 0, res.output
    assert (project / "locales" / "en" / "LC_MESSAGES" / "tplkit.po").is_file()
    res = run(project, "-f", "json")
    assert [r["rule"] for r in json.loads(res.output)] == ["preheader-length"]   # as before
