"""The one-way module layout: library modules never import click or the CLI."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tplkit"
LIBRARY = ["tplkit", "tplkit.kit", "tplkit.build", "tplkit.batch", "tplkit.send", "tplkit.compile",
           "tplkit.lint", "tplkit.lint.engine", "tplkit.preview", "tplkit.preview.app",
           "tplkit.catalogs", "tplkit.testing"]


@pytest.mark.parametrize("module", LIBRARY)
def test_library_module_does_not_import_click(module):
    """Importing a library module (in a fresh interpreter) loads neither click nor tplkit.cli."""
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m == 'click' or m.startswith(('click.', 'tplkit.cli'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth of the file."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + "._"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:-node.level] if node.level else []
            mod = ".".join([*base, node.module] if node.module else base)
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def test_only_the_cli_package_imports_click():
    """No module outside tplkit/cli/ (and __main__) imports click or tplkit.cli, even in a function."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("cli", "__main__.py"):  # the CLI itself and `python -m tplkit`
            continue
        bad = {n for n in _imports(path) if n == "click" or n.startswith(("click.", "tplkit.cli"))}
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert offenders == []


def test_import_tplkit_leaves_the_compiler_unloaded():
    """`import tplkit` (and so `tplkit --help`) does not import the compiler; it loads on first use."""
    code = ("import sys, tplkit; print(sorted(m for m in sys.modules if m in "
            "('tplkit.compile', 'tplkit.buildpass', 'tplkit.codegen', 'tplkit.build', 'mjml', 'premailer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
