"""The README's "Your first project" walkthrough, run step by step as a newcomer would."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
STEP = re.compile(r"(?:<!-- (?P<kind>file|translate): (?P<path>\S+) -->\n)?"
                  r"```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL)


def steps() -> list[tuple[str, str | None, str, str]]:
    """(kind, path, language, body) of every code block of the walkthrough, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section:first-project -->")[1].split("<!-- /section:first-project -->")[0]
    return [(m["kind"] or "", m["path"], m["lang"], m["body"]) for m in STEP.finditer(section)]


def tplkit(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TPLKIT_PROJECT"}
    return subprocess.run([sys.executable, "-m", "tplkit", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=600, check=False)


def translate(po: Path, pairs: str) -> None:
    """Fill in msgstr "" of the listed msgids, as a translator does in a gettext editor."""
    text = po.read_text(encoding="utf-8")
    for msgid, msgstr in re.findall(r'msgid (".*")\nmsgstr (".*")', pairs):
        empty = f"msgid {msgid}\nmsgstr \"\""
        assert empty in text, f"{msgid} is not waiting for a translation in {po}"
        text = text.replace(empty, f"msgid {msgid}\nmsgstr {msgstr}")
    po.write_text(text, encoding="utf-8")


def test_first_project_walkthrough(tmp_path):
    """Every command of the walkthrough exits as the README says; at the end lint is clean
    and the German and Ukrainian previews are fully translated."""
    cwd = tmp_path
    outputs = []
    for kind, path, lang, body in steps():
        if kind == "file":
            (cwd / path).write_text(body, encoding="utf-8")
        elif kind == "translate":
            translate(cwd / path, body)
        elif lang == "sh":
            for line in body.splitlines():
                command, _, comment = line.partition("#")
                words = shlex.split(command)
                if not words:
                    continue
                if words[0] == "cd":
                    cwd = cwd / words[1]
                    continue
                assert words[0] == "tplkit", line
                res = tplkit(words[1:], cwd)
                expected = int(comment.split("exit")[1]) if "exit" in comment else 0
                assert res.returncode == expected, f"{line}\n{res.stdout}\n{res.stderr}"
                assert "Traceback" not in res.stderr
                outputs.append((line, res))
    lint_runs = [r for line, r in outputs if line.startswith("tplkit lint")]
    assert [r.returncode for r in lint_runs] == [0, 1, 0]
    assert lint_runs[0].stdout.strip() == lint_runs[-1].stdout.strip() == "0 findings"
    assert "missing-translation" in lint_runs[1].stdout
    assert "templates/order-shipped/body.mjml:5: error missing-translation 'Your order %(order)s is " \
        "on its way.' is not translated to 'de'" in lint_runs[1].stdout
    uk = next(r for line, r in outputs if "order-shipped --locale uk" in line)
    assert "Subject:   Ваше замовлення 58213 відправлено" in uk.stdout
    assert "Ваше замовлення 58213 уже в дорозі." in uk.stdout and uk.stderr == ""
    html = (cwd / "order-shipped.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and 'lang="de"' in html
    assert "Ihre Bestellung 58213 ist unterwegs." in html and "Sendung verfolgen" in html
