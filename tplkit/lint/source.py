"""Source rules: what can be known from a template's files without building it.

Each rule is a small function ``(SourceContext) -> Iterable[Hit]``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any, cast

from jinja2 import meta, nodes

from .. import computed, i18n
from ..compile import build_globals
from ..errors import CatalogError, MjmlError, TemplateSourceError, TomlError, TplkitError, jinja_error
from ..schema import name_problem
from ..store import PART_FILES, TemplateInfo
from .files import Files, SourceText
from .model import Hit


@dataclass
class SourceFile:
    """One source file: its text, its Jinja AST (None when it does not parse) and the error."""

    part: str                      # subject/preheader/html/text, or "shared"
    src: SourceText
    ast: nodes.Template | None
    error: TplkitError | None = None


@dataclass
class SourceContext:
    """A template's files (or one shared layout/component file when ``info`` is None)."""

    kit: Any
    name: str | None
    info: TemplateInfo | None
    files: list[SourceFile]
    manifest: SourceText | None = None
    manifest_error: TplkitError | None = None
    allowed: set[str] = field(default_factory=set)        # names a part may use besides placeholders
    uses: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> first (file, line)

    @property
    def parsed(self) -> list[tuple[SourceFile, nodes.Template]]:
        """The files that parse, each with its Jinja AST."""
        return [(f, f.ast) for f in self.files if f.ast is not None]


def parse_file(env: Any, path: Path, part: str, files: Files, template: str | None) -> SourceFile | None:
    """Read and parse one file with the build environment (so custom tags parse as they build)."""
    src = files.get(path)
    if src is None:
        if not path.is_file():
            return None
        refused = files.refused.get(Path(path))
        if refused is not None:
            refused.template, refused.part = template, part
            return SourceFile(part, SourceText(path, ""), None, refused)
        line, why = None, "cannot read the file as UTF-8 text"
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except OSError as e:
            why = f"cannot read the file: {e.strerror or e}"
        except UnicodeDecodeError as e:
            line = data[:e.start].count(b"\n") + 1
            why = f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8"
        return SourceFile(part, SourceText(path, ""), None, TemplateSourceError(
            why, template=template, file=path, part=part, line=line))
    try:
        ast = env.parse(src.text, f"{template or 'shared'}/{path.name}", str(path))
        return SourceFile(part, src, ast)
    except Exception as e:  # TemplateSyntaxError, or an extension's own error
        return SourceFile(part, src, None, jinja_error(e, template=template, locale=None,
                                                      part=part, files=[str(path)]))


def template_context(kit: Any, name: str, files: Files) -> SourceContext:
    """Read, parse and index a template's files. A broken manifest is kept as ``manifest_error``."""
    env = kit.environment(i18n.SOURCE_LOCALE)  # parsing needs no catalog
    try:
        info = kit.template(name)
    except TplkitError as e:
        folder = kit.store.folder(name)
        ctx = SourceContext(kit, name, None, [], files.get(folder / "template.toml"), e)
        for part, fname in PART_FILES.items():
            sf = parse_file(env, folder / fname, part, files, name)
            if sf is not None:
                ctx.files.append(sf)
        return ctx
    ctx = SourceContext(kit, name, info, [], files.get(info.manifest))
    for part in PART_FILES:
        if info.file(part).is_file():
            sf = parse_file(env, info.file(part), part, files, name)
            if sf is not None:
                ctx.files.append(sf)
    # "_trans": where the first value of a {% trans %} is a call (ticket=ui.ltr(ticket_id)),
    # Jinja's i18n extension stores it in a local of that name, which meta reports as undeclared
    ctx.allowed = {*build_globals(name, kit.brand, i18n.SOURCE_LOCALE), *env.globals, "subject",
                   "preheader", "_trans"}
    for sf, ast in ctx.parsed:
        ctx.allowed |= _inherited_names(env, ast)
        for node in ast.find_all(nodes.Name):
            if node.ctx == "load" and node.name not in ctx.uses:
                ctx.uses[node.name] = (str(sf.src.path), node.lineno)
    return ctx


def _top_level_names(ast: nodes.Template) -> set[str]:
    """Names a template defines at top level (imports, macros, sets): its blocks see them."""
    out: set[str] = set()
    for node in ast.body:
        if isinstance(node, nodes.Import):
            out.add(node.target)
        elif isinstance(node, nodes.FromImport):
            out |= {n if isinstance(n, str) else n[1] for n in node.names}
        elif isinstance(node, nodes.Macro):
            out.add(node.name)
        elif isinstance(node, nodes.Assign):
            out |= {n.name for n in node.target.find_all(nodes.Name)} | (
                {node.target.name} if isinstance(node.target, nodes.Name) else set())
    return out


def _inherited_names(env: Any, ast: nodes.Template, depth: int = 0) -> set[str]:
    """Names a parent layout (and, for its blocks, the child itself) defines at top level."""
    out: set[str] = _top_level_names(ast) if depth == 0 and any(ast.find_all(nodes.Extends)) else set()
    for ext in ast.find_all(nodes.Extends):
        if not isinstance(ext.template, nodes.Const) or depth > 5:
            continue
        try:
            source, filename, _ = env.loader.get_source(env, ext.template.value)
            parent = env.parse(source, ext.template.value, filename)
        except Exception:  # a missing or broken layout is reported when it is built
            continue
        out |= _top_level_names(parent)
        out |= _inherited_names(env, parent, depth + 1)
    return out


# --- rules -----------------------------------------------------------------------------------

def syntax_error(ctx: SourceContext) -> Iterable[Hit]:
    """Jinja syntax errors in any source file, and TOML syntax errors in the manifest."""
    for sf in ctx.files:
        if sf.error is not None:
            yield Hit(sf.error.message, str(sf.src.path), sf.error.line)
    err = ctx.manifest_error
    if isinstance(err, TomlError):
        yield Hit(err.message, err.file, err.line, err.column)


def undeclared_placeholder(ctx: SourceContext) -> Iterable[Hit]:
    """A part uses a name that is neither a declared placeholder nor a build-time global."""
    if ctx.info is None:
        return
    declared = set(ctx.info.placeholders)
    for sf, ast in ctx.parsed:
        for name in sorted(meta.find_undeclared_variables(ast) - declared - ctx.allowed):
            line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == name), None)
            problem = name_problem(name)
            advice = (f"it cannot be a placeholder: {problem}" if problem else
                      f"declare it in template.toml: [placeholders.{name}] with a type "
                      f"(type = \"text\") and a value in [samples.default]")
            yield Hit(f"{name!r} is not a declared placeholder; {advice}", str(sf.src.path), line)


def unused_placeholder(ctx: SourceContext) -> Iterable[Hit]:
    """A declared placeholder that no part of the template uses."""
    if ctx.info is None or any(sf.ast is None for sf in ctx.files):
        return
    used = set().union(*(meta.find_undeclared_variables(ast) for _, ast in ctx.parsed))
    used |= computed.inputs(ctx.info.placeholders)   # read by a computed placeholder
    for name in ctx.info.placeholders:
        if name not in used:
            pos = _manifest_line(ctx.manifest, name)
            yield Hit(f"placeholder {name!r} is declared but never used",
                      str(ctx.info.manifest), pos)


def _manifest_line(manifest: SourceText | None, name: str) -> int | None:
    if manifest is None:
        return None
    for pattern in (rf"^[ \t]*\[placeholders\.{re.escape(name)}\]", rf"^[ \t]*{re.escape(name)}\s*=",
                    rf"\b{re.escape(name)}\b"):
        m = re.search(pattern, manifest.text, re.MULTILINE)
        if m:
            return manifest.position(m.start())[0]
    return None


# Visible text: mask everything that is not (Jinja constructs, marked text, markup), keeping
# offsets, and look at what is left.
_JINJA = [re.compile(p, re.DOTALL) for p in (
    r"\{#.*?#\}",
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}",
    r"\{%.*?%\}",
    r"\{\{.*?\}\}",
)]
_MARKUP = [re.compile(p, re.DOTALL | re.IGNORECASE) for p in (
    r"<mj-style\b.*?</mj-style>", r"<style\b.*?</style>", r"<!--.*?-->",
)]
_TAG = re.compile(r"<[^>]*>", re.DOTALL)
_VISIBLE_ATTR = re.compile(r"\b(alt|title)\s*=\s*\"([^\"]*)\"")
_WORD = re.compile(r"[^\W\d_]{2,}")
_INLINE = re.compile(r"</?(?:a|b|i|u|em|strong|span|small|sup|sub|code|mark|abbr|s)\b", re.IGNORECASE)
_ENTITY = re.compile(r"&#?\w+;")
_COMMENT_LIKE = re.compile(r"<!--.*?(?:-->|$)|<!\[endif\]-->", re.DOTALL)
_CUT = "\x00"   # what a masked construct leaves: text on either side is not one run
_RUN = re.compile(r"[^\x00]+")


def _blank(m: re.Match) -> str:
    return re.sub(r"[^\n]", _CUT, m.group(0))


def visible_text(text: str, markup: bool, cut: str = " ") -> str:
    """``text`` with everything but literal visible text blanked out with ``cut`` (same length;
    entities such as ``&#39;`` are kept, they are part of the text)."""
    for rx in _JINJA:
        text = rx.sub(_blank, text)
    if markup:
        for rx in _MARKUP:
            text = rx.sub(_blank, text)

        def tag(m: re.Match) -> str:
            keep = [(a.start(2), a.end(2)) for a in _VISIBLE_ATTR.finditer(m.group(0))]
            inline = _INLINE.match(m.group(0))
            # an inline tag (<b>, <a>) is inside a sentence: blanked, the run goes on
            out = list(re.sub(r"[^\n]", " ", m.group(0)) if inline and not keep else _blank(m))
            for s, e in keep:
                out[s:e] = m.group(0)[s:e]
                out[e:e + 1] = _CUT   # an alt text is a run of its own
            return "".join(out)

        text = _TAG.sub(tag, text)
    return text if cut == _CUT else text.replace(_CUT, cut)


def untranslated_text(ctx: SourceContext) -> Iterable[Hit]:
    """Literal visible text (or alt/title text) not marked for translation: one finding per
    run of text (a sentence broken over lines is one run), at its first word."""
    for sf in ctx.files:
        masked = visible_text(sf.src.text, sf.src.path.suffix in (".mjml", ".html"), _CUT)
        for run in _RUN.finditer(masked):
            word = _WORD.search(_ENTITY.sub(_blank, run.group(0)))
            text = unescape(run.group(0))
            if word is None or not _WORD.search(_TAG.sub(" ", _COMMENT_LIKE.sub(" ", text))):
                continue   # entities only (&nbsp;), or escaped markup such as &lt;!--[if mso]&gt;
            line, col = sf.src.position(run.start() + word.start())
            snippet = " ".join(text.split())
            snippet = snippet if len(snippet) <= 60 else snippet[:59] + "…"
            yield Hit(f"visible text {snippet!r} is not marked for translation "
                      f"(use {{% trans %}}…{{% endtrans %}} or _(\"…\"))", str(sf.src.path), line, col)


def safe_placeholder(ctx: SourceContext) -> Iterable[Hit]:
    """A recipient's value printed unescaped: ``|safe`` on an expression that uses a
    placeholder, or a placeholder inside ``{% autoescape false %}``. Recipients give values,
    never markup."""
    if ctx.info is None:
        return
    declared = set(ctx.info.placeholders)
    for sf, ast in ctx.parsed:
        for node in ast.find_all((nodes.Filter, nodes.ScopedEvalContextModifier)):
            if isinstance(node, nodes.Filter):
                if node.name != "safe" or node.node is None:
                    continue
                used = _names(node.node) & declared
                how = "|safe on"
            else:
                block = cast(nodes.ScopedEvalContextModifier, node)
                off = any(kw.key == "autoescape" and isinstance(kw.value, nodes.Const)
                          and kw.value.value is False for kw in block.options)
                used = set().union(*(_names(n) for n in block.body)) & declared if off else set()
                how = "{% autoescape false %} around"
            for name in sorted(used):
                yield Hit(f"{how} the placeholder {name!r} prints a recipient's value unescaped; "
                          f"values are text, escaped in HTML (remove it)", str(sf.src.path), node.lineno)


def _names(node: nodes.Node) -> set[str]:
    found = {n.name for n in node.find_all(nodes.Name)}
    return found | ({node.name} if isinstance(node, nodes.Name) else set())


_QUERY_VALUE = re.compile(r"[?&][\w.\-\[\]]+=\{\{-?\s*(.+?)\s*-?\}\}", re.DOTALL)


def unencoded_url_value(ctx: SourceContext) -> Iterable[Hit]:
    """``?key={{ value }}`` in a URL without ``|urlencode`` (use ``url|with_query(key=value)``)."""
    for sf in ctx.files:
        for m in _QUERY_VALUE.finditer(sf.src.text):
            expr = m.group(1)
            if "urlencode" in expr or "with_query" in expr:
                continue
            line, col = sf.src.position(m.start())
            yield Hit(f"{expr!r} is put into a URL query without URL-encoding; use "
                      f"|urlencode or url|with_query(...)", str(sf.src.path), line, col)


# --- build failures: a template that does not compile in a locale ----------------------------

@dataclass
class BuildFailure:
    """A compile (or sample render) that raised; rules turn it into located findings."""

    kit: Any
    info: TemplateInfo | None
    locale: str | None
    error: TplkitError
    locator: Any = None          # files.Locator over the template's and shared sources


def template_error(ctx: BuildFailure) -> Iterable[Hit]:
    """Any other failure to load, build or render a template (manifest, undefined value, sandbox,
    a sample that does not fit the placeholders)."""
    err = ctx.error
    if isinstance(err, (MjmlError, TomlError)):
        return  # mjml-invalid / syntax-error report these
    if isinstance(err, CatalogError):
        return  # catalog-missing / catalog-syntax report these
    yield Hit(err.message, err.file, err.line, err.column)
