"""The build pass: the sandboxed Jinja environment that renders a template with every
brand, layout, component and translation resolved and each placeholder :class:`Deferred`.

A condition on a placeholder cannot be decided at build time: :class:`BuildExtension`
rewrites ``{% if %}`` so that, when its test depends on a Deferred, the pass emits a runtime
``{% if %}`` with every branch built (and a plain ``{% if %}`` otherwise). Plural forms
depending on a placeholder become a runtime choice the same way.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token
from jinja2.sandbox import SecurityError

from . import formatting, i18n, limits
from .address import addressed
from .deferred import Deferred, defer_filter, literal_expr, raw_value, refuse_private
from .errors import TemplateSourceError
from .filters import RUNTIME_FILTERS, finalize, localize_filter_calls
from .safety import gettext_callables
from .sandbox import LOOP_FILTER, LimitedSandbox

# --- runtime conditions: {% if %} on placeholders -------------------------------------------

_BUILD_IF = "tplkit_if"
_BUILD_FOR = "tplkit_for"


class BuildExtension(Extension):
    """Turns ``{% if %}`` into a tag that, during the build pass, emits a runtime ``{% if %}``
    (with every branch built) when its condition depends on a placeholder, and otherwise
    behaves exactly like ``{% if %}``. ``{% for %}`` likewise: over a placeholder (a list,
    or a list inside an object) it emits a runtime ``{% for %}`` whose body is built once,
    with the loop variable and ``loop`` deferred; over anything else it is Jinja's loop."""

    tags = {_BUILD_IF, _BUILD_FOR}

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
        if head is not None and head.type == "name" and head.value == "for":
            yield block[0]
            yield Token(head.lineno, "name", _BUILD_FOR)
            yield from block[2:]
            return
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
        if parser.stream.current.test(f"name:{_BUILD_FOR}"):
            return self._parse_for(parser)
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

    def _parse_for(self, parser):
        """``{% for %}`` as Jinja parses it, plus the runtime form for a deferred list."""
        lineno = next(parser.stream).lineno
        target = parser.parse_assign_target(extra_end_rules=("name:in",))
        parser.stream.expect("name:in")
        iter_ = parser.parse_tuple(with_condexpr=False, extra_end_rules=("name:recursive",))
        test = parser.parse_expression() if parser.stream.skip_if("name:if") else None
        recursive = parser.stream.skip_if("name:recursive")
        body = parser.parse_statements(("name:endfor", "name:else"))
        else_ = [] if next(parser.stream).value == "endfor" else \
            parser.parse_statements(("name:endfor",), drop_needle=True)
        static = nodes.For(target, iter_, body, else_, test, recursive, lineno=lineno)

        def call(name: str, *args: nodes.Expr) -> nodes.Expr:
            return self.call_method(name, [copy.deepcopy(a) for a in args], lineno=lineno)

        if not isinstance(target, nodes.Name) or test is not None or recursive:
            why = ("a runtime loop takes one loop variable, no 'if' filter and no 'recursive'; "
                   "put conditions inside the loop")
            runtime: list = [nodes.Output([call("_refuse_for", iter_, nodes.Const(why))])]
        else:
            name = nodes.Const(target.name)
            runtime = [nodes.Output([call("_for_stmt", iter_, nodes.Const("for"), name)]),
                       nodes.With([nodes.Name(target.name, "param"), nodes.Name("loop", "param")],
                                  [call("_for_item", iter_, name), call("_for_loop", iter_)],
                                  copy.deepcopy(body), lineno=lineno)]
            if else_:
                runtime.append(nodes.Output([call("_for_stmt", iter_, nodes.Const("else"), name)]))
                runtime.extend(copy.deepcopy(else_))
            runtime.append(nodes.Output([call("_for_stmt", iter_, nodes.Const("endfor"), name)]))
        return nodes.If(call("_is_deferred", iter_), runtime, [], [static], lineno=lineno)

    @staticmethod
    def _is_deferred(value: Any) -> bool:
        return isinstance(value, Deferred)

    @staticmethod
    def _refuse_for(seq: Deferred, why: str) -> str:
        raise TemplateSourceError(f"cannot loop over {seq.expr!r} at runtime: {why}")

    @staticmethod
    def _for_stmt(seq: Deferred, kind: str, target: str) -> str:
        refuse_private(target)
        if kind == "for":
            return seq.slots.token(f"{{% for {target} in ({seq.expr}) %}}")
        return seq.slots.token(f"{{% {kind} %}}")

    @staticmethod
    def _for_item(seq: Deferred, target: str) -> Deferred:
        return seq.item(target)

    @staticmethod
    def _for_loop(seq: Deferred) -> Deferred:
        return Deferred("loop", seq.slots, seq.locale)

    @staticmethod
    def _any_deferred(values: dict) -> bool:
        return any(isinstance(v, Deferred) for v in values.values())

    @staticmethod
    def _stmt(kind: str, src: str, values: dict) -> str:
        first = next(v for v in values.values() if isinstance(v, Deferred))
        if kind in ("else", "endif"):
            return first.slots.token(f"{{% {kind} %}}")
        tokens = localize_filter_calls(json.loads(src), first.locale)
        return first.slots.token(f"{{% {kind} {_runtime_expr(tokens, values)} %}}")


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
            refuse_private(value)
        if typ == "name" and value in values and not (
                prev and (prev[0] in _NOT_A_VARIABLE_AFTER or prev[1] == "is"
                          or (prev[1] == "not" and i > 1 and tokens[i - 2][1] == "is"))) \
                and not (nxt and nxt[0] == "assign"):
            v = values[value]
            out.append(f"({v.expr})" if isinstance(v, Deferred) else literal_expr(v))
        elif typ == "string":
            out.append(repr(value))
        else:
            out.append(str(value))
    return " ".join(out)



def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".mjml", ".html"))


_FORMAT_NAME = re.compile(r"%\((\w+)\)")


class SharedBytecode(jinja2.BytecodeCache):
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


_BYTECODE = SharedBytecode()


class BuildEnvironment(LimitedSandbox):
    """Sandboxed Jinja environment for the build pass of one locale."""

    def __init__(self, loader: jinja2.BaseLoader, catalog: i18n.Catalog) -> None:
        super().__init__(loader=loader, autoescape=_autoescape, undefined=jinja2.StrictUndefined,
                         extensions=["jinja2.ext.i18n", BuildExtension], finalize=finalize,
                         keep_trailing_newline=True, auto_reload=True, bytecode_cache=_BYTECODE)
        self.policies["ext.i18n.trimmed"] = True
        self.catalog = catalog
        self._formats_ok: set[tuple] = set()
        locale = catalog.locale
        for name, func in list(self.filters.items()):
            if name != LOOP_FILTER:  # the loop budget sees a list as it is (Shown items too)
                self.filters[name] = defer_filter(name, func, None)
        for name, func in RUNTIME_FILTERS.items():
            localized = name in formatting.LOCALE_FILTERS
            self.filters[name] = defer_filter(name, func, locale if localized else None)
        # added to the environment by jinja2.ext.i18n
        self.install_gettext_callables(  # type: ignore[attr-defined]
            self._gettext, self._ngettext, newstyle=True)
        # translations are data: filled in by safety.fill_translation, never parsed
        self.globals.update(gettext_callables(self._gettext_addressed, self._ngettext_addressed,
                                              self._pgettext, self._npgettext, with_context=True))

    def _gettext_addressed(self, context: Any, message: str) -> str:
        """:meth:`_gettext` with the catalog's gendered variants (:mod:`tplkit.address`)."""
        return addressed(self.catalog, context, message, lambda ctx: self._gettext(message, ctx))

    def _ngettext_addressed(self, context: Any, singular: str, plural: str, n: Any) -> str:
        return addressed(self.catalog, context, singular,
                         lambda ctx: self._ngettext(singular, plural, n, ctx), plural)

    def _gettext(self, message: str, context: str | None = None) -> str:
        text = self.catalog.messages.get(i18n.message_key(message, context))
        i18n.note_fallback(self.catalog, message, bool(text))
        text = text or message
        self._check_format((message,), (text,), context)
        return self.translated(text, message)

    def translated(self, text: str, msgid: str, key: Any = None) -> str:
        """What the build pass prints for a translation: ``text`` itself. (``key``: a plural
        message's catalog key.) The marking environment of a kept compile
        (:mod:`tplkit.sourcemap`) wraps it in marks naming the catalog line it comes from."""
        return text

    def _pgettext(self, context: str, message: str) -> str:
        return self._gettext(message, context)

    def _check_format(self, ids: tuple[str, ...], texts: tuple[str, ...],
                      context: str | None = None) -> None:
        """Jinja's gettext always ``%``-formats a message with its variables: a stray ``%`` or
        an unknown ``%(name)s`` in a translation is reported as such, naming the catalog."""
        key = (ids, texts)
        if key in self._formats_ok:
            return
        names = {n for i in ids for n in _FORMAT_NAME.findall(i)} | ({"num"} if len(ids) > 1 else set())
        for text in texts:
            try:
                limits.percent_format_size(text, text_only=True)
                text % dict.fromkeys(names, 0)
            except (KeyError, ValueError, TypeError, SecurityError) as e:
                what = f"unknown placeholder {e}" if isinstance(e, KeyError) else str(e)
                file, line = self.catalog.origin(ids[0] if len(ids) == 1 else ids, context)
                where = (f"{file}:{line}" if file
                         else ", ".join(map(str, self.catalog.files)) or "the template")
                raise TemplateSourceError(
                    f"the {self.catalog.locale} text of {ids[0]!r:.60} cannot be filled in ({what}); "
                    f"fix it in {where} (a literal % is written %%)") from None
        self._formats_ok.add(key)

    def _npgettext(self, context: str, singular: str, plural: str, n: Any) -> str:
        return self._ngettext(singular, plural, n, context)

    def _ngettext(self, singular: str, plural: str, n: Any, context: str | None = None) -> str:
        forms, choose = self.catalog.plural_forms(singular, plural, context)
        i18n.note_fallback(self.catalog, singular, choose is not i18n.english_plural)
        self._check_format((singular, plural), tuple(forms), context)
        key = (singular, plural)
        if len(forms) == 1:  # one form for every number (nplurals=1: tr, ja, ...)
            return self.translated(forms[0], singular, key)
        if not isinstance(n, Deferred):
            return self.translated(forms[choose(raw_value(n))], singular, key)
        fn = "_pf" if choose == self.catalog.plural_index else "_pf_en"
        slots, expr = n.slots, n.expr
        out = []
        for i, form in enumerate(forms[:-1]):
            kw = "if" if i == 0 else "elif"
            out.append(slots.token(f"{{% {kw} {fn}({expr}) == {i:d} %}}") + form)
        out.append(slots.token("{% else %}") + forms[-1] + slots.token("{% endif %}"))
        return self.translated("".join(out), singular, key)

