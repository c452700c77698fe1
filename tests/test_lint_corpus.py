"""No false alarms on correct text: a project whose every locale says correct sentences in its
own typography (tests/fixtures/corpus/sentences.json) lints with zero findings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural

import tplkit
from tplkit.lint import lint

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "corpus" / "sentences.json")
                    .read_text(encoding="utf-8"))
LANGS = [k for k in CORPUS if k != "about"]
N = max(len(CORPUS[lang]) for lang in LANGS)


def po_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One template whose messages are the English sentences (English is the source language,
    with no catalog); each catalog gives its language's sentence i (repeating the last one when
    a language has fewer)."""
    root = tmp_path_factory.mktemp("corpus")
    ids = CORPUS["en"] + [f"Thank you, note {i + 1}." for i in range(N - len(CORPUS["en"]))]
    (root / "tplkit.toml").write_text(
        f"locales = {json.dumps(LANGS)}\n\n[brand]\ncompany_name = \"Corpus\"\n"
        "phone = \"+49 30 1234567\"\nemail = \"help@corpus.example\"\n", encoding="utf-8")
    t = root / "templates" / "note"
    t.mkdir(parents=True)
    (t / "template.toml").write_text('description = "Correct sentences."\ncategory = "test"\n',
                                     encoding="utf-8")
    (t / "subject.txt").write_text(f"{{{{ _({json.dumps(ids[0])}) }}}}\n", encoding="utf-8")
    (t / "preheader.txt").write_text(f"{{{{ _({json.dumps(ids[1])}) }}}}\n", encoding="utf-8")
    paras = "\n".join(f"          <p>{{{{ _({json.dumps(i)}) }}}}</p>" for i in ids)
    (t / "body.mjml").write_text(f"""<mjml lang="{{{{ lang }}}}" dir="{{{{ dir }}}}">
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>
{paras}
          <p>{{{{ brand.phone }}}} · {{{{ brand.email }}}}</p>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
""", encoding="utf-8")
    for lang in LANGS:
        sentences = CORPUS[lang]
        if lang == "en":
            continue  # the source language: the msgids themselves are shown
        plural = get_plural(lang)
        lines = ['msgid ""', 'msgstr ""', f'"Language: {lang}\\n"',
                 '"Content-Type: text/plain; charset=UTF-8\\n"',
                 f'"Plural-Forms: nplurals={plural.num_plurals}; plural={plural.plural_expr};\\n"', ""]
        for i, msgid in enumerate(ids):
            lines += [f"msgid {po_string(msgid)}",
                      f"msgstr {po_string(sentences[min(i, len(sentences) - 1)])}", ""]
        d = root / "locales" / lang / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "tplkit.po").write_text("\n".join(lines), encoding="utf-8")
    return root


def test_correct_sentences_in_every_language_lint_clean(project):
    """Formal German "Sie sie", Spanish ¿¡, French spaces before : ! ? ;, Polish „”, Arabic
    punctuation, English "had had" and the others: zero findings in every locale."""
    found = lint(tplkit.Kit(project), jobs=1)
    assert [(f.rule, f.locale, f.message) for f in found] == []


def test_a_real_mistake_in_the_same_project_is_still_found(project, tmp_path):
    """The corpus check can fail: a doubled word in one German sentence is reported, at the
    German msgstr line."""
    import shutil

    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    po = copy / "locales" / "de" / "LC_MESSAGES" / "tplkit.po"
    text = po.read_text(encoding="utf-8").replace("bitte bis Freitag", "bitte bitte bis Freitag")
    po.write_text(text, encoding="utf-8")
    found = lint(tplkit.Kit(copy), locales=["de"], jobs=1)
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "bitte bitte" in s)
    assert [(f.rule, Path(f.file).name, f.line) for f in found] == [("typography", "tplkit.po", line)]
