"""Software tplkit did not write, run as test oracles: npm mailparser, the Nu HTML validator
(npm ``vnu-jar`` on Debian's Java), and every built-in template x locale x sample to feed them.

The npm tools live in ``tests/node`` (``npm ci --ignore-scripts`` there; ``.ci/run`` does it).
Outside CI a missing tool skips the test with the reason; with ``CI=true`` it fails instead.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"
VNU_JAR = NODE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def require(reason: str | None) -> None:
    """Skip (or, in CI, fail) when ``reason`` says a tool is missing."""
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"must run in CI: {reason}")
        pytest.skip(reason)


def _missing_node_module(name: str) -> str | None:
    if not shutil.which("node"):
        return "Node.js is not installed (apt-get install nodejs npm)"
    if not (NODE_DIR / "node_modules" / name).is_dir():
        return f"npm {name} is not installed (cd tests/node && npm ci --ignore-scripts)"
    return None


def mailparser(paths: list[Path]) -> dict[str, dict]:
    """Each .eml file parsed by npm mailparser: path -> subject, text, html, from, to, headers."""
    require(_missing_node_module("mailparser"))
    out = subprocess.run(["node", str(NODE_DIR / "parse_mail.js"), *map(str, paths)],
                         capture_output=True, check=True, timeout=300)
    return json.loads(out.stdout)


def vnu(paths: list[Path]) -> dict[str, list[str]]:
    """Each HTML file checked by the Nu HTML validator: path -> its error messages
    (line numbers left out, so that two documents can be compared message by message)."""
    no_java = None if shutil.which("java") else "Java is not installed (apt-get install default-jre-headless)"
    require(_missing_node_module("vnu-jar") or no_java)
    proc = subprocess.run(["java", "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always",
                           *map(str, paths)], check=False, capture_output=True, timeout=600)
    report = json.loads(proc.stderr or proc.stdout)
    found: dict[str, list[str]] = {str(p): [] for p in paths}
    for m in report["messages"]:
        if m.get("type") == "error" or m.get("subType") == "fatal":
            path = m["url"].removeprefix("file:")
            found.setdefault(path, []).append(m["message"])
    return found


def elements(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Every element of an HTML file in document order: its tag and its attributes, ``style`` aside
    (the one attribute CSS inlining may add or change)."""
    import lxml.html

    tree = lxml.html.fromstring(path.read_bytes())
    return [(el.tag, {k: v for k, v in el.attrib.items() if k != "style"})
            for el in tree.iter() if isinstance(el.tag, str)]


def style_texts(path: Path) -> list[str]:
    """The text of every ``<style>`` element of an HTML file, in document order."""
    import lxml.html

    return [el.text or "" for el in lxml.html.fromstring(path.read_bytes()).iter("style")]


def combinations(kit) -> Iterator[tuple[str, str, str, dict]]:
    """(template, locale, sample name, context) for every built-in template, locale and sample."""
    for name in kit.template_names():
        info = kit.template(name)
        for locale in kit.locales():
            for sample in info.samples:
                yield name, locale, sample, info.sample_for(locale, sample)
