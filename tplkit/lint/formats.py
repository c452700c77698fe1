"""Output formats for findings: text, json, github (workflow commands), sarif (2.1.0), junit.

Paths are printed relative to ``base`` (the current folder) when they lie under it, so the
same report works in a terminal, in GitHub annotations and in code scanning.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from xml.etree import ElementTree as ET

from ..version import __version__
from .model import Finding
from .rules import RULES

FORMATS = ("text", "json", "github", "sarif", "junit")


def relpath(file: str | None, base: str | None = None) -> str | None:
    """``file`` relative to ``base`` (default: cwd) if it is inside it, else unchanged; POSIX slashes."""
    if not file:
        return None
    base = os.path.abspath(base or os.getcwd())
    absolute = os.path.abspath(file)
    if os.path.commonpath([base, absolute]) == base:
        return os.path.relpath(absolute, base).replace(os.sep, "/")
    return absolute.replace(os.sep, "/")


def _where(f: Finding, base: str | None) -> str:
    out = relpath(f.file, base) or "<project>"
    if f.line:
        out += f":{f.line}"
        if f.column:
            out += f":{f.column}"
    return out


def _context(f: Finding) -> str:
    ctx = "/".join(x for x in (f.template, f.locale) if x)
    return f" [{ctx}]" if ctx else ""


def format_text(findings: Sequence[Finding], base: str | None = None) -> str:
    """``path:line:col: severity rule-id message [template/locale]`` plus a summary line."""
    lines = [f"{_where(f, base)}: {f.severity} {f.rule} {f.message}{_context(f)}" for f in findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
                 + (f" ({summary})" if summary else ""))
    return "\n".join(lines) + "\n"


def format_json(findings: Sequence[Finding], base: str | None = None) -> str:
    """A JSON list of finding objects (rule, severity, message, file, line, column, template, locale)."""
    rows = [{**f.as_dict(), "file": relpath(f.file, base)} for f in findings]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def escape_data(s: str) -> str:
    """Escape a workflow command's message (GitHub's ``escapeData``)."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """Escape a workflow command property value (GitHub's ``escapeProperty``)."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def format_github(findings: Sequence[Finding], base: str | None = None) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…,col=…,title=…::message``."""
    out = []
    for f in findings:
        props = []
        if f.file:
            props.append(f"file={escape_property(relpath(f.file, base) or f.file)}")
            if f.line:
                props.append(f"line={f.line}")
                if f.column:
                    props.append(f"col={f.column}")
        props.append(f"title={escape_property(f'tplkit {f.rule}')}")
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::"
                   f"{escape_data(f.message + _context(f))}")
    return "\n".join(out) + ("\n" if out else "")


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def fingerprint(f: Finding, base: str | None = None) -> str:
    """Stable across runs and line shifts: rule, file, template, locale and message."""
    key = "\x1f".join(str(x) for x in (f.rule, relpath(f.file, base), f.template, f.locale, f.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def format_sarif(findings: Sequence[Finding], base: str | None = None) -> str:
    """SARIF 2.1.0 with every rule declared in ``tool.driver.rules``."""
    tool_version = __version__
    index = {r.id: i for i, r in enumerate(RULES)}
    rules = [{"id": r.id, "name": r.id, "shortDescription": {"text": r.description},
              "fullDescription": {"text": r.description},
              "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
              "properties": {"layer": r.layer}} for r in RULES]
    results = []
    for f in findings:
        result = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": _SARIF_LEVEL[f.severity],
                  "message": {"text": f.message + _context(f)},
                  "partialFingerprints": {"tplkitFindingHash/v1": fingerprint(f, base)},
                  "properties": {"template": f.template, "locale": f.locale}}
        if f.file:
            physical: dict = {"artifactLocation": {"uri": relpath(f.file, base),
                                                   "uriBaseId": "%SRCROOT%"}}
            if f.line:  # a whole-file finding has no region (not line 1)
                physical["region"] = {"startLine": f.line}
                if f.column:
                    physical["region"]["startColumn"] = f.column
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "tplkit", "version": tool_version,
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def format_junit(findings: Sequence[Finding], base: str | None = None,
                 warnings_fail: bool = False) -> str:
    """JUnit XML (valid against the Jenkins xUnit ``junit-10.xsd``): one test case per finding,
    or one passing case when clean. Errors are failures; so are warnings when they fail the run
    (``--strict``, ``--max-warnings``): the report agrees with the exit code."""
    failing = ("error", "warning") if warnings_fail else ("error",)
    failed = sum(1 for f in findings if f.severity in failing)
    suites = ET.Element("testsuites", name="tplkit lint", tests=str(max(1, len(findings))),
                        failures=str(failed), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="tplkit lint",
                          tests=str(max(1, len(findings))), failures=str(failed), errors="0",
                          skipped="0")
    if not findings:
        ET.SubElement(suite, "testcase", classname="tplkit.lint", name="no findings")
    for f in findings:
        case = ET.SubElement(suite, "testcase", classname=f"tplkit.lint.{f.rule}",
                             name=f"{_where(f, base)}{_context(f)}")
        if f.severity in failing:
            failure = ET.SubElement(case, "failure", type=f.rule, message=f.message)
            failure.text = f"{_where(f, base)}: {f.severity} {f.rule} {f.message}{_context(f)}"
        else:
            ET.SubElement(case, "system-out").text = f"{f.severity}: {f.message}"
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


FORMATTERS: dict[str, Callable[..., str]] = {
    "text": format_text, "json": format_json, "github": format_github, "sarif": format_sarif,
    "junit": format_junit,
}


def render_findings(findings: Sequence[Finding], fmt: str, base: str | None = None,
                    warnings_fail: bool = False) -> str:
    """The report in format ``fmt``; ``warnings_fail`` marks warnings as failures in JUnit."""
    if fmt == "junit":
        return format_junit(findings, base, warnings_fail)
    return FORMATTERS[fmt](findings, base)


def is_report(data: bytes, fmt: str) -> bool:
    """Whether ``data`` (an existing ``-o`` file) is a tplkit lint report in format ``fmt``:
    reports are regenerated artefacts and are replaced; any other file is left alone."""
    text = data.decode("utf-8", errors="replace")
    if fmt == "sarif":
        try:
            doc = json.loads(text)
            return doc.get("version") == "2.1.0" and \
                doc["runs"][0]["tool"]["driver"]["name"] == "tplkit"
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return False
    if fmt == "json":
        try:
            rows = json.loads(text)
        except ValueError:
            return False
        return isinstance(rows, list) and all(isinstance(r, dict) and {"rule", "severity", "message"}
                                              <= r.keys() for r in rows)
    if fmt == "junit":
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            return False
        return root.tag == "testsuites" and root.get("name") == "tplkit lint"
    if fmt == "github":
        return all(line.startswith("::") for line in text.splitlines())
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    return bool(re.fullmatch(r"\d+ findings?( \(.*\))?", last))
