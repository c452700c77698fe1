"""The compiled artefact: one template for one locale and brand as four small runtime
templates (subject, preheader, HTML, text), its schema, headers and plural rule.

Rendering runs one generated Python function (:mod:`tplkit.codegen`) for all four parts;
:meth:`Compiled.render_jinja` renders the same sources with the plain sandboxed Jinja
runtime, the reference the fast path must equal.
"""
from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import i18n, limits
from .codegen import compile_parts, origin, source_of
from .errors import TemplateSourceError, TplkitError, jinja_error
from .filters import RUNTIME_FILTERS, finalize
from .sandbox import LimitedSandbox
from .schema import Schema
from .store import PARTS
from .wrapping import collapse, finish_text

if TYPE_CHECKING:
    from .stages import Stages


def runtime_environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = LimitedSandbox(autoescape=autoescape, undefined=jinja2.StrictUndefined,
                                        finalize=finalize, keep_trailing_newline=True)
    env.filters.update(RUNTIME_FILTERS)
    return env


RUNTIME_ENVS = {True: runtime_environment(True), False: runtime_environment(False)}


class PackedSources(Mapping[str, str]):
    """The runtime sources of a compiled template, kept zlib-compressed.

    Once the render function is generated they are only read for the Jinja fallback (once:
    the parsed template is then kept), ``tplkit show --compiled``, lint and builds; a plain
    copy was about a third of what a compiled (template, locale) held.
    """

    __slots__ = ("_z", "_parts")

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._parts = tuple(sources)
        self._z = zlib.compress(json.dumps([sources[p] for p in self._parts]).encode("utf-8"), 9)

    def _unpacked(self) -> dict[str, str]:
        return dict(zip(self._parts, json.loads(zlib.decompress(self._z)), strict=True))

    def __getitem__(self, part: str) -> str:
        if part not in self._parts:
            raise KeyError(part)
        return self._unpacked()[part]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def items(self) -> ItemsView[str, str]:  # one decompression, not one per part
        """(part, source) pairs, decompressed once."""
        return self._unpacked().items()

    def values(self) -> ValuesView[str]:
        """The sources, decompressed once."""
        return self._unpacked().values()


class PackedOrigins(Mapping[str, dict[int, list[tuple[str, int]]]]):
    """:attr:`Compiled.origins` kept zlib-compressed: read only to locate an error, while
    as dicts of lists of tuples they were a tenth of what a compiled combination held."""

    __slots__ = ("_z", "_parts")

    def __init__(self, origins: Mapping[str, Mapping[int, Sequence[tuple[str, int]]]]) -> None:
        self._parts = tuple(origins)
        self._z = zlib.compress(json.dumps(
            [[[line, [list(s) for s in sites]] for line, sites in origins[p].items()]
             for p in self._parts]).encode("utf-8"), 9)

    def __getitem__(self, part: str) -> dict[int, list[tuple[str, int]]]:
        if part not in self._parts:
            raise KeyError(part)
        per = json.loads(zlib.decompress(self._z))[self._parts.index(part)]
        return {int(line): [(str(f), int(n)) for f, n in sites] for line, sites in per}

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)


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
    sources: Mapping[str, str]                  # part -> runtime Jinja source (kept packed)
    headers: Mapping[str, str] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)   # path -> fingerprint at compile time
    # part -> line of its runtime source -> template (file, line) whose {{ }} printed its tags
    origins: Mapping[str, dict[int, list[tuple[str, int]]]] = field(default_factory=dict)  # kept packed
    _templates: dict[str, jinja2.Template] = field(default_factory=dict, repr=False)
    _plural: Callable[[Any], int] | None = field(default=None, repr=False)
    untranslated: tuple[str, ...] = ()          # messages shown in the source language
    # what each compile stage produced, with the build's source map: a kept compile only
    stages: Stages | None = field(default=None, repr=False)

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
        if not isinstance(self.sources, PackedSources):
            self.sources = PackedSources(self.sources)
        if not isinstance(self.origins, PackedOrigins):
            self.origins = PackedOrigins(self.origins)

    def _render_jinja_part(self, part: str, values: Mapping[str, Any]) -> str:
        tpl = self._templates.get(part)
        if tpl is None:  # compiled on first use: the fast path rarely needs it
            tpl = self._templates[part] = RUNTIME_ENVS[part == "html"].from_string(
                self.sources[part], globals=self._globals)
        return tpl.render(values)

    def render_parts(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Run the runtime templates on already-validated values."""
        return dict(zip(PARTS, self.render_four(values)[:4], strict=True))

    def render_four(self, values: Mapping[str, Any], *,
                    validated: bool = False) -> tuple[str, str, str, str, Sequence[str]]:
        """:meth:`render_parts` as a tuple: subject, preheader, HTML, text, then the pieces
        the HTML was joined from (for :mod:`tplkit.quotedprintable`). ``validated`` says ``values``
        came from this template's schema (so every placeholder is in it)."""
        try:
            if validated or self._names <= values.keys():
                five = self._fast(values)  # all four finished
                subject, preheader, html, text, _ = five
                most = limits.current().output
                if max(len(html), len(text), len(subject), len(preheader)) <= most:
                    return five
            # over the sandbox's output bound, or not a validated context: Jinja refuses it
            # (or reports what is undefined) the same way
            parts = self.render_jinja(values)
            return parts["subject"], parts["preheader"], parts["html"], parts["text"], (parts["html"],)
        except Exception as e:  # located: template, locale, part and line of the compiled part
            err = self._located(e)
            if err is e:
                raise
            raise err from e

    def _located(self, exc: Exception) -> TplkitError:
        """``exc`` as a tplkit error naming template, locale, part and (when it was raised in
        the generated code or in a part the Jinja fallback rendered) the line of that part's
        runtime source, mapped to the template file and line that printed it."""
        where = _fallback_line(exc) or origin(exc, self._fast)
        err = jinja_error(exc, template=self.template, locale=self.locale,
                          part=where[0] if where else None)
        if where is not None and err.line is None:
            part, line = where
            err.part = err.part or part
            compiled = (f"compiled {part}, line {line}; see 'tplkit show {self.template} "
                        f"--compiled {self.locale}'")
            sites = self.origins.get(part, {}).get(line)
            if sites:   # the author's template file and line that printed it
                (err.file, err.line), others = sites[0], sites[1:]
                also = "".join(f"; or {f}, line {n}" for f, n in others)
                err.message += f" ({compiled}{also})"
            else:
                err.line = line
                err.message += f" ({compiled})"
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

    def render_traced(self, values: Mapping[str, Any]) -> str:
        """The HTML of a kept compile rendered for ``values`` with every element marked with
        the MJML tag that made it (see :attr:`tplkit.stages.Stages.traced_html`): what
        locates an image or link of the real email in the template. ``values`` are validated."""
        if self.stages is None:
            raise TplkitError("this compile kept no stages; compile it with keep=True",
                              template=self.template, locale=self.locale)
        tpl = self._templates.get("traced")
        if tpl is None:
            tpl = self._templates["traced"] = RUNTIME_ENVS[True].from_string(
                self.stages.traced_html, globals=self._globals)
        return tpl.render(values)

    def render_jinja(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The same parts through the plain sandboxed Jinja runtime (reference and benchmarks)."""
        r = self._render_jinja_part
        return {"subject": collapse(r("subject", values)),
                "preheader": collapse(r("preheader", values)),
                "html": r("html", values), "text": finish_text(r("text", values))}



def _fallback_line(exc: BaseException) -> tuple[str, int] | None:
    """(part, line of its runtime source) when ``exc`` was raised inside a part rendered by
    the Jinja fallback (:meth:`Compiled._render_jinja_part`): the innermost runtime-template
    frame below it, whose line Jinja has rewritten to the runtime source's own; else None."""
    part, found = None, None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code is _JINJA_PART:
            part = tb.tb_frame.f_locals.get("part")
        elif part is not None and code.co_filename == "<template>":
            found = (part, tb.tb_lineno)
        tb = tb.tb_next
    return found


_JINJA_PART = Compiled._render_jinja_part.__code__
