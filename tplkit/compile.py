"""Compile once, render many: the pipeline for one (template, locale, brand).

1. the build pass (:mod:`tplkit.buildpass`) renders subject, preheader, MJML and (if written)
   the text body with every placeholder :class:`~tplkit.deferred.Deferred`;
2. MJML -> HTML (mjml-python), 3. CSS inlining (premailer), 4. plain text from the MJML (or
   the written text body). Slot tokens pass through every step untouched and are turned
   back into Jinja tags: the result is a :class:`~tplkit.compiled.Compiled`.

The very same build templates, rendered with real values instead of Deferreds and followed
by MJML, premailer and text conversion per message, are the *naive pipeline*
(:func:`render_naive`), the correctness oracle for the compiled path.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import meta
from markupsafe import Markup, escape

from . import formatting, i18n
from .buildpass import BuildEnvironment
from .compiled import RUNTIME_ENVS, Compiled
from .deferred import Deferred, Site, Slots, show
from .errors import MjmlError, TemplateSourceError, TplkitError, jinja_error
from .filters import RUNTIME_FILTERS
from .inline import inline_css
from .schema import Schema
from .store import TemplateInfo
from .text import mjml_to_text
from .wrapping import collapse, finish_text

# --- the pipeline steps ----------------------------------------------------------------------

def mjml_to_html(mjml_src: str, *, template: str, locale: str, file: str | None) -> str:
    """MJML to HTML with mjml-python; errors become TemplateSourceError."""
    import mjml

    try:
        # fonts={}: no web font unless the layout declares one (<mj-font>, brand.web_font_url);
        # MRML would otherwise add Google Fonts for any "Roboto"/"Open Sans"/... in a font stack
        return mjml.mjml2html(mjml_src, disable_comments=True, fonts={})
    except Exception as e:  # mjml-python raises ValueError / RuntimeError with MRML's text
        found = _unbalanced_mjml(file)
        line, hint = found if found else (None, "")
        raise MjmlError(f"invalid MJML: {e}{hint}", mjml=mjml_src, template=template, locale=locale,
                        file=file, line=line, part="html") from e


_MJ_TAG = re.compile(r"<(/?)(mj-[a-z-]+|mjml)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _unbalanced_mjml(file: str | None) -> tuple[int, str] | None:
    """Line of the first unbalanced MJML tag in a template file, and what is wrong there.

    MRML's errors carry no position; this points at the likely line in the author's file.
    """
    try:
        source = Path(file).read_text(encoding="utf-8") if file else ""
    except (OSError, UnicodeDecodeError):
        return None
    source = _JINJA_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)
    stack: list[tuple[str, int]] = []
    for m in _MJ_TAG.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        closing, name, self_closing = m.groups()
        if self_closing:
            continue
        if not closing:
            stack.append((name, line))
        elif stack and stack[-1][0] == name:
            stack.pop()
        else:
            want = f"</{stack[-1][0]}> for line {stack[-1][1]}" if stack else "no closing tag"
            return line, f" (</{name}> here, expected {want})"
    if stack:
        return stack[-1][1], f" (<{stack[-1][0]}> is never closed)"
    return None


def build_globals(template: str, brand: Any, locale: str) -> dict[str, Any]:
    """The names every part of a template sees in the build pass, besides its placeholders."""
    rtl = formatting.text_direction(locale) == "rtl"
    return {"brand": brand, "locale": locale, "lang": formatting.html_lang(locale),
            "dir": formatting.text_direction(locale), "template_name": template,
            "align_start": "right" if rtl else "left", "align_end": "left" if rtl else "right"}


class Builder:
    """Runs the build pass for one template and locale (compiled, or naive with values)."""

    def __init__(self, env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str) -> None:
        self.env = env
        self.info = info
        self.locale = locale
        self.globals = build_globals(info.name, brand, locale)

    def _render(self, part: str, values: Mapping[str, Any], **extra: Any) -> str:
        path = self.info.file(part)
        name = f"{self.info.name}/{path.name}"
        try:
            tpl = self.env.get_template(name)
            return tpl.render({**self.globals, **values, **extra})
        except Exception as e:  # located: template, locale, part, file and line
            err = jinja_error(e, template=self.info.name, locale=self.locale, part=part,
                              files=[str(path)])
            if err is e:
                raise
            raise err from e

    def build(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Subject, preheader, MJML and (if written) text body, as the build pass renders them."""
        self.values = values  # kept for locating a problem found later (mjmlcheck.require_valid)
        subject = collapse(self._render("subject", values))
        preheader = collapse(self._render("preheader", values))
        mjml_src = self._render("html", values, preheader=Markup(escape(preheader)),
                                subject=Markup(escape(subject)))
        out = {"subject": subject, "preheader": preheader, "mjml": mjml_src}
        if self.info.has_text_body():
            out["text"] = self._render("text", values, preheader=preheader, subject=subject)
        return out

    def finish(self, built: dict[str, str], is_token: Callable[[str], bool],
               tokens: Callable[[str], str] | None = None) -> dict[str, str]:
        """MJML -> HTML -> inlined HTML, and the text part (``tokens``: see
        :func:`tplkit.text.mjml_to_text`)."""
        from .mjmlcheck import require_valid

        require_valid(built["mjml"], self)
        html = mjml_to_html(built["mjml"], template=self.info.name, locale=self.locale,
                            file=str(self.info.file("html")))
        html = inline_css(html, template=self.info.name, locale=self.locale)
        text = built.get("text")
        if text is None:
            text = mjml_to_text(built["mjml"], is_token, tokens)
        return {"subject": built["subject"], "preheader": built["preheader"], "html": html,
                "text": text}


def compile_template(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                     schema: Schema, *, files: Mapping[str, Any] | None = None) -> Compiled:
    """Compile one template for one locale (see the module docstring). ``files`` (path ->
    fingerprint) is what the result depends on, for callers that reload on change. Every
    error names the template and the locale."""
    try:
        slots = Slots()
        values = {name: Deferred.typed(name, slots, locale, ph)
                  for name, ph in info.placeholders.items()}
        b = Builder(env, info, brand, locale)
        with i18n.collect_fallbacks() as untranslated:
            built = b.build(values)
        parts = b.finish(built, slots.is_token, slots.token)
        lines: dict[str, dict[int, list[Site]]] = {part: {} for part in parts}
        sources = {part: slots.to_jinja(s, lines[part]) for part, s in parts.items()}
        compiled = Compiled(template=info.name, locale=locale, schema=schema, sources=sources,
                            origins=_origins(info, lines),
                            headers=info.headers, files=dict(files or {}),
                            _plural=env.catalog.plural_index, untranslated=tuple(untranslated))
        _check_names(compiled, info)
    except TplkitError as e:
        e.template = e.template or info.name
        e.locale = e.locale or locale
        raise
    return compiled


def _origins(info: TemplateInfo, lines: Mapping[str, Mapping[int, list[Site]]]
             ) -> dict[str, dict[int, list[tuple[str, int]]]]:
    """Per part, per line of its runtime source: the template file(s) and line(s) whose
    ``{{ }}`` printed the runtime tags on it. A tag printed in several parts (a name in the
    subject and the body) keeps the sites rendered for this part."""
    resolved: dict[str, Path] = {}
    out: dict[str, dict[int, list[tuple[str, int]]]] = {}
    for part, per_line in lines.items():
        root = info.file(part if part != "text" or info.has_text_body() else "html").resolve()
        mine: dict[int, list[tuple[str, int]]] = {}
        for line, sites in per_line.items():
            for r, _, _ in sites:
                if r not in resolved:
                    resolved[r] = Path(r).resolve()
            # the subject printed in the body's <title> was rendered for the subject: kept
            mine[line] = ([(f, n) for r, f, n in sites if resolved[r] == root]
                          or [(f, n) for _, f, n in sites])
        out[part] = mine
    return out


def render_naive(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                 schema: Schema, values: Mapping[str, Any]) -> dict[str, str]:
    """The per-message pipeline (Jinja -> MJML -> premailer -> text) for validated values."""
    b = Builder(env, info, brand, locale)
    parts = b.finish(b.build(shown_values(info, locale, values)), lambda w: False)
    parts["text"] = finish_text(parts["text"])
    return parts


def shown_values(info: TemplateInfo, locale: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated values as the naive build pass sees them: typed values (also the fields of
    objects and the items of lists) print formatted (see :func:`tplkit.deferred.show`)."""
    return {name: show(info.placeholders[name], value, locale, RUNTIME_FILTERS)
            if name in info.placeholders else value for name, value in values.items()}


def _check_names(compiled: Compiled, info: TemplateInfo) -> None:
    """Every name a runtime template uses must be a declared placeholder."""
    allowed = set(info.placeholders) | {"_pf", "_pf_en"}
    for part, src in compiled.sources.items():
        env = RUNTIME_ENVS[part == "html"]
        used = meta.find_undeclared_variables(env.parse(src))
        extra = used - allowed
        if extra:
            raise TemplateSourceError(
                f"{part} uses undeclared placeholder(s) {', '.join(sorted(extra))}; declare them "
                f"in template.toml", template=info.name, locale=compiled.locale, part=part,
                file=str(info.manifest))
