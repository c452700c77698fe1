"""The generated render function is inspectable: linecache, located errors, `show --compiled`."""
from __future__ import annotations

import gc
import linecache
import traceback

import jinja2
import pytest
from click.testing import CliRunner

import tplkit
from tplkit.cli import main
from tplkit.compiled import Compiled
from tplkit.schema import Placeholder, Schema


def _compiled(html: str) -> Compiled:
    """A one-placeholder template whose HTML part is ``html``."""
    schema = Schema({"a": Placeholder(name="a", type="text")})
    return Compiled(template="t", locale="en", schema=schema,
                    sources={"subject": "S {{ a }}", "preheader": "", "html": html, "text": "{{ a }}\n"})


def test_generated_source_is_in_linecache():
    """Every line of the generated function can be read back through linecache by its file name."""
    c = _compiled("<p>{{ a }}</p>")
    lines = c.code.splitlines()
    assert lines[0] == "def render(_v):"
    assert [linecache.getline(c.code_name, n).rstrip("\n") for n in range(1, len(lines) + 1)] == lines
    assert c.code_name.startswith("<tplkit t/en #")


def test_linecache_entry_goes_with_the_function():
    """When a compiled template is dropped, its linecache entry is dropped too (no leak on reload)."""
    c = _compiled("<p>{{ a }}</p>")
    name = c.code_name
    del c
    gc.collect()
    assert name not in linecache.cache


def test_error_in_generated_code_keeps_cause_part_and_line():
    """A failure inside the generated code names template, locale, part and the line of that
    part, and keeps the original exception (whose traceback shows the generated line)."""
    c = _compiled("<p>\n\n{{ a.nope }}</p>")
    with pytest.raises(tplkit.TemplateSourceError) as info:
        c.render_four({"a": "x"})
    err = info.value
    assert (err.template, err.locale, err.part, err.line) == ("t", "en", "html", 3)
    assert "compiled html, line 3" in str(err)
    assert isinstance(err.__cause__, jinja2.UndefinedError)
    shown = "".join(traceback.format_exception(err.__cause__))
    assert f'File "{c.code_name}"' in shown
    assert "_escape(_fin(r" in shown and "# html:3" in shown  # the generated line itself


def test_show_compiled_prints_sources_and_generated_code():
    """`tplkit show NAME --compiled LOCALE` prints the four runtime sources and the function."""
    res = CliRunner().invoke(main, ["show", "acknowledgement", "--compiled", "uk"])
    assert res.exit_code == 0, res.output
    for part in ("subject", "preheader", "html", "text"):
        assert f"--- {part} (acknowledgement/uk) ---" in res.output
    assert "--- generated Python (<tplkit acknowledgement/uk #" in res.output
    assert "def render(_v):" in res.output
    assert "# html:" in res.output
