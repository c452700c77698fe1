"""The wheel ships templates/ and locales/ and works from any directory when not editable."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    (whl,) = out.glob("tplkit-*.whl")
    return whl


def test_wheel_contains_templates_locales_and_entry_point(wheel):
    """templates/ and locales/ are inside the package; the console script is declared."""
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("tplkit/templates/acknowledgement/body.mjml", "tplkit/templates/_layouts/base.mjml",
                     "tplkit/locales/uk/LC_MESSAGES/tplkit.po", "tplkit/locales/tplkit.pot",
                     "tplkit/default_config.toml", "tplkit/py.typed"):
        assert required in names, required
    ep = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tplkit = tplkit.cli:run" in zipfile.ZipFile(wheel).read(ep).decode()


def test_non_editable_install_previews_from_another_directory(wheel, tmp_path):
    """pip install of the wheel, then `tplkit preview acknowledgement --locale uk` from elsewhere."""
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                          str(wheel)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("TPLKIT_PROJECT", None)
    res = subprocess.run([sys.executable, "-c", "import tplkit, sys; print(tplkit.__file__)"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.stdout.strip().startswith(str(target)), res.stdout + res.stderr
    res = subprocess.run([sys.executable, "-m", "tplkit", "preview", "acknowledgement", "--locale", "uk"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Ми отримали ваш запит" in res.stdout
    # the console script pip wrote (tplkit.cli:run) runs the same command
    res = subprocess.run([str(target / "bin" / "tplkit"), "preview", "acknowledgement", "--locale", "uk"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Ми отримали ваш запит" in res.stdout
