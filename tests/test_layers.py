"""The one-way module layout: data flows down the layers of the README's "Map of the code",
nothing imports upward, there are no import circles, and library modules never import click
or the CLI. Checked on the import graph read with ``ast`` (imports inside functions count;
``if TYPE_CHECKING:`` blocks do not, they never run)."""
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


# The layers, top to bottom (README, "Map of the code"). A module belongs to the layer with the
# longest matching name prefix; it may import its own layer and the layers below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("cli", ("tplkit.cli", "tplkit.__main__")),
    ("readers and drivers", ("tplkit.lint", "tplkit.preview", "tplkit.batch", "tplkit.batchwriter",
                             "tplkit.records", "tplkit.send",
                             "tplkit.sendbatch", "tplkit.sendlog", "tplkit.delivery", "tplkit.celery",
                             "tplkit.django", "tplkit.scaffold", "tplkit.catalogs", "tplkit.reference",
                             "tplkit.testing")),
    ("kit", ("tplkit", "tplkit.kit")),
    ("template sources", ("tplkit.sources", "tplkit.build")),
    ("compile stages", ("tplkit.compile", "tplkit.stages", "tplkit.buildpass", "tplkit.deferred",
                        "tplkit.address", "tplkit.sourcemap", "tplkit.mjmlcheck", "tplkit.inline",
                        "tplkit.compiled")),
    ("what the stages and compiled templates use", (
        "tplkit.codegen", "tplkit.exprgen", "tplkit.textgen", "tplkit.rendersource",
        "tplkit.boundfilters", "tplkit.validatorgen", "tplkit.escaping", "tplkit.filters", "tplkit.text",
        "tplkit.wrapping", "tplkit.schema", "tplkit.computed", "tplkit.links", "tplkit.i18n",
        "tplkit.formatting", "tplkit.moneyfmt", "tplkit.declension", "tplkit.locale_style",
        "tplkit.store", "tplkit.render", "tplkit.mime", "tplkit.mimeheaders", "tplkit.quotedprintable",
        "tplkit.mailpolicy", "tplkit.sandbox",
        "tplkit.guards")),
    ("config and errors", ("tplkit.config", "tplkit.settings", "tplkit.hours", "tplkit.tomlpos",
                           "tplkit.placeholder", "tplkit.coercion", "tplkit.errors", "tplkit.fsutil",
                           "tplkit.safety", "tplkit.limits", "tplkit.version")),
]



def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _import_graph() -> dict[str, dict[str, bool]]:
    """module -> {tplkit module it imports: whether at the top of the file}."""
    modules = _modules()

    def owner(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, dict[str, bool]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        skipped = {id(n) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
        top = {id(n) for n in tree.body}
        edges = graph.setdefault(module, {})
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) \
                    if node.level else ""
                mod = ".".join(p for p in (base, node.module) if p)
                # `from pkg import sub` imports the module pkg.sub; `from mod import name`, mod
                names = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
            else:
                continue
            for name in names:
                if name == "tplkit" or name.startswith("tplkit."):
                    target = owner(name)
                    if target != module:
                        edges[target] = edges.get(target, False) or id(node) in top
    return graph


def _layer(module: str) -> int:
    matches = [(len(p), i) for i, (_, prefixes) in enumerate(LAYERS) for p in prefixes
               if module == p or (p != "tplkit" and module.startswith(p + "."))]
    assert matches, f"{module} is in no layer: add it to LAYERS (and to the README's map)"
    return max(matches)[1]


def test_every_module_has_a_layer():
    """Each module of the package is placed in exactly one layer of the map."""
    for module in _modules():
        _layer(module)


def test_nothing_imports_upward():
    """Every import, at the top or inside a function, goes to the importer's own layer or one below."""
    upward = [f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]})"
              for a, targets in _import_graph().items() for b in targets
              if _layer(b) < _layer(a)]
    assert upward == []


def _circles(graph: dict[str, dict[str, bool]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles_at_module_level():
    """The imports at the top of the modules form no circle."""
    graph = _import_graph()
    top_only = {a: {b: True for b, at_top in targets.items() if at_top} for a, targets in graph.items()}
    assert _circles(top_only) == []


def test_no_import_circles_through_function_imports_either():
    """No circle is hidden by moving one of its imports into a function."""
    assert _circles(_import_graph()) == []


def test_the_layer_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The graph reader finds imports inside functions and resolves relative ones (so the
    checks above can fail): config.py importing kit inside a function is an upward import."""
    copy = tmp_path / "tplkit"
    copy.mkdir()
    for name in ("__init__.py", "config.py", "kit.py", "errors.py"):
        (copy / name).write_text((PACKAGE / name).read_text(encoding="utf-8"), encoding="utf-8")
    with (copy / "config.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef _late():\n    from .kit import Kit\n    return Kit\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    graph = _import_graph()
    assert graph["tplkit.config"]["tplkit.kit"] is False
    assert graph["tplkit"]["tplkit.kit"] is True
    assert _layer("tplkit.kit") < _layer("tplkit.config")


# Private names of dependencies, each kept for a reason in one module, with what happens
# when a release removes it: escaping.py falls back to markupsafe.escape (tests/test_escaping.py);
# sandbox.py overrides two Jinja hooks and refuses to load without them.
PRIVATE_DEPENDENCY_NAMES = {
    "_escape_inner": "escaping.py",
    "_output_child_to_const": "sandbox.py",
    "_generate": "sandbox.py",
}


def test_private_dependency_names_stay_in_their_one_module():
    """Each private name of markupsafe or Jinja tplkit relies on appears in its one module only."""
    for name, home in PRIVATE_DEPENDENCY_NAMES.items():
        users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                       if name in _names_and_attributes(p))
        assert users == [home], (name, users)


def _names_and_attributes(path: Path) -> set[str]:
    """Every identifier, attribute, string constant and def name in ``path`` (to find a private name)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            out.add(node.attr)
        elif isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            out.add(node.value)
    return out


def test_the_jinja_hooks_the_sandbox_overrides_exist():
    """The installed Jinja has the private hooks sandbox.py overrides, and LimitedSandbox's own
    versions are the ones that run."""
    from tplkit.sandbox import JINJA_HOOKS, LimitedSandbox

    for cls, hook in JINJA_HOOKS:
        assert callable(getattr(cls, hook, None)), (cls, hook)
    assert LimitedSandbox._generate is not JINJA_HOOKS[1][0]._generate
    assert LimitedSandbox.code_generator_class._output_child_to_const is not \
        JINJA_HOOKS[0][0]._output_child_to_const


def test_the_readme_map_names_every_module():
    """README's "Map of the code" has a row for every module and package of tplkit."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Map of the code"):]
    section = section[:section.index("\n## ")]
    rows = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    missing = [name for name in sorted({p.relative_to(PACKAGE).parts[0] for p in PACKAGE.glob("*")
                                        if p.suffix == ".py" or (p / "__init__.py").is_file()})
               if name not in ("__init__.py", "__main__.py")
               and f"`{name.removesuffix('.py')}{'.py' if name.endswith('.py') else '/'}`" not in rows]
    assert missing == []
