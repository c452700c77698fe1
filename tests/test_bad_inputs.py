"""No traceback from any command on a bad file or environment: commands x bad inputs.

Each case copies the good project in tests/fixtures/badinput/project, puts one bad file
(tests/fixtures/badinput/<kind>/<name>) or a folder in the place of one file, runs one
command and checks the answer: an exit code, one ``error:`` line naming the file (and the
line of the bad byte), never a traceback. Unreadable files and read-only folders are real:
those commands run without root's permission-overriding capabilities (``setpriv``) when
the tests run as root.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tplkit import fsutil
from tplkit.cli import main

FIX = Path(__file__).parent / "fixtures" / "badinput"
TARGETS = {   # fixture name -> its place in the project
    "tplkit.toml": "tplkit.toml",
    "template.toml": "templates/hello/template.toml",
    "body.mjml": "templates/hello/body.mjml",
    "tplkit.po": "locales/de/LC_MESSAGES/tplkit.po",
    "data.json": "data.json",
    "data.csv": "data.csv",
    "data.jsonl": "data.jsonl",
}
PROJECT_FILES = {"tplkit.toml", "template.toml"}
BUILDS = PROJECT_FILES | {"body.mjml"}
COMMANDS = {   # id -> (arguments, the files it reads)
    "list": (["list"], PROJECT_FILES),
    "show": (["show", "hello"], PROJECT_FILES),
    "preview": (["preview", "hello", "-l", "de"], BUILDS | {"tplkit.po"}),
    "preview-data": (["preview", "hello", "--data", "data.json"], {"tplkit.toml", "data.json"}),
    "lint": (["lint", "-j", "1"], BUILDS | {"tplkit.po"}),
    "build": (["build", "-o", "{out}/build"], BUILDS | {"tplkit.po"}),
    "batch-csv": (["batch", "hello", "-d", "data.csv", "-o", "{out}/b", "-j", "1"], BUILDS | {"data.csv"}),
    "batch-jsonl": (["batch", "hello", "-d", "data.jsonl", "-o", "{out}/b", "-j", "1"],
                    BUILDS | {"data.jsonl"}),
    "i18n-extract": (["i18n", "extract"], {"tplkit.toml", "body.mjml"}),
    "i18n-stats": (["i18n", "stats"], {"tplkit.toml", "tplkit.po"}),
    "new-template": (["new", "template", "other"], {"tplkit.toml"}),
    "send-dry-run": (["send", "hello", "--to", "a@example.com", "-l", "de", "--dry-run",
                      "--data", "data.json"], BUILDS | {"tplkit.po", "data.json"}),
}
CASES = [(cmd, name) for cmd, (_, reads) in COMMANDS.items() for name in sorted(reads)]
# commands that write, and where (a folder made read-only, or a full disk)
WRITERS = {
    "preview": ["preview", "hello", "-o", "{out}/x.html"],
    "lint": ["lint", "-j", "1", "-o", "{out}/report.txt"],
    "build": ["build", "-o", "{out}/build"],
    "batch": ["batch", "hello", "-d", "data.csv", "-o", "{out}/b", "-j", "1"],
    "i18n-init": ["i18n", "init", "fr", "--force"],
    "new-project": ["new", "project", "{out}/p"],
}


def make_project(tmp_path: Path, name: str | None = None, bad: str | None = None) -> Path:
    """A copy of the good project, with ``name`` replaced by the ``bad`` variant."""
    root = tmp_path / "project"
    shutil.copytree(FIX / "project", root)
    (tmp_path / "out").mkdir()
    if name is not None:
        target = root / TARGETS[name]
        target.unlink()
        if bad == "directory":
            target.mkdir()
        else:
            shutil.copy(FIX / bad / name, target)
    return root


def invoke(root: Path, args: list[str], out: Path):
    old = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, ["--project", str(root), *[a.format(out=out) for a in args]])
    finally:
        os.chdir(old)


def bad_line(path: Path) -> int:
    data = path.read_bytes()
    return data[:next(i for i, b in enumerate(data) if b > 127)].count(b"\n") + 1


def assert_one_error(result, code: int = 1, cmd: str = "") -> str:
    """No traceback; the exit code; one ``error:`` line on stderr (details may follow it
    indented; lint's findings go to stdout)."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), out
    assert result.exit_code == code, out
    if code == 2 and "Usage:" in result.stderr:   # click's own usage error
        assert any(x.startswith("Error: ") for x in result.stderr.splitlines()), out
    elif code and cmd != "lint":   # lint's findings are on stdout
        errors = [x for x in result.stderr.splitlines() if x.startswith("error: ")]
        # i18n extract lists each unreadable file, then a summary
        assert len(errors) == 1 or cmd == "i18n-extract" and len(errors) == 2, out
    return out


def expected_code(cmd: str, name: str) -> int:
    """`tplkit list` shows a broken manifest as a BROKEN row and exits 0; lint exits 2 when
    it cannot run at all (a broken config); everything else exits 1."""
    if (cmd, name) == ("list", "template.toml"):
        return 0
    return 2 if (cmd, name) == ("lint", "tplkit.toml") else 1


@pytest.mark.parametrize("cmd,name", CASES)
def test_non_utf8_file_is_one_error_naming_file_and_line(tmp_path, cmd, name):
    """A Latin-1 byte: exit 1 and file:line of the byte (lint: a finding at the file)."""
    root = make_project(tmp_path, name, "nonutf8")
    args, _ = COMMANDS[cmd]
    out = assert_one_error(invoke(root, args, tmp_path / "out"), expected_code(cmd, name), cmd)
    line = bad_line(FIX / "nonutf8" / name)
    assert any(f"{p}:{line}" in out for p in (root / TARGETS[name], TARGETS[name])), out


@pytest.mark.parametrize("cmd,name", CASES)
def test_file_with_a_byte_order_mark_works(tmp_path, cmd, name):
    """A UTF-8 byte-order mark (Windows editors) is accepted everywhere."""
    root = make_project(tmp_path, name, "bom")
    res = invoke(root, COMMANDS[cmd][0], tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("cmd,name", CASES)
def test_empty_file_is_never_a_traceback(tmp_path, cmd, name):
    """An empty file works or is one error line (exit 1): never a traceback."""
    root = make_project(tmp_path, name, "empty")
    res = invoke(root, COMMANDS[cmd][0], tmp_path / "out")
    assert "Traceback" not in res.output and not (res.exception and not isinstance(res.exception, SystemExit))
    assert res.exit_code in (0, 1), res.output
    if res.exit_code == 1 and cmd != "lint":
        errors = [x for x in res.stderr.splitlines() if x.startswith("error:")]
        assert len(errors) == 1, res.output


@pytest.mark.parametrize("cmd,name", CASES)
def test_folder_in_place_of_a_file_is_one_error_naming_it(tmp_path, cmd, name):
    """A folder where a file belongs: one error naming it (click's usage error for --data)."""
    root = make_project(tmp_path, name, "directory")
    res = invoke(root, COMMANDS[cmd][0], tmp_path / "out")
    # lint cannot run over a project with a folder for a file: exit 2, like a broken config
    code = 2 if name.startswith("data.") or cmd == "lint" else expected_code(cmd, name)
    out = assert_one_error(res, code, cmd)
    assert str(root / TARGETS[name]) in out or TARGETS[name] in out, out


# --- real permissions: run as an unprivileged user -------------------------------------------

_CODE: list[Path] = []


def _readable_copy() -> Path:
    """tplkit's code, templates and catalogs copied where 'nobody' can read them (a clone
    under /root is private), for PYTHONPATH; made once per session."""
    import tempfile

    if not _CODE:
        import tplkit

        repo = Path(tplkit.__file__).resolve().parent.parent
        dest = Path(tempfile.mkdtemp(prefix="tplkit-code-"))
        shutil.copytree(repo / "tplkit", dest / "tplkit",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for extra in ("templates", "locales"):
            if (repo / extra).is_dir():
                shutil.copytree(repo / extra, dest / extra)
        open_to_all(dest)
        import atexit

        atexit.register(shutil.rmtree, dest, True)
        _CODE.append(dest)
    return _CODE[0]


def unprivileged(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI so that file permissions bind it when we are root: still root (the
    interpreter may live under /root, and a pyenv build may need its private libpython), but
    without the capabilities that override permission bits (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so a mode-000 file cannot be read nor a mode-555 folder written."""
    base = [sys.executable, "-m", "tplkit", *cmd]
    env = {**os.environ, "HOME": str(cwd)}
    if os.geteuid() == 0:
        base = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all",
                *base]
        env["PYTHONPATH"] = str(_readable_copy())
    return subprocess.run(base, cwd=cwd, capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def open_to_all(path: Path) -> None:
    """Let the unprivileged user reach ``path`` (pytest's tmp folders are private)."""
    for p in [path, *path.parents]:
        if p == Path("/"):
            break
        os.chmod(p, os.stat(p).st_mode | 0o755)
    for dirpath, dirnames, filenames in os.walk(path):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o777)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o666)


@pytest.fixture
def shared():
    """A folder the unprivileged user can reach. Not under pytest's tmp root: a pytest
    session starting meanwhile (another run on this machine) makes that root private again."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="tplkit-badinput-"))
    open_to_all(base)
    yield base
    for dirpath, _dirs, _files in os.walk(base):
        os.chmod(dirpath, 0o755)   # so that it can be removed
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("cmd,name", [c for c in CASES if c[0] in ("list", "preview", "preview-data",
                                                                  "lint", "batch-csv", "i18n-stats")])
def test_unreadable_file_is_one_error_naming_it(shared, cmd, name):
    """A file the user may not read: one error line naming it, exit 1 (lint: a finding)."""
    root = make_project(shared, None)
    open_to_all(shared)
    (root / TARGETS[name]).chmod(0o000)
    args = [a.format(out=shared / "out") for a in COMMANDS[cmd][0]]
    res = unprivileged(["--project", str(root), *args], root)
    text = res.stderr + res.stdout
    assert "Traceback" not in text
    if name.startswith("data."):   # click checks --data itself: a usage error naming it
        assert res.returncode == 2 and f"Error: Invalid value for '--data' / '-d': File " \
            f"'{TARGETS[name]}' is not readable." in res.stderr, text
        return
    assert res.returncode == expected_code(cmd, name), text
    assert str(root / TARGETS[name]) in text or TARGETS[name] in res.stdout, text
    assert "Permission denied" in text, text
    if cmd != "lint" and res.returncode:
        assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("error: ")


@pytest.mark.parametrize("cmd", sorted(WRITERS))
def test_read_only_output_folder_is_one_error_naming_it(shared, cmd):
    """Writing into a folder the user may not write: one error line naming the output."""
    root = make_project(shared, None)
    open_to_all(shared)
    out = shared / "out"
    os.chmod(out, 0o555)
    if cmd == "i18n-init":
        (root / "locales").chmod(0o555)
        assert unprivileged(["--project", str(root), "i18n", "extract"], root).returncode != 0
        shutil.copy(FIX / "project" / "locales" / "de" / "LC_MESSAGES" / "tplkit.po",
                    root / "locales" / "tplkit.pot")   # a .pot to start from
    args = [a.format(out=out) for a in WRITERS[cmd]]
    res = unprivileged(["--project", str(root), *args], root)
    text = res.stderr + res.stdout
    assert "Traceback" not in text and "internal error" not in text
    assert res.returncode == (2 if cmd == "lint" else 1), text
    errors = [x for x in res.stderr.splitlines() if x.startswith("error: ")]
    assert len(errors) == 1 and "Permission denied" in errors[0], text
    assert str(out) in errors[0] or str(root / "locales") in errors[0], text


@pytest.mark.parametrize("cmd", sorted(WRITERS))
def test_full_disk_is_one_error_naming_the_output(tmp_path, monkeypatch, cmd):
    """ENOSPC while writing (injected into fsync): one error line naming the output."""
    root = make_project(tmp_path, None)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if cmd == "i18n-init":
        assert invoke(root, ["i18n", "extract"], tmp_path / "out").exit_code == 0
    monkeypatch.setattr(fsutil.os, "fsync", full)
    res = invoke(root, WRITERS[cmd], tmp_path / "out")
    out = assert_one_error(res, 2 if cmd == "lint" else 1)
    assert "No space left on device" in out, out
    assert str(tmp_path / "out") in out or str(root / "locales") in out, out
