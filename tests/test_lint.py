"""tplkit lint: every rule on the broken fixture project, configuration, suppressions, the
built-in library, and the public API the preview server uses."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import tplkit
from tplkit.errors import ConfigError, TemplateNotFound, TplkitError
from tplkit.lint import RULES, Finding, lint
from tplkit.lint.model import Rule

LINT = Path(__file__).parent / "fixtures" / "lint"
BROKEN = LINT / "broken"
CLEAN = LINT / "clean"

# (rule, file relative to the fixture project, line): each place was checked by hand against
# the fixture files, which carry the deliberate mistakes. Catalog findings point at the msgstr
# line (where msgfmt points and the translator edits), stale messages at their msgid.
EXPECTED = {
    # catalogs (locales/de has one broken entry per rule; es a wrong header; nl does not parse)
    ("untranslated", "locales/de/LC_MESSAGES/tplkit.po", 14),
    ("fuzzy", "locales/de/LC_MESSAGES/tplkit.po", 19),
    ("leftover-placeholder", "locales/de/LC_MESSAGES/tplkit.po", 23),   # the msgstr keeps [Customer name]
    ("generic-link-text", "locales/de/LC_MESSAGES/tplkit.po", 23),      # "hier klicken"
    ("link-scheme", "locales/de/LC_MESSAGES/tplkit.po", 23),            # the msgstr's own href="#"
    ("subject-length", "locales/de/LC_MESSAGES/tplkit.po", 47),         # only the German msgstr is long
    ("markup-mismatch", "locales/de/LC_MESSAGES/tplkit.po", 36),
    ("plural-forms", "locales/de/LC_MESSAGES/tplkit.po", 41),           # one form for nplurals=2
    ("placeholder-mismatch", "locales/de/LC_MESSAGES/tplkit.po", 51),
    ("stale-message", "locales/de/LC_MESSAGES/tplkit.po", 53),          # in no template
    ("address-variant", "locales/de/LC_MESSAGES/tplkit.po", 58),        # a female variant, no male one
    ("plural-forms", "locales/es/LC_MESSAGES/tplkit.po", 6),            # nplurals=1 for Spanish
    ("catalog-syntax", "locales/nl/LC_MESSAGES/tplkit.po", 9),
    ("catalog-missing", "tplkit.toml", 3),                              # "fr" has no catalog
    # sources
    ("mjml-close-tag", "templates/badmjml/body.mjml", 4),               # <mj-all ...> not self-closed
    ("mjml-close-tag", "templates/unclosed/body.mjml", 4),              # <mj-text> never closed
    ("mjml-unknown-tag", "templates/mjmlrules/body.mjml", 5),           # <mj-txt>
    ("mjml-unknown-attribute", "templates/mjmlrules/body.mjml", 6),     # border-colour
    ("mjml-attribute-value", "templates/mjmlrules/body.mjml", 7),       # height="big"
    ("mjml-parent", "templates/mjmlrules/body.mjml", 9),                # mj-text in mj-section
    ("mjml-invalid", "templates/unquoted/body.mjml", 5),                # padding=10px: MRML has no span
    ("missing-translation", "templates/badmjml/body.mjml", 8),          # not in the de catalog
    ("template-error", "templates/badsample/template.toml", 8),         # [samples.default]
    ("syntax-error", "templates/badsyntax/body.mjml", 3),
    ("syntax-error", "templates/badtoml/template.toml", 3),
    ("undeclared-placeholder", "templates/undeclared/body.mjml", 5),
    ("unused-placeholder", "templates/everything/template.toml", 17),
    ("untranslated-text", "templates/everything/body.mjml", 9),
    ("unencoded-url-value", "templates/everything/body.mjml", 10),
    ("unused-suppression", "templates/everything/body.mjml", 14),
    # rendered, pointed back to the source line
    ("lang-dir", "templates/everything/body.mjml", 1),
    ("empty-substitution", "templates/everything/body.mjml", 6),
    ("typography", "templates/everything/body.mjml", 7),                # "is is", "(really."
    ("leftover-placeholder", "templates/everything/body.mjml", 8),
    ("link-scheme", "templates/everything/body.mjml", 8),               # href="#"
    ("generic-link-text", "templates/everything/body.mjml", 8),
    ("link-scheme", "templates/everything/body.mjml", 11),              # http:
    ("safe-placeholder", "templates/everything/body.mjml", 17),
    ("image-alt", "templates/everything/body.mjml", 19),
    ("button-contrast", "templates/everything/body.mjml", 20),
    ("preheader-missing", "templates/everything/preheader.txt", 1),
    ("subject-length", "templates/everything/subject.txt", 1),
    # rendered, where no single line is to blame
    ("contacts-missing", "templates/everything/body.mjml", None),
    ("gmail-clipping", "templates/huge/body.mjml", None),
    ("preheader-length", "templates/huge/preheader.txt", 1),
    ("subject-missing", "templates/notext/subject.txt", 1),
    ("contacts-missing", "templates/notext/body.txt", None),
    ("text-part", "templates/notext/body.txt", None),
}


def rel(f: Finding) -> str | None:
    return Path(f.file).relative_to(BROKEN).as_posix() if f.file else None


@pytest.fixture(scope="module")
def broken() -> tplkit.Kit:
    return tplkit.Kit(BROKEN)


@pytest.fixture(scope="module")
def findings(broken: tplkit.Kit) -> list[Finding]:
    return lint(broken)


def test_findings_are_exactly_the_places_the_fixture_breaks(findings):
    """Every finding of the broken project has the expected rule, file and line, and no other."""
    assert {(f.rule, rel(f), f.line) for f in findings} == EXPECTED


def test_every_rule_fires_on_the_broken_fixture(findings):
    """Each registered rule (bar internal-error, a tplkit bug) is triggered by the fixture."""
    fired = {f.rule for f in findings}
    assert {r.id for r in RULES} - fired == {"internal-error"}


def test_rules_are_registered_once_with_valid_metadata():
    """Rule ids are unique kebab-case with a default severity, a layer and a description."""
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.id == r.id.lower() and " " not in r.id and "_" not in r.id
        assert r.severity in ("error", "warning", "info") and r.description
        assert (r.check is None) == (r.layer == "meta")


def test_findings_carry_template_locale_and_severity(findings):
    """Rendered findings name template and locale; graded rules use the hit's own severity."""
    lang = [f for f in findings if f.rule == "lang-dir"]
    assert {(f.template, f.locale) for f in lang} == {("everything", "de, en")}  # one per defect
    assert {f.locales for f in lang} == {("de", "en")}
    schemes = {f.line: f.severity for f in findings if f.rule == "link-scheme"}
    assert schemes == {8: "error", 11: "warning", 23: "error"}
    missing = next(f for f in findings if f.rule == "catalog-missing")
    assert missing.locale == "fr" and "fr" in missing.message


def test_mrml_error_without_span_is_located_through_the_source_map(findings):
    """MRML rejects padding=10px without saying where; the first tag it cannot parse is mapped
    back to the template's line and column."""
    (f,) = [f for f in findings if f.rule == "mjml-invalid"]
    assert (f.template, f.line, f.column) == ("unquoted", 5, 9)


def test_unclosed_element_is_reported_where_it_opens(findings):
    """</mj-column> while mj-text is open: reported at the <mj-text> left open (the cause),
    naming the close tag's line in the template (not a line of the generated MJML)."""
    f = next(f for f in findings if f.rule == "mjml-close-tag" and f.template == "unclosed")
    assert (f.line, f.column) == (4, 7) and "</mj-column> (line 5) comes inside" in f.message


def test_locale_specific_causes_name_their_catalog(findings):
    """A subject too long only in German points at the German msgstr (msgfmt's line), the
    English one at subject.txt; each names its own locale."""
    lengths = {(rel(f), f.line, f.locale) for f in findings if f.rule == "subject-length"}
    assert lengths == {("locales/de/LC_MESSAGES/tplkit.po", 47, "de"),
                       ("templates/everything/subject.txt", 1, "en")}


def test_inline_suppression_silences_its_next_line(findings):
    """disable-next-line link-scheme hides the javascript: link on the line after it."""
    assert not any(f.line == 13 and rel(f) == "templates/everything/body.mjml" for f in findings)
    unused = [f for f in findings if f.rule == "unused-suppression"]
    assert len(unused) == 1 and "image-alt" in unused[0].message


def test_translation_problems_point_at_the_catalog(findings):
    """Rendered text that comes from a msgstr is located in the catalog, not the template."""
    f = next(f for f in findings if f.rule == "generic-link-text" and f.locale == "de")
    assert rel(f) == "locales/de/LC_MESSAGES/tplkit.po" and "hier klicken" in f.message


def test_one_broken_template_does_not_stop_the_others(broken):
    """A syntax error and a broken manifest are reported while the other templates still render."""
    found = lint(broken, templates=["badsyntax", "badtoml", "everything"], locales=["en"])
    assert {"syntax-error", "image-alt", "lang-dir"} <= {f.rule for f in found}
    assert {f.locale for f in found if f.locale} == {"en"}


def test_selecting_templates_skips_catalog_rules(broken):
    """With templates selected only those are linted; catalog files are left alone (only the
    project-wide catalog-missing still runs)."""
    found = lint(broken, templates=["notext"])
    project_wide = ("catalog-missing",)
    assert {f.template for f in found if f.rule not in project_wide} == {"notext"}
    assert {f.rule for f in found} == {"text-part", "contacts-missing", "subject-missing",
                                       "catalog-missing"}


def test_unknown_template_and_locale_are_errors(broken):
    """An unknown template or locale raises (the CLI exits 2) instead of linting nothing."""
    with pytest.raises(TemplateNotFound, match="did you mean 'everything'"):
        lint(broken, templates=["everythin"])
    with pytest.raises(TplkitError, match="unknown locale 'xx'"):
        lint(broken, locales=["xx"])


def test_config_select_ignore_and_severity():
    """[lint] select/ignore drop rules; severity changes a rule's level or turns it off."""
    kit = tplkit.Kit(BROKEN, settings={"lint": {"select": ["link-scheme", "fuzzy", "typography"],
                                                "ignore": ["typography"],
                                                "severity": {"fuzzy": "info", "link-scheme": "warning"}}})
    found = lint(kit, templates=None, locales=["de"])
    assert {f.rule for f in found} == {"link-scheme", "fuzzy"}
    assert {f.severity for f in found} == {"info", "warning"}
    off = tplkit.Kit(BROKEN, settings={"lint": {"severity": {"typography": "off"}}})
    assert "typography" not in {f.rule for f in lint(off, templates=["everything"], locales=["en"])}


def test_config_with_unknown_rule_is_a_config_error():
    """A misspelt rule id in [lint] is a ConfigError naming file and line, with a suggestion."""
    with pytest.raises(ConfigError) as exc:
        lint(tplkit.Kit(LINT / "badconfig"))
    assert exc.value.line == 6 and exc.value.file.endswith("tplkit.toml")
    assert "did you mean 'typography'" in str(exc.value)


def test_crashing_rule_becomes_internal_error(broken, monkeypatch):
    """A rule that raises yields an internal-error finding; the other rules still run."""
    from tplkit.lint import engine

    def boom(ctx):
        raise RuntimeError("kaput")
        yield  # pragma: no cover

    rules = [dataclasses.replace(r, check=boom) if r.id == "typography" else r for r in engine.RULES]
    monkeypatch.setattr(engine, "RULES", rules)
    found = lint(broken, templates=["everything"], locales=["en"])
    crash = [f for f in found if f.rule == "internal-error"]
    assert crash and "typography crashed: RuntimeError: kaput" in crash[0].message
    assert "image-alt" in {f.rule for f in found}


def test_clean_project_has_no_findings():
    """A well-formed project lints clean (only the deliberately long preheader warns)."""
    found = lint(tplkit.Kit(CLEAN))
    assert [(f.rule, f.template) for f in found] == [("preheader-length", "wordy")]


def test_builtin_library_lints_clean(kit):
    """The built-in templates and catalogs have no findings at all."""
    assert lint(kit) == []


def test_public_api_shape():
    """lint(kit, templates=, locales=) -> list[Finding]; Finding is a frozen record of 8 fields."""
    assert [f.name for f in dataclasses.fields(Finding)] == [
        "rule", "severity", "message", "file", "line", "column", "template", "locale"]
    f = Finding("typography", "warning", "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.rule = "x"  # type: ignore[misc]
    assert isinstance(RULES[0], Rule)


def test_parallel_run_gives_the_same_findings(findings):
    """jobs=2 spreads builds over processes and returns exactly the sequential findings."""
    assert lint(tplkit.Kit(BROKEN), jobs=2) == findings


def test_unreadable_files_and_missing_default_catalog_are_findings():
    """Non-UTF-8 template and catalog files, and a default locale without a catalog, are
    reported as findings rather than stopping the run."""
    root = LINT / "unreadable"
    found = lint(tplkit.Kit(root))
    got = {(f.rule, Path(f.file).relative_to(root).as_posix(), f.line) for f in found}
    assert got == {("syntax-error", "templates/latin1/body.mjml", 1),     # the line of the byte
                   ("catalog-syntax", "locales/it/LC_MESSAGES/tplkit.po", 2),
                   ("catalog-missing", "tplkit.toml", 4)}


def test_concurrent_lint_calls_on_one_kit_agree(broken):
    """The preview server lints from several threads at once: same kit, same findings."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["everything", "notext", "badsample"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: lint(broken, templates=[n], locales=["en", "de"]), names * 2))
    assert results[:3] == results[3:]
    assert all(results[:3]) and [{f.template for f in r} - {None} for r in results[:3]] == \
        [{n} for n in names]


def test_realistic_project_has_zero_findings(tmp_path):
    """A user project made of the real templates (layout, components, six templates) in
    English, German, Ukrainian and Polish lints with no finding at all."""
    import shutil

    from tplkit.config import builtin_root

    root = builtin_root()
    shutil.copytree(root / "templates", tmp_path / "templates")
    for lang in ("de", "uk", "pl"):
        shutil.copytree(root / "locales" / lang, tmp_path / "locales" / lang)
    (tmp_path / "tplkit.toml").write_text('locales = ["en", "de", "uk", "pl"]\n', encoding="utf-8")
    assert lint(tplkit.Kit(tmp_path), jobs=1) == []
