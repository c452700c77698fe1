"""Compile once, render many.

For one (template, locale, brand) the *build pass* renders the template's Jinja source with
every brand, layout, component and translation resolved, while each placeholder is bound to
a :class:`Deferred` stand-in. A Deferred prints an opaque slot token (``TPLSLOT7X``) that
stands for a runtime tag such as ``{{ customer_name }}``; a condition that depends on a
placeholder becomes a runtime ``{% if %}`` with both branches built. The tokens pass
untouched through MJML (mjml-python), CSS inlining (premailer) and the plain-text
conversion, and are then turned back into Jinja tags. What remains per message is a small
sandboxed Jinja template per part that only substitutes values.

The very same build templates, rendered with real values instead of Deferreds and followed
by MJML, premailer and text conversion per message, are the *naive pipeline*
(:func:`render_naive`), the correctness oracle for the compiled path.
"""
from __future__ import annotations

import copy
import functools
import json
import logging
import re
import secrets
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from . import i18n
from .errors import TemplateSourceError, TplkitError, jinja_error
from .sandbox import MAX_OUTPUT, LimitedSandbox
from .schema import Schema
from .store import TemplateInfo
from .text import collapse, finish_text

TOKEN_RE = re.compile(r"TPLSLOT(\d+)X")
TAG_SYNTAX = re.compile(r"\{[{%#]")


# --- slots and deferred values ---------------------------------------------------------------

class Slots:
    """Registry of runtime tags for one compilation; each gets an opaque token.

    Token numbers start at a random base per compilation, so a ``TPLSLOT0X`` written in a
    template or a translation is plain text, never a forged runtime tag.
    """

    def __init__(self) -> None:
        self.tags: list[str] = []
        self._index: dict[str, int] = {}
        self.base = 10**8 + secrets.randbelow(9 * 10**8)

    def token(self, tag: str) -> str:
        i = self._index.get(tag)
        if i is None:
            i = self._index[tag] = len(self.tags)
            self.tags.append(tag)
        return f"TPLSLOT{self.base + i}X"

    def _slot(self, number: str) -> int | None:
        i = int(number) - self.base
        return i if 0 <= i < len(self.tags) else None

    def is_token(self, word: str) -> bool:
        m = TOKEN_RE.fullmatch(word)
        i = self._slot(m.group(1)) if m else None
        return i is not None and self.tags[i].startswith("{%")

    def to_jinja(self, tokenized: str) -> str:
        """Replace tokens by their tags; literal chunks that look like Jinja are made raw."""
        parts = TOKEN_RE.split(tokenized)
        out, text = [], ""
        for n, part in enumerate(parts):
            slot = self._slot(part) if n % 2 else None
            if slot is None:
                text += f"TPLSLOT{part}X" if n % 2 else part
                continue
            if text:
                out.append(_literal(text))
                text = ""
            out.append(self.tags[slot])
        if text:
            out.append(_literal(text))
        return "".join(out)


def _literal(text: str) -> str:
    if not TAG_SYNTAX.search(text) and not text.endswith("{"):
        return text
    return "{% raw %}" + text.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}") + "{% endraw %}"


def _lit(value: Any) -> str:
    """A Jinja literal for a build-time value inside a runtime expression."""
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float, str)):
        return repr(value)
    if isinstance(value, Deferred):
        return f"({value.expr})"
    raise TemplateSourceError(
        f"a runtime expression mixes a placeholder with the build-time value {_describe(value)}; "
        f"compute it outside the condition or nest the conditions")


def _describe(value: Any) -> str:
    """Plain data by its repr; any other object only by its type (no internals in messages)."""
    if isinstance(value, (str, int, float, list, tuple, dict)):
        return f"{value!r:.60}"
    return f"(a {type(value).__name__})"


class Deferred:
    """Stand-in for a per-recipient value during the build pass."""

    unsafe_callable = False   # keep the sandbox from probing through __getattr__
    alters_data = False
    __slots__ = ("expr", "fmt", "slots", "locale")

    def __init__(self, expr: str, slots: Slots, locale: str, fmt: str | None = None) -> None:
        self.expr = expr
        self.fmt = fmt
        self.slots = slots
        self.locale = locale

    def _derive(self, expr: str) -> "Deferred":
        return Deferred(expr, self.slots, self.locale)

    def tag(self) -> str:
        if self.fmt:
            return "{{ %s|%s(locale=%r) }}" % (self.expr, self.fmt, self.locale)
        return "{{ %s }}" % self.expr

    def __str__(self) -> str:
        return self.slots.token(self.tag())

    __html__ = __str__

    def __getattr__(self, name: str) -> "Deferred":
        if name.startswith("__"):
            raise AttributeError(name)
        return self._derive(f"{self.expr}.{name}")

    def __getitem__(self, key: Any) -> "Deferred":
        _refuse_private(key)
        return self._derive(f"{self.expr}[{_lit(key)}]")

    def __call__(self, *args: Any, **kwargs: Any) -> "Deferred":
        params = [_lit(a) for a in args] + [f"{k}={_lit(v)}" for k, v in kwargs.items()]
        return self._derive(f"{self.expr}({', '.join(params)})")

    def _op(op: str, reverse: bool = False):  # noqa: N805 - builds the operator methods
        def method(self, other):
            a, b = f"({self.expr})", _lit(other)
            return self._derive(f"{b} {op} {a}" if reverse else f"{a} {op} {b}")
        return method

    __add__, __radd__ = _op("+"), _op("+", True)
    __sub__, __rsub__ = _op("-"), _op("-", True)
    __mul__, __rmul__ = _op("*"), _op("*", True)
    __truediv__, __floordiv__, __mod__ = _op("/"), _op("//"), _op("%")
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = (_op("=="), _op("!="), _op("<"), _op("<="),
                                                      _op(">"), _op(">="))
    __hash__ = object.__hash__
    del _op

    def __bool__(self) -> bool:
        raise TemplateSourceError(
            f"cannot decide {self.expr!r} when compiling: it is a per-recipient value. Test it "
            f"with {{% if %}} (which becomes a runtime condition), not with 'and'/'or'/'not' "
            f"outside an {{% if %}} or inside a filter")

    def __iter__(self):
        raise TemplateSourceError(
            f"cannot loop over {self.expr!r} when compiling: it is a per-recipient value; "
            f"show lists with the |list filter")

    def __len__(self) -> int:
        raise TemplateSourceError(f"the length of {self.expr!r} is only known per recipient")


class Shown:
    """A typed value in the naive pipeline: printed as its locale format (like a Deferred's
    default tag), but the raw value for tests, comparisons, filters and attributes."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(self.text))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.value, name)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __iter__(self):
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, key: Any) -> Any:  # rating_links[n], as in the compiled path
        return self.value[key]

    def __eq__(self, other: Any) -> bool:
        return self.value == _raw(other)

    def __lt__(self, other: Any) -> bool:
        return self.value < _raw(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= _raw(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > _raw(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= _raw(other)

    def __hash__(self) -> int:
        return hash(self.value)


def _raw(v: Any) -> Any:
    return v.value if isinstance(v, Shown) else v


def _refuse_private(*names: Any) -> None:
    """Refuse ``_private`` attribute names at build time (with the template's file and line)
    instead of deferring them to a runtime sandbox error that could only name the template."""
    for name in names:
        if isinstance(name, str) and name.startswith("_"):
            raise SecurityError(f"access to attribute {name!r} is unsafe")


def _defer_filter(name: str, func: Callable, locale_kw: str | None) -> Callable:
    """Wrap a filter: on a Deferred argument it becomes a runtime filter expression."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    def wrapper(*args, **kwargs):
        vals = args[1:] if pass_arg else args
        deferred = next((v for v in (*vals, *kwargs.values()) if isinstance(v, Deferred)), None)
        if deferred is not None:
            if name == "attr":
                _refuse_private(*vals[1:2])
            _refuse_private(kwargs.get("attribute"))
            if locale_kw:
                kwargs = {**kwargs, "locale": locale_kw}
            first, rest = vals[0], vals[1:]
            params = [_lit(a) for a in rest] + [f"{k}={_lit(v)}" for k, v in kwargs.items()]
            call = f"({params and ', '.join(params)})" if params else ""
            return deferred._derive(f"{_lit(first)}|{name}{call}")
        if locale_kw:
            kwargs.setdefault("locale", locale_kw)
        args = tuple(_raw(a) for a in args)
        return func(*args, **{k: _raw(v) for k, v in kwargs.items()})

    if pass_arg is not None:
        wrapper.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    wrapper.__name__ = name
    return wrapper


# --- runtime conditions: {% if %} on placeholders -------------------------------------------

_BUILD_IF = "tplkit_if"


class BuildExtension(Extension):
    """Turns ``{% if %}`` into a tag that, during the build pass, emits a runtime ``{% if %}``
    (with every branch built) when its condition depends on a placeholder, and otherwise
    behaves exactly like ``{% if %}``."""

    tags = {_BUILD_IF}

    def filter_stream(self, stream):
        pending: list[Token] = []
        for tok in stream:
            if pending:
                pending.append(tok)
                if tok.type == "block_end":
                    yield from self._rewrite(pending)
                    pending = []
                continue
            if tok.type == "block_begin":
                pending = [tok]
                continue
            yield tok
        yield from pending

    @staticmethod
    def _rewrite(block: list[Token]):
        head = block[1] if len(block) > 1 else None
        if head is None or head.type != "name" or head.value not in ("if", "elif"):
            yield from block
            return
        expr = block[2:-1]
        src = json.dumps([[t.type, t.value] for t in expr])
        yield block[0]
        yield Token(head.lineno, "name", _BUILD_IF if head.value == "if" else "elif")
        yield Token(head.lineno, "string", src)
        yield Token(head.lineno, "comma", ",")
        yield from expr
        yield block[-1]

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        branches = []
        else_: list = []
        while True:
            src = parser.stream.expect("string").value
            parser.stream.expect("comma")
            test = parser.parse_tuple(with_condexpr=False)
            body = parser.parse_statements(("name:elif", "name:else", "name:endif"))
            branches.append((src, test, body))
            tok = next(parser.stream)
            if tok.test("name:elif"):
                continue
            if tok.test("name:else"):
                else_ = parser.parse_statements(("name:endif",), drop_needle=True)
            break
        names = sorted({n.name for _, t, _ in branches
                        for n in ([t] if isinstance(t, nodes.Name) else []) + list(t.find_all(nodes.Name))
                        if n.ctx == "load"})
        values = nodes.Dict([nodes.Pair(nodes.Const(n), nodes.Name(n, "load")) for n in names])

        def stmt(kind: str, src: str = "") -> nodes.Output:
            return nodes.Output([self.call_method("_stmt", [nodes.Const(kind), nodes.Const(src),
                                                            copy.deepcopy(values)])])

        runtime: list = []
        for i, (src, _, body) in enumerate(branches):
            runtime.append(stmt("if" if i == 0 else "elif", src))
            runtime.extend(copy.deepcopy(body))
        if else_:
            runtime.append(stmt("else"))
            runtime.extend(copy.deepcopy(else_))
        runtime.append(stmt("endif"))

        static = nodes.If(branches[0][1], branches[0][2],
                          [nodes.If(t, b, [], [], lineno=lineno) for _, t, b in branches[1:]],
                          else_, lineno=lineno)
        return nodes.If(self.call_method("_any_deferred", [values]), runtime, [], [static],
                        lineno=lineno)

    @staticmethod
    def _any_deferred(values: dict) -> bool:
        return any(isinstance(v, Deferred) for v in values.values())

    @staticmethod
    def _stmt(kind: str, src: str, values: dict) -> str:
        slots = next(v.slots for v in values.values() if isinstance(v, Deferred))
        if kind in ("else", "endif"):
            return slots.token("{%% %s %%}" % kind)
        return slots.token("{%% %s %s %%}" % (kind, _runtime_expr(json.loads(src), values)))


_NOT_A_VARIABLE_AFTER = {"dot", "pipe"}


def _runtime_expr(tokens: list, values: Mapping[str, Any]) -> str:
    """Rebuild a condition's source, replacing build-time names by their values."""
    out = []
    for i, (typ, value) in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev and (prev[0] in ("dot", "lbracket") or (prev[0] == "lparen" and i > 1
                     and tokens[i - 2][1] == "attr") or (prev[0] == "assign" and i > 1
                     and tokens[i - 2][1] == "attribute")):
            _refuse_private(value)
        if typ == "name" and value in values and not (
                prev and (prev[0] in _NOT_A_VARIABLE_AFTER or prev[1] == "is"
                          or (prev[1] == "not" and i > 1 and tokens[i - 2][1] == "is"))) \
                and not (nxt and nxt[0] == "assign"):
            v = values[value]
            out.append(f"({v.expr})" if isinstance(v, Deferred) else _lit(v))
        elif typ == "string":
            out.append(repr(value))
        else:
            out.append(str(value))
    return " ".join(out)


# --- environments ----------------------------------------------------------------------------

def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith((".mjml", ".html"))


_CODE_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
               types.MethodWrapperType, type, jinja2.runtime.Macro)


def _none_to_empty(value: Any) -> Any:
    """None prints as nothing; a function or class printed by mistake is an error (its repr
    would put Python internals, such as memory addresses, into the email)."""
    if value is None:
        return ""
    if isinstance(value, _CODE_TYPES):
        kind = "class" if isinstance(value, type) else "macro" if isinstance(
            value, jinja2.runtime.Macro) else "function"
        raise TemplateSourceError(f"prints a {kind} instead of a value: call it (add "
                                  f"parentheses) or remove it")
    return value


def with_query(url: Any, **params: Any) -> str:
    """``url`` with ``params`` URL-encoded and appended to its query string (what
    ``urlunsplit`` gives for ``urlencode(params)`` added to the query; the pieces of each
    URL and the quoted form of each key and value are kept, as rating links repeat them)."""
    before, query, after = _url_pieces(str(url))
    added = "&".join(f"{_quote(k)}={_quote('' if v is None else v)}" for k, v in params.items())
    query = "&".join(q for q in (query, added) if q)
    if not query:
        from urllib.parse import urlsplit, urlunsplit

        return urlunsplit(urlsplit(str(url)))
    return f"{before}?{query}{after}"


@functools.lru_cache(maxsize=1024)
def _url_pieces(url: str) -> tuple[str, str, str]:
    """``url`` as (everything before the query, the query, ``#fragment`` or ""): urlunsplit
    appends the query and the fragment last."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return (urlunsplit(parts._replace(query="", fragment="")), parts.query,
            f"#{parts.fragment}" if parts.fragment else "")


@functools.lru_cache(maxsize=4096)
def _quote_text(s: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(s)


def _quote(v: Any) -> str:
    """How ``urlencode`` quotes one key or value."""
    if isinstance(v, bytes):
        from urllib.parse import quote_plus

        return quote_plus(v)
    return _quote_text(v if isinstance(v, str) else str(v))


RUNTIME_FILTERS: dict[str, Callable] = {**i18n.LOCALE_FILTERS, "with_query": with_query}


_FORMAT_NAME = re.compile(r"%\((\w+)\)")


class _SharedBytecode(jinja2.BytecodeCache):
    """In-memory Jinja bytecode shared by the build environments of every locale.

    The code Jinja generates for a template does not depend on the locale (translations and
    filters are looked up when it runs), so each source is parsed and compiled once, not
    once per locale. Entries are keyed by file and checked against the source's checksum.
    """

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        data = self._data.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket) -> None:
        self._data[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


class BuildEnvironment(LimitedSandbox):
    """Sandboxed Jinja environment for the build pass of one locale."""

    def __init__(self, loader: jinja2.BaseLoader, catalog: i18n.Catalog) -> None:
        super().__init__(loader=loader, autoescape=_autoescape, undefined=jinja2.StrictUndefined,
                         extensions=["jinja2.ext.i18n", BuildExtension], finalize=_none_to_empty,
                         keep_trailing_newline=True, auto_reload=True, bytecode_cache=_BYTECODE)
        self.policies["ext.i18n.trimmed"] = True
        self.catalog = catalog
        self._formats_ok: set[tuple] = set()
        locale = catalog.locale
        for name, func in list(self.filters.items()):
            self.filters[name] = _defer_filter(name, func, None)
        for name, func in RUNTIME_FILTERS.items():
            self.filters[name] = _defer_filter(name, func, locale if name in i18n.LOCALE_FILTERS else None)
        self.install_gettext_callables(self._gettext, self._ngettext, newstyle=True)

    def _gettext(self, message: str) -> str:
        text = self.catalog.gettext(message)
        self._check_format((message,), (text,))
        return text

    def _check_format(self, ids: tuple[str, ...], texts: tuple[str, ...]) -> None:
        """Jinja's gettext always ``%``-formats a message with its variables: a stray ``%`` or
        an unknown ``%(name)s`` in a translation is reported as such, naming the catalog."""
        key = (ids, texts)
        if key in self._formats_ok:
            return
        names = {n for i in ids for n in _FORMAT_NAME.findall(i)} | ({"num"} if len(ids) > 1 else set())
        for text in texts:
            try:
                text % dict.fromkeys(names, 0)
            except (KeyError, ValueError, TypeError) as e:
                what = f"unknown placeholder {e}" if isinstance(e, KeyError) else str(e)
                where = ", ".join(map(str, self.catalog.files)) or "the template"
                raise TemplateSourceError(
                    f"the {self.catalog.locale} text of {ids[0]!r:.60} cannot be filled in ({what}); "
                    f"fix it in {where} (a literal % is written %%)") from None
        self._formats_ok.add(key)

    def _ngettext(self, singular: str, plural: str, n: Any) -> str:
        forms, choose = self.catalog.plural_forms(singular, plural)
        self._check_format((singular, plural), tuple(forms))
        if len(forms) == 1:  # one form for every number (nplurals=1: tr, ja, ...)
            return forms[0]
        if not isinstance(n, Deferred):
            return forms[choose(_raw(n))]
        fn = "_pf" if choose == self.catalog.plural_index else "_pf_en"
        slots, expr = n.slots, n.expr
        out = []
        for i, form in enumerate(forms[:-1]):
            kw = "if" if i == 0 else "elif"
            out.append(slots.token("{%% %s %s(%s) == %d %%}" % (kw, fn, expr, i)) + form)
        out.append(slots.token("{% else %}") + forms[-1] + slots.token("{% endif %}"))
        return "".join(out)


def runtime_environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = LimitedSandbox(autoescape=autoescape, undefined=jinja2.StrictUndefined,
                                        finalize=_none_to_empty, keep_trailing_newline=True)
    env.filters.update(RUNTIME_FILTERS)
    return env


_RUNTIME = {True: runtime_environment(True), False: runtime_environment(False)}


# --- the pipeline steps ----------------------------------------------------------------------

def mjml_to_html(mjml_src: str, *, template: str, locale: str, file: str | None) -> str:
    """MJML to HTML with mjml-python; errors become TemplateSourceError."""
    import mjml

    try:
        return mjml.mjml2html(mjml_src, disable_comments=True)
    except Exception as e:  # mjml-python raises ValueError / RuntimeError with MRML's text
        found = _unbalanced_mjml(file)
        line, hint = found if found else (None, "")
        raise TemplateSourceError(f"invalid MJML: {e}{hint}", template=template, locale=locale,
                                  file=file, line=line, part="html") from None


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


_DOCTYPE = re.compile(r"^\s*<!doctype", re.I)
_PREMAILER_LOG = logging.getLogger("tplkit.premailer")
_PREMAILER_LOG.addHandler(logging.NullHandler())
_PREMAILER_LOG.propagate = False


def inline_css(html: str, *, template: str, locale: str) -> str:
    """Inline CSS with premailer, keeping media queries and the doctype MRML wrote."""
    import cssutils
    import premailer

    cssutils.log.setLevel(logging.CRITICAL)
    try:
        out = premailer.Premailer(html, allow_network=False, keep_style_tags=True,
                                  remove_classes=False, disable_validation=True,
                                  cssutils_logging_level=logging.CRITICAL,
                                  cssutils_logging_handler=logging.NullHandler()).transform()
    except Exception as e:
        raise TemplateSourceError(f"CSS inlining failed: {e}", template=template,
                                  locale=locale, part="html") from None
    if not _DOCTYPE.match(out):  # premailer drops MRML's lowercase doctype
        out = "<!doctype html>\n" + out
    return out


# --- compiled templates ----------------------------------------------------------------------

@dataclass
class Compiled:
    """A template compiled for one locale and brand: four small runtime templates.

    Rendering runs them through the fast path of :mod:`tplkit.runtime` (static chunks and
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

    def __post_init__(self) -> None:
        from .runtime import compile_parts

        self._globals = {"_pf": self._plural or i18n._english_plural, "_pf_en": i18n._english_plural}
        trees = {}
        for part, src in self.sources.items():
            try:
                trees[part] = _RUNTIME[part == "html"].parse(src)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateSourceError(
                    f"compiled {part} is not valid Jinja ({e.message}); this is a tplkit bug",
                    template=self.template, locale=self.locale, part=part) from None
        jinja = {part: functools.partial(self._render_jinja_part, part) for part in self.sources}
        self._fast, self.fallbacks = compile_parts(
            trees, _RUNTIME, jinja, self._globals, list(self.schema.placeholders),
            list(RUNTIME_FILTERS), f"{self.template}/{self.locale}")
        self._names = frozenset(self.schema.placeholders)

    def _render_jinja_part(self, part: str, values: Mapping[str, Any]) -> str:
        tpl = self._templates.get(part)
        if tpl is None:  # compiled on first use: the fast path rarely needs it
            tpl = self._templates[part] = _RUNTIME[part == "html"].from_string(
                self.sources[part], globals=self._globals)
        return tpl.render(values)

    def render_parts(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Run the runtime templates on already-validated values."""
        return dict(zip(("subject", "preheader", "html", "text"), self.render_four(values)))

    def render_four(self, values: Mapping[str, Any], *, validated: bool = False) -> tuple[str, str, str, str]:
        """:meth:`render_parts` as a tuple: subject, preheader, HTML, text. ``validated``
        says ``values`` came from this template's schema (so every placeholder is in it)."""
        try:
            if validated or self._names <= values.keys():
                four = self._fast(values)  # all four finished
                subject, preheader, html, text = four
                if len(html) <= MAX_OUTPUT and len(text) <= MAX_OUTPUT and \
                        len(subject) <= MAX_OUTPUT and len(preheader) <= MAX_OUTPUT:
                    return four
            # over the sandbox's output bound, or not a validated context: Jinja refuses it
            # (or reports what is undefined) the same way
            parts = self.render_jinja(values)
            return parts["subject"], parts["preheader"], parts["html"], parts["text"]
        except Exception as e:  # a TplkitError gets the template and locale it may lack
            raise jinja_error(e, template=self.template, locale=self.locale) from None

    def render_jinja(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The same parts through the plain sandboxed Jinja runtime (reference and benchmarks)."""
        r = self._render_jinja_part
        return {"subject": collapse(r("subject", values)),
                "preheader": collapse(r("preheader", values)),
                "html": r("html", values), "text": finish_text(r("text", values))}


class Builder:
    """Runs the build pass for one template and locale (compiled, or naive with values)."""

    def __init__(self, env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                 schema: Schema) -> None:
        self.env = env
        self.info = info
        self.brand = brand
        self.locale = locale
        self.schema = schema

    def _globals(self) -> dict[str, Any]:
        return {"brand": self.brand, "locale": self.locale, "lang": i18n.html_lang(self.locale),
                "dir": i18n.text_direction(self.locale), "template_name": self.info.name,
                "align_start": "right" if i18n.text_direction(self.locale) == "rtl" else "left",
                "align_end": "left" if i18n.text_direction(self.locale) == "rtl" else "right"}

    def _render(self, part: str, values: Mapping[str, Any], **extra: Any) -> str:
        path = self.info.file(part)
        name = f"{self.info.name}/{path.name}"
        try:
            tpl = self.env.get_template(name)
            return tpl.render({**self._globals(), **values, **extra})
        except TplkitError as e:
            raise jinja_error(e, template=self.info.name, locale=self.locale, part=part,
                              files=[str(path)]) from None
        except Exception as e:
            raise jinja_error(e, template=self.info.name, locale=self.locale, part=part,
                              files=[str(path)]) from None

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

    def finish(self, built: dict[str, str], is_token: Callable[[str], bool]) -> dict[str, str]:
        """MJML -> HTML -> inlined HTML, and the text part."""
        from .text import mjml_to_text

        html = mjml_to_html(built["mjml"], template=self.info.name, locale=self.locale,
                            file=str(self.info.file("html")))
        html = inline_css(html, template=self.info.name, locale=self.locale)
        text = built.get("text")
        if text is None:
            text = mjml_to_text(built["mjml"], is_token)
        return {"subject": built["subject"], "preheader": built["preheader"], "html": html,
                "text": text}


def compile_template(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                     schema: Schema) -> Compiled:
    """Compile one template for one locale (see the module docstring)."""
    slots = Slots()
    values = {name: Deferred(name, slots, locale, i18n.TYPE_FORMAT.get(ph.type))
              for name, ph in info.placeholders.items()}
    b = Builder(env, info, brand, locale, schema)
    parts = b.finish(b.build(values), slots.is_token)
    sources = {part: slots.to_jinja(s) for part, s in parts.items()}
    # compiled.files (what auto_reload watches) is filled in by the Kit, which knows the
    # project's folders and catalogs too
    compiled = Compiled(template=info.name, locale=locale, schema=schema, sources=sources,
                        headers=info.headers, _plural=env.catalog.plural_index)
    _check_names(compiled, info)
    return compiled


def render_naive(env: BuildEnvironment, info: TemplateInfo, brand: Any, locale: str,
                 schema: Schema, values: Mapping[str, Any]) -> dict[str, str]:
    """The per-message pipeline (Jinja -> MJML -> premailer -> text) for validated values."""
    shown = {}
    for name, value in values.items():
        fmt = i18n.TYPE_FORMAT.get(info.placeholders[name].type) if name in info.placeholders else None
        shown[name] = Shown(value, RUNTIME_FILTERS[fmt](value, locale=locale)) \
            if fmt and value is not None else value
    b = Builder(env, info, brand, locale, schema)
    parts = b.finish(b.build(shown), lambda w: False)
    parts["text"] = finish_text(parts["text"])
    return parts


def _dependencies(env: BuildEnvironment, info: TemplateInfo) -> list[Path]:
    """The template's files plus every layout/component file it can reach."""
    files = info.source_files()
    for root in getattr(env, "search_dirs", []):
        for sub in ("_layouts", "_components"):
            d = Path(root) / sub
            if d.is_dir():
                files.extend(sorted(d.glob("*")))
    return files


def _check_names(compiled: Compiled, info: TemplateInfo) -> None:
    """Every name a runtime template uses must be a declared placeholder."""
    from jinja2 import meta

    allowed = set(info.placeholders) | {"_pf", "_pf_en"}
    for part, src in compiled.sources.items():
        env = _RUNTIME[part == "html"]
        used = meta.find_undeclared_variables(env.parse(src))
        extra = used - allowed
        if extra:
            raise TemplateSourceError(
                f"{part} uses undeclared placeholder(s) {', '.join(sorted(extra))}; declare them "
                f"in template.toml", template=info.name, locale=compiled.locale, part=part,
                file=str(info.manifest))
