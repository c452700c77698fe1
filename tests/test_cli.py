"""The core CLI: list, show, preview; one-line errors, never a traceback."""
from __future__ import annotations

import json
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from tplkit.cli import main

FIX = Path(__file__).parent / "fixtures" / "core"


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("TPLKIT_PROJECT", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return invoke


def test_list_shows_templates_categories_and_locales(run):
    """`tplkit list` prints each template with its category, then the locales."""
    res = run("list")
    assert res.exit_code == 0
    line = next(ln for ln in res.output.splitlines() if ln.startswith("feedback-request"))
    assert "feedback" in line and "rating" in line
    assert "locales: " in res.output and "uk" in res.output


def test_show_prints_placeholder_table(run):
    """`tplkit show` lists every placeholder with type and requiredness, and the samples."""
    res = run("show", "feedback-request")
    assert res.exit_code == 0
    assert any(ln.split()[:3] == ["rating_scale", "choice", "[csat|nps]"] for ln in res.output.splitlines())
    assert "samples: default, nps-order" in res.output


def test_show_lists_fields_of_objects_and_lists(run):
    """`tplkit show` lists an object's fields and a list's items' fields under their paths."""
    res = run("show", "order-confirmation")
    assert res.exit_code == 0
    lines = {line.split()[0]: line.split()[1:3] for line in res.output.splitlines() if line.strip()}
    assert lines["lines"] == ["list", "of"] and lines["lines[].price"] == ["money", "yes"]
    assert lines["delivery_address.postal_code"] == ["text", "no"]


def test_preview_text_default(run):
    """Preview shows subject, preheader and the text part of the default sample."""
    res = run("preview", "acknowledgement", "--locale", "uk")
    assert res.exit_code == 0
    assert res.output.startswith("Subject:   Ми отримали ваш запит [SR-10482]")
    assert "Locale:    uk" in res.output and "Добрий день, Олено!" in res.output


def test_preview_json_has_the_documented_keys(run):
    """--format json prints exactly template, locale, subject, preheader, html, text."""
    res = run("preview", "feedback-request", "--sample", "nps-order", "--format", "json", "-l", "ru")
    data = json.loads(res.output)
    assert list(data) == ["template", "locale", "subject", "preheader", "html", "text"]
    assert data["locale"] == "ru" and data["template"] == "feedback-request"
    assert "score=10" in data["text"]


def test_preview_eml_is_a_multipart_message(run):
    """--format eml prints a parseable multipart/alternative message."""
    res = CliRunner().invoke(main, ["preview", "acknowledgement", "-f", "eml"])
    msg = message_from_bytes(res.stdout_bytes, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_preview_data_file_and_output_file(run, tmp_path):
    """--data reads JSON; -o writes the file and refuses to overwrite it without --force."""
    data = tmp_path / "ctx.json"
    data.write_text(json.dumps({"customer_name": "Jonas", "ticket_id": "T-9",
                                "request_url": "https://h.example/9"}), encoding="utf-8")
    out = tmp_path / "out.html"
    assert run("preview", "acknowledgement", "-d", str(data), "-f", "html", "-o", str(out)).exit_code == 0
    assert "Jonas" in out.read_text(encoding="utf-8")
    out.write_text("keep me")
    res = run("preview", "acknowledgement", "-d", str(data), "-f", "html", "-o", str(out))
    assert res.exit_code == 1 and "exists; use --force" in res.output
    assert out.read_text() == "keep me"
    assert run("preview", "acknowledgement", "-d", str(data), "-o", str(out), "--force").exit_code == 0
    assert "Jonas" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args,message", [
    (["preview", "nope"], "error: no template named 'nope'"),
    (["preview", "acknowledgement", "--sample", "missing"], "has no sample 'missing'"),
    (["show", "acknowledgment"], "did you mean 'acknowledgement'"),
])
def test_user_mistakes_give_one_line_errors(run, args, message):
    """Unknown template or sample: exit 1, one error line, no traceback."""
    res = run(*args)
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output


def test_bad_data_lists_every_placeholder_problem(run, fixtures):
    """A data file with several mistakes prints one line per problem."""
    res = run("preview", "acknowledgement", "-d", str(fixtures / "core" / "bad-context.json"))
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0] == "error: 3 placeholder problem(s) in acknowledgement/en:"
    assert "  - customer_name: required text value is missing" in lines
    assert any(ln.startswith("  - request_url: URL scheme javascript:") for ln in lines)
    assert "  - customer_nme: not a placeholder of this template; did you mean 'customer_name'?" in lines


def test_invalid_json_reports_file_line_and_column(run, fixtures):
    """A malformed data file is reported with its line and column."""
    path = fixtures / "core" / "invalid.json"
    res = run("preview", "acknowledgement", "-d", str(path))
    assert res.exit_code == 1
    assert f"error: {path}:3:3: invalid JSON" in res.output


def test_unknown_locale_warns_and_renders_default(run):
    """An unavailable locale renders the default locale with a warning line."""
    res = CliRunner().invoke(main, ["preview", "acknowledgement", "-l", "pt-BR"])
    assert res.exit_code == 0
    assert "warning: no templates in locale 'pt-BR'; using 'en'" in res.stderr
    assert "Locale:    en" in res.stdout


def test_broken_template_error_names_file_and_line(run):
    """A template with a syntax error prints file:line, template and locale."""
    res = run("--project", str(FIX / "broken"), "preview", "syntax-error")
    assert res.exit_code == 1
    assert res.output.startswith("error: ")
    assert "syntax-error/body.mjml:5: template syntax error" in res.output
    assert res.output.rstrip().endswith("[syntax-error/en]")


def test_project_from_environment(run, monkeypatch):
    """$TPLKIT_PROJECT selects the project."""
    monkeypatch.setenv("TPLKIT_PROJECT", str(FIX / "project"))
    assert "order-update" in run("list").output


def test_python_dash_m_works():
    """`python -m tplkit --help` runs the same CLI."""
    res = subprocess.run([sys.executable, "-m", "tplkit", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "preview" in res.stdout


@pytest.mark.parametrize("argv, code", [(["--version"], 0), (["preview", "no-such-template"], 1)])
def test_program_freezes_the_collector_as_it_exits(argv, code):
    """The program (console script, ``python -m tplkit``) ends with ``gc.freeze()`` whether
    the command succeeds or fails: the interpreter's last collection then skips what the
    command loaded. An exit hook, which runs after it, sees the frozen objects."""
    probe = ("import atexit, gc, sys\n"
             "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000))\n"
             f"sys.argv = ['tplkit', *{argv!r}]\n"
             "from tplkit.cli import run\n"
             "run()\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=FIX / "project")
    assert res.returncode == code, res.stderr
    assert res.stdout.splitlines()[-1] == "frozen True"
