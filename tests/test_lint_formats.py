"""tplkit lint output formats: text, json, github workflow commands, SARIF 2.1.0, JUnit XML."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import tplkit
from tplkit.lint import RULES, Finding, lint
from tplkit.lint.formats import escape_data, escape_property, render_findings

BROKEN = Path(__file__).parent / "fixtures" / "lint" / "broken"
SCHEMAS = Path(__file__).parent / "fixtures" / "schemas"   # see its SOURCE.md


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint(tplkit.Kit(BROKEN))


def test_text_lines_read_like_compiler_messages(findings):
    """text: `path:line:col: severity rule-id message [template/locale]`, then a summary."""
    out = render_findings(findings, "text", base=str(BROKEN)).splitlines()
    assert len(out) == len(findings) + 1
    f = next(f for f in findings if f.rule == "button-contrast")
    line = out[findings.index(f)]
    assert line.startswith(f"templates/everything/body.mjml:20:{f.column}: error button-contrast button ")
    assert line.endswith(f"[everything/{f.locale}]")
    errors = sum(f.severity == "error" for f in findings)
    assert out[-1].startswith(f"{len(findings)} findings ({errors} errors")


def test_json_is_a_list_of_finding_objects(findings):
    """json: one object per finding with every field, paths relative to the base folder."""
    rows = json.loads(render_findings(findings, "json", base=str(BROKEN)))
    assert len(rows) == len(findings)
    assert set(rows[0]) == {"rule", "severity", "message", "file", "line", "column", "template",
                            "locale"}
    row = next(r for r in rows if r["rule"] == "catalog-missing")
    assert (row["file"], row["line"], row["locale"]) == ("tplkit.toml", 3, "fr")


def test_github_escaping_of_data_and_properties():
    """github: % CR LF escaped in messages; additionally : and , in property values."""
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    f = Finding("typography", "warning", "50% off:\nnow, today", "/p/a,b:c.mjml", 3, 7, "t", "de")
    out = render_findings([f], "github", base="/p")
    assert out == ("::warning file=a%2Cb%3Ac.mjml,line=3,col=7,title=tplkit typography::"
                   "50%25 off:%0Anow, today [t/de]\n")


def test_github_levels_and_findings_without_a_file(findings):
    """github: error/warning/notice commands; a finding without file has only a title."""
    out = render_findings(findings, "github", base=str(BROKEN)).splitlines()
    assert len(out) == len(findings)
    assert {line.split(" ", 1)[0] for line in out} == {"::error", "::warning"}
    info = render_findings([Finding("fuzzy", "info", "m")], "github")
    assert info == "::notice title=tplkit fuzzy::m\n"


def test_sarif_declares_every_rule_and_has_stable_fingerprints(findings):
    """sarif: version 2.1.0, all rules in driver.rules, ruleIndex right, fingerprints stable."""
    doc = json.loads(render_findings(findings, "sarif", base=str(BROKEN)))
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    assert all(r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in
               ("error", "warning", "note") for r in rules)
    results = run["results"]
    assert len(results) == len(findings)
    for res, f in zip(results, findings, strict=True):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f.rule
        if f.file:
            loc = res["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"] == str(Path(f.file).relative_to(BROKEN))
            if f.line:
                assert loc["region"]["startLine"] == f.line
            else:  # a whole-file finding: no region rather than a made-up line 1
                assert "region" not in loc
    prints = [r["partialFingerprints"]["tplkitFindingHash/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    again = json.loads(render_findings(lint(tplkit.Kit(BROKEN)), "sarif", base=str(BROKEN)))
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == \
        [r["partialFingerprints"] for r in results]


def test_sarif_fingerprint_survives_a_line_shift():
    """A finding moved to another line (code added above) keeps its fingerprint."""
    a = Finding("image-alt", "error", "m", "/p/x.mjml", 3, 1, "t", "en")
    b = Finding("image-alt", "error", "m", "/p/x.mjml", 9, 4, "t", "en")
    fp = [json.loads(render_findings([f], "sarif", base="/p"))["runs"][0]["results"][0]
          ["partialFingerprints"] for f in (a, b)]
    assert fp[0] == fp[1]


def test_junit_is_valid_xml_with_errors_as_failures(findings):
    """junit: one test case per finding; errors are <failure>s, warnings pass with output."""
    root = ET.fromstring(render_findings(findings, "junit", base=str(BROKEN)).encode())
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    errors = [f for f in findings if f.severity == "error"]
    assert len(cases) == len(findings) == int(suite.get("tests"))
    assert len(suite.findall("testcase/failure")) == len(errors) == int(suite.get("failures"))
    failure = suite.find("testcase/failure")
    assert failure.get("type") in {r.id for r in RULES} and failure.get("message")


def test_junit_clean_run_has_one_passing_case():
    """junit: with no findings the report still has one passing test case."""
    root = ET.fromstring(render_findings([], "junit").encode())
    assert [c.get("name") for c in root.iter("testcase")] == ["no findings"]
    assert root.find("testsuite").get("failures") == "0"


def test_sarif_validates_against_the_sarif_2_1_0_schema(findings):
    """The SARIF report of the broken project validates against OASIS's 2.1.0 JSON schema."""
    import jsonschema

    schema = json.loads((SCHEMAS / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    doc = json.loads(render_findings(findings, "sarif", base=str(BROKEN)))
    jsonschema.Draft4Validator(schema).validate(doc)
    broken = {**doc, "runs": [{"results": []}]}   # the check can fail: no tool
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))


@pytest.mark.parametrize("warnings_fail", [False, True])
def test_junit_validates_against_the_jenkins_xunit_schema(findings, warnings_fail):
    """The JUnit report validates against the Jenkins xUnit plugin's junit-10.xsd, and
    junitparser reads the same failures and passes from it."""
    import junitparser
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))
    xml = render_findings(findings, "junit", base=str(BROKEN), warnings_fail=warnings_fail)
    schema.assertValid(etree.fromstring(xml.encode("utf-8")))
    suite = list(junitparser.JUnitXml.fromstring(xml.encode("utf-8")))[0]
    failing = {"error", "warning"} if warnings_fail else {"error"}
    assert suite.tests == len(findings)
    assert suite.failures == sum(1 for f in findings if f.severity in failing)
    assert sum(1 for case in suite if not case.is_passed) == suite.failures
    with_file = xml.replace("<testcase ", '<testcase file="x" ', 1)   # what 0.1 wrote
    assert not schema.validate(etree.fromstring(with_file.encode("utf-8")))
