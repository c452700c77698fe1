"""The realistic benchmark's three pipelines (benchmarks/realistic) give the same content:
tplkit, plain Jinja with Babel, and Node's Handlebars with Intl (npm, pinned there)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from oracles import require

import tplkit

BENCH = Path(__file__).parent.parent / "benchmarks" / "realistic"
if not BENCH.is_dir():   # an installed sdist carries no benchmarks
    pytest.skip("benchmarks/realistic is not in this tree", allow_module_level=True)
sys.path.insert(0, str(BENCH))
import corpus  # noqa: E402

N = 60   # every locale x currency, and the adversarial contexts 0 and 50


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The tplkit project, the plain Jinja templates and the Handlebars sources."""
    tmp = tmp_path_factory.mktemp("realistic")
    kit = tplkit.Kit(str(corpus.make_tplkit_project(tmp / "project")))
    html = corpus.precompiled_html()
    return tmp, kit, corpus.jinja_templates(html), corpus.handlebars_templates(html)


def _tplkit(kit, records):
    return [corpus.content(e.subject, e.html, e.text)
            for e in (kit.render(corpus.TEMPLATE, c, locale=lo) for lo, c in records)]


def test_corpus_is_as_described(setup):
    """37 placeholders, the order lines a list looped over (one HTML row and one text line
    per item, 1 to 5), every locale and currency, adversarial values escaped in the HTML."""
    _, kit, _, hbs = setup
    records = corpus.contexts(N)
    placeholders = kit.template(corpus.TEMPLATE).placeholders
    assert len(placeholders) >= 35 and placeholders["items"].type == "list"
    assert {len(c["items"]) for _, c in records} == {1, 2, 3, 4, 5}
    for lo, c in records[1:20]:
        email = kit.render(corpus.TEMPLATE, c, locale=lo)
        assert email.html.count("× ") == len(c["items"])
        assert [ln.split(" × ")[0] for ln in email.text.splitlines() if " × " in ln] == \
            [item["name"] for item in c["items"]]
    assert all("{{~#each items as |item|}}" in hbs[lo]["html"] for lo in corpus.LOCALES)
    assert {lo for lo, _ in records} == set(corpus.LOCALES)
    assert {c["order_total"]["currency"] for _, c in records} == set(corpus.CURRENCIES)
    email = kit.render(corpus.TEMPLATE, records[0][1], locale=records[0][0])
    assert "Fish &amp; Chips &lt;deluxe&gt;" in email.html and "Fish & Chips <deluxe>" in email.text


def test_tplkit_and_plain_jinja_give_the_same_content(setup):
    """Subject, visible HTML text, text part and links agree (up to white space)."""
    _, kit, jinja, _ = setup
    records = corpus.contexts(N)
    assert _tplkit(kit, records) == [corpus.content(*corpus.render_jinja(jinja, lo, c)) for lo, c in records]


def test_node_gives_the_same_content(setup):
    """Node (Handlebars + Intl) agrees with tplkit on the same contexts."""
    node_dir = BENCH / "node"
    require(None if shutil.which("node") else "Node.js is not installed (apt-get install nodejs npm)")
    require(None if (node_dir / "node_modules" / "handlebars").is_dir() else
            "npm handlebars is not installed (cd benchmarks/realistic/node && npm ci --ignore-scripts)")
    tmp, kit, _, hbs = setup
    records = corpus.contexts(N)
    (tmp / "hbs.json").write_text(json.dumps(hbs), encoding="utf-8")
    (tmp / "contexts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                        encoding="utf-8")
    subprocess.run(["node", str(node_dir / "bench.js"), str(tmp / "hbs.json"), str(tmp / "contexts.jsonl"),
                    "0", str(tmp / "dump.json"), str(N)], check=True, capture_output=True, timeout=120)
    node = json.loads((tmp / "dump.json").read_text(encoding="utf-8"))
    assert _tplkit(kit, records) == [corpus.content(*out) for out in node]
