"""Prebuilt artefacts: tplkit build, Kit.from_build, stale/foreign/tampered builds, atomicity."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tplkit
from tplkit import build as tb
from tplkit.cli import main

HERE = Path(__file__).parent
PROJECT = HERE / "fixtures" / "build" / "project"
BROKEN = HERE / "fixtures" / "build" / "broken"


@pytest.fixture(scope="module")
def built(kit, tmp_path_factory) -> Path:
    """A build of the built-in library (reusing the session kit's compiled templates)."""
    out = tmp_path_factory.mktemp("build") / "b"
    tb.write_build(kit, out)
    return out


def load(path: Path) -> tplkit.Kit:
    """Load a build of the built-in library; its sources are not compared (other work in
    the same checkout may edit a catalog while the tests run: staleness has its own test)."""
    return tplkit.Kit.from_build(path, check_sources=False)


def copy_of(path: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(path, tmp_path / path.name))


def test_built_kit_renders_exactly_like_the_source_kit(kit, built):
    """Every template x locale sample renders the same from a build as from the sources."""
    kb = load(built)
    assert kb.template_names() == kit.template_names()
    assert kb.locales() == kit.locales()
    for name in kit.template_names():
        sample = kit.template(name).sample
        assert kb.template(name).sample == sample
        assert kb.template(name).localized_samples == kit.template(name).localized_samples
        for loc in kit.locales():
            assert kb.render(name, sample, locale=loc) == kit.render(name, sample, locale=loc), (name, loc)


def test_worker_renders_from_a_build_without_mjml_or_premailer(built):
    """A process that loads a build and renders never imports mjml-python, premailer or lxml."""
    code = (
        "import sys, tplkit\n"
        f"kit = tplkit.Kit.from_build({str(built)!r}, check_sources=False)\n"
        "email = kit.render('feedback-request', kit.template('feedback-request').sample, locale='uk')\n"
        "assert email.html.startswith('<!doctype html>') and email.text\n"
        "print(sorted(m for m in ('mjml', 'premailer', 'lxml', 'cssutils') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_build_refuses_to_replace_without_force(built, tmp_path):
    """An existing output folder is kept unless --force; with --force it is replaced whole."""
    out = tmp_path / "b"
    shutil.copytree(built, out)
    (out / "marker").write_text("old")
    runner = CliRunner()
    res = runner.invoke(main, ["build", str(PROJECT), "-o", str(out)])
    assert res.exit_code == 1
    assert "output folder exists; use --force" in res.output
    assert (out / "marker").exists()
    res = runner.invoke(main, ["build", str(PROJECT), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert not (out / "marker").exists()
    assert json.loads((out / tb.MANIFEST).read_text())["locales"] == ["en"]
    assert [p.name for p in tmp_path.iterdir()] == ["b"]   # no temporary folder left behind


def test_a_broken_template_fails_the_build_and_writes_nothing(tmp_path):
    """A template that does not compile is reported with file and line; no build appears."""
    res = CliRunner().invoke(main, ["build", str(BROKEN), "-o", str(tmp_path / "b")])
    assert res.exit_code == 1
    assert "broken/body.mjml:3: template syntax error" in res.output
    assert "[broken/en]" in res.output
    assert list(tmp_path.iterdir()) == []


def test_crash_mid_build_leaves_no_build(kit, tmp_path, monkeypatch):
    """If writing fails halfway, neither a partial build nor a temporary folder remains."""
    calls = []

    def failing(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data if isinstance(data, bytes) else data.encode())

    monkeypatch.setattr(tb, "atomic_write", failing)
    with pytest.raises(tb.BuildError, match="cannot write the build: disk full"):
        tb.write_build(kit, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []


def test_tampered_artefact_is_refused(built, tmp_path):
    """An edited compiled template no longer matches its hash: loading fails and says so."""
    copy = copy_of(built, tmp_path)
    entry = copy / "compiled" / "acknowledgement.en.json"
    entry.write_text(entry.read_text().replace("Hi ", "Hello "))
    with pytest.raises(tb.BuildError, match="acknowledgement.en.json is missing or does not match") as e:
        load(copy)
    assert e.value.file == str(entry)


@pytest.mark.parametrize("key, value, message", [
    ("tplkit", "0.0.1", "build made by tplkit 0.0.1"),
    ("format", 99, "build format 99 is not supported"),
])
def test_foreign_build_is_refused(built, tmp_path, key, value, message):
    """A build from another tplkit version or format fails with a clear error."""
    copy = copy_of(built, tmp_path)
    manifest = json.loads((copy / tb.MANIFEST).read_text())
    manifest[key] = value
    (copy / tb.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(tplkit.TplkitError, match=message):
        load(copy)


def test_folder_without_manifest_is_not_a_build(tmp_path):
    """Pointing from_build at an ordinary folder says it is not a build."""
    with pytest.raises(tplkit.TplkitError, match="not a tplkit build"):
        tplkit.Kit.from_build(tmp_path)


def test_stale_project_build_is_refused(tmp_path):
    """After a project source changes its build is stale (unless the check is turned off)."""
    project = copy_of(PROJECT, tmp_path)
    out = tmp_path / "b"
    tb.write_build(tplkit.Kit(project), out)
    kb = tplkit.Kit.from_build(out)
    assert kb.render("welcome", {"customer_name": "Ann"}).subject == "Welcome, Ann"
    (project / "templates" / "welcome" / "subject.txt").write_text("Hi, {{ customer_name }}\n")
    with pytest.raises(tplkit.TplkitError, match="stale build: the templates, catalogs or configuration"):
        tplkit.Kit.from_build(out)
    kb = tplkit.Kit.from_build(out, check_sources=False)
    assert kb.render("welcome", {"customer_name": "Ann"}).subject == "Welcome, Ann"


def test_built_kit_has_no_sources_to_compile(built):
    """Things that need template sources fail clearly on a kit loaded from a build."""
    kb = load(built)
    with pytest.raises(tplkit.TplkitError, match="needs the template sources"):
        kb.render_naive("acknowledgement", kb.template("acknowledgement").sample)
    with pytest.raises(tplkit.TemplateNotFound):
        kb.render("no-such-template", {})


def test_manifest_pointing_outside_the_build_is_refused(built, tmp_path):
    """A manifest whose template name or artefact path leaves the build folder is malformed."""
    copy = copy_of(built, tmp_path)
    manifest = json.loads((copy / tb.MANIFEST).read_text())
    manifest["templates"]["../../etc"] = manifest["templates"].pop("acknowledgement")
    (copy / tb.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(tb.BuildError, match="manifest is malformed"):
        load(copy)


def test_built_runtime_sources_are_packed_and_read_back_whole(kit, built):
    """A build-loaded template keeps its runtime sources compressed; reading them gives back
    exactly the sources the project compiles to."""
    kb = load(built)
    for name in ("order-confirmation", "feedback-request"):
        for loc in ("en", "uk"):
            loaded, compiled = kb.compile(name, loc), kit.compile(name, loc)
            assert not isinstance(loaded.sources, dict)
            assert dict(loaded.sources) == dict(compiled.sources)
            assert loaded.sources["html"] == compiled.sources["html"]
            with pytest.raises(KeyError):
                loaded.sources["nope"]


def test_built_origins_are_packed_and_read_back_whole(kit, built):
    """A build-loaded template keeps its map from runtime lines to template lines compressed;
    each part reads back exactly the map the project compiles to."""
    kb = load(built)
    for name in ("order-confirmation", "feedback-request"):
        loaded, compiled = kb.compile(name, "de"), kit.compile(name, "de")
        assert not isinstance(loaded.origins, dict)
        assert set(loaded.origins) == set(compiled.origins)
        for part in compiled.origins:
            assert loaded.origins[part] == {line: [(str(f), n) for f, n in sites]
                                            for line, sites in compiled.origins[part].items()}
        assert loaded.origins.get("nope") is None


def test_locales_of_a_built_template_share_one_schema(built):
    """The locales of one template loaded from a build share one Schema (so one generated
    validator); another template has its own, and each still validates its own placeholders."""
    kb = load(built)
    en, uk = kb.compile("order-confirmation", "en"), kb.compile("order-confirmation", "uk")
    other = kb.compile("feedback-request", "en")
    assert en.schema is uk.schema
    assert other.schema is not en.schema
    sample = kb.template("feedback-request").sample
    assert other.schema.quick(dict(sample)) is not None
    assert en.schema.quick(dict(sample)) is None
