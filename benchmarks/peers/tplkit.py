#!/usr/bin/env python3
"""tplkit in the shared peer benchmark (``../shared/bench``): ``kit.render`` per message.

Once (setup): a throw-away tplkit project is written to a temp folder from the shared corpus
(``feedback.mjml`` as the body, ``subject.txt``, the ``mj-preview`` text as the preheader)
with a ``template.toml`` declaring the corpus placeholders (four text values and two URLs),
and the template is compiled. Per message: ``kit.render`` -- validation of all six values,
then subject, preheader, HTML and plain text. Run from the project root with
``BENCH_EXTRA_PIPELINES=benchmarks/peers BENCH_EXTRA_PYTHON="$(command -v python3)"
../shared/bench/run.sh``.
"""
import os
import re
import sys
import tempfile

from _harness import Skip, run, versions

# this file is named after the pipeline, "tplkit": keep it from shadowing the package
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

MANIFEST = """\
description = "The shared benchmark's feedback email."
category = "feedback"

[placeholders.customer_name]
type = "text"
[placeholders.company_name]
type = "text"
[placeholders.agent_name]
type = "text"
[placeholders.ticket_id]
type = "text"
[placeholders.cta_url]
type = "url"
[placeholders.survey_base_url]
type = "url"
"""


def make_project(corpus, root: str) -> str:
    """Write the corpus as a one-template tplkit project under ``root``; return its path."""
    folder = os.path.join(root, "templates", "bench-feedback")
    os.makedirs(folder)
    preview = re.search(r"<mj-preview>(.*?)</mj-preview>", corpus.mjml, re.DOTALL)
    files = {"template.toml": MANIFEST, "body.mjml": corpus.mjml,
             "subject.txt": corpus.subject + "\n",
             "preheader.txt": (preview.group(1) if preview else "") + "\n"}
    for name, text in files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
    return root


def build(corpus):
    try:
        import tplkit
    except ImportError as e:
        raise Skip(f"{e} (set BENCH_EXTRA_PYTHON to the interpreter where tplkit is installed)") from e
    tmp = tempfile.mkdtemp(prefix="tplkit-bench-")
    kit = tplkit.Kit(make_project(corpus, tmp))
    compiled = kit.compile("bench-feedback", "en")
    render_email = kit.render

    def render(ctx):
        email = render_email("bench-feedback", ctx, locale="en")
        return email.subject, email.html, email.text

    info = {"versions": versions("tplkit", "jinja2", "markupsafe", "mjml-python", "premailer"),
            "jinja_fallbacks": compiled.fallbacks,
            "dump": {"template.html": compiled.sources["html"], "template.txt": compiled.sources["text"]}}
    return render, info


if __name__ == "__main__":
    run("tplkit", build)
