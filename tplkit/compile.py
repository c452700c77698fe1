"""Compile once, render many: the pipeline for one (template, locale, brand).

1. the build pass (:mod:`tplkit.buildpass`) renders subject, preheader, MJML and (if written)
   the text body with every placeholder :class:`~tplkit.deferred.Deferred`;
2. MJML -> HTML (mjml-python), 3. CSS inlining (premailer), 4. plain text from the MJML (or
   the written text body). Slot tokens pass through every step untouched and are turned
   back into Jinja tags: the result is a :class:`~tplkit.compiled.Compiled`.

A *kept* compile (``keep=True``) is the same pipeline with its build pass run through the
marking environment of :mod:`tplkit.sourcemap`; the result carries what every stage produced
(:class:`~tplkit.stages.Stages`) for lint and the preview, and MJML errors are placed at the
template or catalog line that wrote the offending MJML. A normal compile keeps nothing.

The very same build templates, rendered with real values instead of Deferreds and followed
by MJML, premailer and text conversion per message, are the *naive pipeline*
(:func:`render_naive`), the correctness oracle for the compiled path.
"""
from __future__ import annotations

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
from .mjmlcheck import mrml_offset, require_valid
from .schema import Schema
from .sourcemap import Origin, SourceMap, mapped_environment, strip
from .stages import Stages
from .store import TemplateInfo
from .text import mjml_to_text
from .wrapping import collapse, finish_text

# --- the pipeline steps ----------------------------------------------------------------------

def mjml_to_html(mjml_src: str, smap: SourceMap | None = None, *, template: str, locale: str,
                 file: str | None) -> str:
    """MJML to HTML with mjml-python. MRML's errors become :class:`~tplkit.errors.MjmlError`,
    placed at the template or catalog line that wrote the offending MJML when ``smap`` (the
    build's source map, in a kept compile) is given."""
    import mjml

    try:
        # fonts={}: no web font unless the layout declares one (<mj-font>, brand.web_font_url);
        # MRML would otherwise add Google Fonts for any "Roboto"/"Open Sans"/... in a font stack
        return mjml.mjml2html(mjml_src, disable_comments=True, fonts={})
    except Exception as e:  # mjml-python raises ValueError / RuntimeError with MRML's text
        offset = mrml_offset(str(e), mjml_src)
        pos = smap.position(offset) if smap is not None and offset is not None else None
        where = ({"file": pos.file, "line": pos.line, "column": pos.column}
                 if pos is not None and pos.file else {"file": file})
        raise MjmlError(f"invalid MJML: {e}", mjml=mjml_src, template=template,
                        locale=pos.locale if pos is not None and pos.locale else locale,
                        part="html", **where) from e


def build_globals(template: str, brand: Any, locale: str) -> dict[str, Any]:
    """The names every part of a template sees in the build pass, besides its placeholders."""
    rtl = formatting.text_direction(locale) == "rtl"
    return {"brand": brand, "locale": locale, "lang": formatting.html_lang(locale),
            "dir": formatting.text_direction(locale), "template_name": template,
            "align_start": "right" if rtl else "left", "align_end": "left" if rtl else "right"}


class Builder:
    """Runs the build pass for one template and locale (compiled, or naive with values).

    ``keep``: the pass runs with marks (:mod:`tplkit.sourcemap`) and :attr:`maps` gets each
    built part's source map; its output is the same, character for character."""

    def __init__(self, env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str, *,
                 keep: bool = False) -> None:
        marking = mapped_environment(env) if keep else None
        self.env: BuildEnvironment = marking or env
        self._origins: list[Origin] = marking.origins if marking is not None else []
        self.info = info
        self.locale = locale
        self.globals = build_globals(info.name, brand, locale)
        self.maps: dict[str, SourceMap] | None = {} if keep else None
        self.html = ""   # MRML's HTML, once finish() made it

    def _render(self, part: str, values: Mapping[str, Any], **extra: Any) -> str:
        path = self.info.file(part)
        name = f"{self.info.name}/{path.name}"
        try:
            tpl = self.env.get_template(name)
            out = tpl.render({**self.globals, **values, **extra})
        except Exception as e:  # located: template, locale, part, file and line
            err = jinja_error(e, template=self.info.name, locale=self.locale, part=part,
                              files=[str(path)])
            if err is e:
                raise
            raise err from e
        if self.maps is not None:
            out, self.maps["mjml" if part == "html" else part] = strip(out, self._origins)
        return out

    def build(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Subject, preheader, MJML and (if written) text body, as the build pass renders them."""
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
        :func:`tplkit.text.mjml_to_text`). A kept build also records MRML's HTML
        (:attr:`html`) and places MJML errors through its map."""
        smap = self.maps.get("mjml") if self.maps is not None else None
        require_valid(built["mjml"], smap, template=self.info.name, locale=self.locale)
        self.html = mjml_to_html(built["mjml"], smap, template=self.info.name, locale=self.locale,
                                 file=str(self.info.file("html")))
        html = inline_css(self.html, template=self.info.name, locale=self.locale)
        text = built.get("text")
        if text is None:
            text = mjml_to_text(built["mjml"], is_token, tokens)
        return {"subject": built["subject"], "preheader": built["preheader"], "html": html,
                "text": text}


def compile_template(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                     schema: Schema, *, files: Mapping[str, Any] | None = None,
                     keep: bool = False) -> Compiled:
    """Compile one template for one locale (see the module docstring). ``files`` (path ->
    fingerprint) is what the result depends on, for callers that reload on change. Every
    error names the template and the locale.

    ``keep``: the result carries :attr:`~tplkit.compiled.Compiled.stages`, what each stage
    produced with the build's source map (:mod:`tplkit.stages`; for lint and the preview).
    A compile that fails in the MJML stage is run again kept, on that error path only, so
    that the error names the template or catalog line that wrote the faulty MJML."""
    try:
        try:
            return _compile(env, info, brand, locale, schema, files, keep)
        except MjmlError:
            if keep:
                raise
            return _compile(env, info, brand, locale, schema, files, True)
    except TplkitError as e:
        e.template = e.template or info.name
        e.locale = e.locale or locale
        raise


def _compile(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
             schema: Schema, files: Mapping[str, Any] | None, keep: bool) -> Compiled:
    slots = Slots()
    values = {name: Deferred.typed(name, slots, locale, ph)
              for name, ph in info.placeholders.items()}
    b = Builder(env, info, brand, locale, keep=keep)
    with i18n.collect_fallbacks() as untranslated:
        built = b.build(values)
    parts = b.finish(built, slots.is_token, slots.token)
    stages = None if b.maps is None else Stages(
        built=built, maps=b.maps, html=b.html, inlined=parts["html"], text=parts["text"],
        slots=slots)
    lines: dict[str, dict[int, list[Site]]] = {part: {} for part in parts}
    sources = {part: slots.to_jinja(s, lines[part]) for part, s in parts.items()}
    compiled = Compiled(template=info.name, locale=locale, schema=schema, sources=sources,
                        origins=_origins(info, lines),
                        headers=info.headers, files=dict(files or {}),
                        _plural=env.catalog.plural_index, untranslated=tuple(untranslated),
                        stages=stages)
    _check_names(compiled, info)
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
    shown = shown_values(info, locale, values)
    try:
        b = Builder(env, info, brand, locale)
        parts = b.finish(b.build(shown), lambda w: False)
    except MjmlError:  # placed through the source map: the failed pass again, kept
        b = Builder(env, info, brand, locale, keep=True)
        parts = b.finish(b.build(shown), lambda w: False)
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
