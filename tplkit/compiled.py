"""The compiled artefact: one template for one locale and brand as four small runtime
templates (subject, preheader, HTML, text), its schema, headers and plural rule.

Rendering runs one generated Python function (:mod:`tplkit.codegen`) for all four parts;
:meth:`Compiled.render_jinja` renders the same sources with the plain sandboxed Jinja
runtime, the reference the fast path must equal.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import i18n, limits
from .codegen import compile_parts, origin, source_of
from .errors import TemplateSourceError, TplkitError, jinja_error
from .filters import RUNTIME_FILTERS, finalize
from .sandbox import LimitedSandbox
from .schema import Schema
from .store import PARTS
from .text import collapse, finish_text


def runtime_environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = LimitedSandbox(autoescape=autoescape, undefined=jinja2.StrictUndefined,
                                        finalize=finalize, keep_trailing_newline=True)
    env.filters.update(RUNTIME_FILTERS)
    return env


RUNTIME_ENVS = {True: runtime_environment(True), False: runtime_environment(False)}


@dataclass
class Compiled:
    """A template compiled for one locale and brand: four small runtime templates.

    Rendering runs them through the fast path of :mod:`tplkit.codegen` (static chunks and
    value slots, one generated function for all four parts); :meth:`render_jinja` renders
    the same sources with the plain sandboxed Jinja runtime (the reference it must equal).
    """

    template: str
    locale: str
    schema: Schema
    sources: dict[str, str]                     # part -> runtime Jinja source
    headers: Mapping[str, str] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)   # path -> fingerprint at compile time
    _templates: dict[str, jinja2.Template] = field(default_factory=dict, repr=False)
    _plural: Callable[[Any], int] | None = field(default=None, repr=False)
    untranslated: tuple[str, ...] = ()          # messages shown in the source language

    def __post_init__(self) -> None:
        note = i18n.fallback_note(self.locale, self.untranslated)
        self.warnings: tuple[str, ...] = (note,) if note else ()
        self._globals = {"_pf": self._plural or i18n.english_plural, "_pf_en": i18n.english_plural}
        trees = {}
        for part, src in self.sources.items():
            try:
                trees[part] = RUNTIME_ENVS[part == "html"].parse(src)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateSourceError(
                    f"compiled {part} is not valid Jinja ({e.message}); this is a tplkit bug",
                    template=self.template, locale=self.locale, part=part, line=e.lineno) from e
        jinja = {part: functools.partial(self._render_jinja_part, part) for part in self.sources}
        self._fast, self.fallbacks = compile_parts(
            trees, RUNTIME_ENVS, jinja, self._globals, list(self.schema.placeholders),
            list(RUNTIME_FILTERS), f"{self.template}/{self.locale}")
        self._names = frozenset(self.schema.placeholders)

    def _render_jinja_part(self, part: str, values: Mapping[str, Any]) -> str:
        tpl = self._templates.get(part)
        if tpl is None:  # compiled on first use: the fast path rarely needs it
            tpl = self._templates[part] = RUNTIME_ENVS[part == "html"].from_string(
                self.sources[part], globals=self._globals)
        return tpl.render(values)

    def render_parts(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Run the runtime templates on already-validated values."""
        return dict(zip(PARTS, self.render_four(values), strict=True))

    def render_four(self, values: Mapping[str, Any], *, validated: bool = False) -> tuple[str, str, str, str]:
        """:meth:`render_parts` as a tuple: subject, preheader, HTML, text. ``validated``
        says ``values`` came from this template's schema (so every placeholder is in it)."""
        try:
            if validated or self._names <= values.keys():
                four = self._fast(values)  # all four finished
                subject, preheader, html, text = four
                most = limits.current().output
                if max(len(html), len(text), len(subject), len(preheader)) <= most:
                    return four
            # over the sandbox's output bound, or not a validated context: Jinja refuses it
            # (or reports what is undefined) the same way
            parts = self.render_jinja(values)
            return parts["subject"], parts["preheader"], parts["html"], parts["text"]
        except Exception as e:  # located: template, locale, part and line of the compiled part
            err = self._located(e)
            if err is e:
                raise
            raise err from e

    def _located(self, exc: Exception) -> TplkitError:
        """``exc`` as a tplkit error naming template, locale, part and (when it was raised in
        the generated code) the line of that part's runtime source."""
        where = origin(exc, self._fast)
        err = jinja_error(exc, template=self.template, locale=self.locale,
                          part=where[0] if where else None)
        if where is not None and err.line is None:
            err.part = err.part or where[0]
            err.line = where[1]
            err.message += (f" (compiled {where[0]}, line {where[1]}; see 'tplkit show "
                            f"{self.template} --compiled {self.locale}')")
        return err

    @property
    def code(self) -> str:
        """The Python source of the generated render function (each line's comment names
        the part and the line of its runtime source it comes from)."""
        return source_of(self._fast)

    @property
    def code_name(self) -> str:
        """The generated function's file name (its source is in :mod:`linecache` under it once
        read: :attr:`code`, or an error that passed through it)."""
        return self._fast.__code__.co_filename

    def render_jinja(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The same parts through the plain sandboxed Jinja runtime (reference and benchmarks)."""
        r = self._render_jinja_part
        return {"subject": collapse(r("subject", values)),
                "preheader": collapse(r("preheader", values)),
                "html": r("html", values), "text": finish_text(r("text", values))}

