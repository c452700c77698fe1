"""Python source for the expressions of the runtime templates: the half of
:mod:`tplkit.codegen` that turns a Jinja expression node into code (a placeholder lookup,
sandboxed attribute and item access, a runtime filter, a comparison), computes each value
once per message into a local (:meth:`ExprCodegen.assign`), escapes it once per output
flavour (:meth:`ExprCodegen.shown`) and falls back to a tiny sandboxed Jinja template for
anything else. :class:`tplkit.codegen.Codegen` adds the statements.

Every literal reaches the generated source through ``repr`` and every callable through the
namespace, so template text can never become code.
"""
from __future__ import annotations

import copy
import functools
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import nodes
from markupsafe import escape

from .boundfilters import bound
from .escaping import escape_str
from .schema import Record
from .textgen import Unsupported
from .wrapping import (
    BLANK_RUN,
    FILL,
    SIMPLE_TEST,
    TEXTWRAP_SPACE,
    collapse,
    finish_text,
    finish_wrapped,
    greedy,
    rewrap,
)

_CONST_TYPES = (str, int, float, bool, type(None))
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=",
            "in": "in", "notin": "not in"}


class ExprCodegen:
    """The state of one render function being generated, and its expressions."""

    def __init__(self, envs: Mapping[bool, Any], globals_: Mapping[str, Any],
                 names: Sequence[str], filters: Sequence[str]) -> None:
        self.envs = envs
        self.globals = dict(globals_)
        self.names = frozenset(names)
        self.filters = frozenset(filters)
        self.lines: list[str] = []
        self.skeleton: list[str] = []   # a part's static text, for collapsed()
        self.shows: list[str] = []      # and the locals it shows
        self.ns: dict[str, Any] = {
            "_escape": escape, "_collapse": collapse, "_escape_str": escape_str, "_rewrap": rewrap,
            "_tw_space": TEXTWRAP_SPACE.search,
            "_blank_run": BLANK_RUN.search, "_greedy": greedy, "_FILL": FILL,
            "_finish_wrapped": finish_wrapped, "_finish_text": finish_text,
            "_getattr": envs[True].getattr, "_getitem": envs[True].getitem,
            "_field": functools.partial(_field, envs[True].getattr), "_Record": Record}
        self.bound: dict[Callable, str] = {}  # filters bound to a locale -> their local
        self.loop_memo = False              # bound filters in loops kept per item (_lm)
        self.avail: dict[tuple, str] = {}   # values computed on every path to this point
        self.vars: dict[tuple, str] = {}    # every value's local, wherever it is computed
        self.lazy: list[str] = []           # locals first computed inside a branch
        self.counter = 0
        self.fallbacks = 0
        self.part_name = ""
        self.where = ""                     # "<part>:<line>" being generated, for each line
        self.loop_vars: dict[str, str] = {}  # a {% for %} variable -> its Python local
        self.loop_info: tuple[str, str] | None = None   # the innermost loop's index, length
        self.in_loop = 0

    def at(self, part: str, node: nodes.Node | None = None) -> None:
        """Say which part (and line of its runtime source) the next lines come from."""
        line = getattr(node, "lineno", None) if node is not None else 1
        if line or not self.where.startswith(f"{part}:"):
            self.where = f"{part}:{line or 1}"

    # --- helpers -----------------------------------------------------------------------------

    def var(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def bind(self, value: Any, prefix: str) -> str:
        name = self.var(prefix)
        self.ns[name] = value
        return name

    def snapshot(self) -> tuple[int, dict, dict, int]:
        """Where generation stands, for :meth:`restore` to undo what follows."""
        return len(self.lines), dict(self.avail), dict(self.vars), len(self.lazy)

    def restore(self, snap: tuple[int, dict, dict, int]) -> None:
        mark, avail, nvars, nlazy = snap
        del self.lines[mark:], self.lazy[nlazy:]
        self.avail, self.vars = avail, nvars

    def emit(self, depth: int, line: str) -> None:
        """Append a line of code; its comment names the part and line it comes from."""
        self.lines.append(f"{'    ' * depth}{line}  # {self.where}")

    def tiny(self, body: list, autoescape: bool):
        """A sandboxed Jinja template rendering ``body`` (the fallback for one node)."""
        self.fallbacks += 1
        tpl = nodes.Template(copy.deepcopy(body), lineno=1)
        tpl.set_environment(self.envs[autoescape])
        return self.envs[autoescape].from_string(tpl, globals=self.globals)

    # --- expressions -------------------------------------------------------------------------

    def expr(self, node: nodes.Node, depth: int, hoist: bool) -> str:
        """Python source for a raw value; hoisted (memoised) when evaluated unconditionally."""
        key = ("raw", repr(node))
        if key in self.avail:
            return self.avail[key]
        src = self._expr(node, depth, hoist)
        if not hoist or isinstance(node, nodes.Const):
            return src
        return self.assign(key, "r", src, depth)

    def assign(self, key: tuple, prefix: str, src: str, depth: int) -> str:
        """Compute ``src`` into the local for ``key``: once per message, even when the
        value is first needed inside different branches (a lazy local guarded by ``_M``)."""
        if self.in_loop:  # a loop body: computed per item, never kept for later use
            local = self.var(prefix)
            self.emit(depth, f"{local} = {src}")
            self.avail[key] = local
            return local
        name = self.vars.get(key)
        if name is None:
            name = self.vars[key] = self.var(prefix)
            if depth > 1:
                self.lazy.append(name)
            self.emit(depth, f"{name} = {src}")
        elif name in self.lazy:
            self.emit(depth, f"if {name} is _M: {name} = {src}")
        else:  # assigned on a path that does not reach here (e.g. a fallback was undone)
            self.emit(depth, f"{name} = {src}")
        self.avail[key] = name
        return name

    def _expr(self, node: nodes.Node, depth: int, hoist: bool) -> str:
        if isinstance(node, nodes.Const):
            if type(node.value) not in _CONST_TYPES:
                raise Unsupported(node)
            return repr(node.value)
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in self.loop_vars:
                return self.loop_vars[node.name]
            if node.ctx != "load" or node.name not in self.names or node.name == "loop" and self.in_loop:
                raise Unsupported(node)
            return f"_v[{node.name!r}]"
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and node.node.name == "loop" and "loop" not in self.loop_vars and self.loop_info):
            i, n = self.loop_info
            attrs = {"index": f"({i} + 1)", "index0": i, "first": f"({i} == 0)",
                     "last": f"({i} == {n} - 1)", "length": n, "revindex": f"({n} - {i})",
                     "revindex0": f"({n} - {i} - 1)"}
            if node.attr not in attrs:
                raise Unsupported(node)
            return attrs[node.attr]
        if isinstance(node, nodes.Getattr):
            obj, attr = self.expr(node.node, depth, hoist), repr(node.attr)
            if node.attr.startswith("_"):
                return f"_getattr({obj}, {attr})"
            if obj.isidentifier():   # _field inline: a validated object's field, or the sandbox
                return (f"({obj}.__dict__[{attr}] if type({obj}) is _Record and {attr} in {obj}.__dict__ "
                        f"else _getattr({obj}, {attr}))")
            return f"_field({obj}, {attr})"
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Slice):
                raise Unsupported(node)
            return f"_getitem({self.expr(node.node, depth, hoist)}, {self.expr(node.arg, depth, hoist)})"
        if isinstance(node, nodes.Filter):
            return self._filter(node, depth, hoist)
        if isinstance(node, nodes.Call):
            fn = node.node
            if (isinstance(fn, nodes.Name) and fn.name in self.globals and fn.name not in self.names
                    and len(node.args) == 1 and not node.kwargs and node.dyn_args is None
                    and node.dyn_kwargs is None):
                f = f"_g_{fn.name}"
                self.ns[f] = self.globals[fn.name]
                return f"{f}({self.expr(node.args[0], depth, hoist)})"
            raise Unsupported(node)
        if isinstance(node, nodes.Compare):
            out = self.expr(node.expr, depth, hoist)
            if len(node.ops) != 1 or node.ops[0].op not in _COMPARE:
                raise Unsupported(node)
            op = node.ops[0]
            return f"({out} {_COMPARE[op.op]} {self.expr(op.expr, depth, hoist)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node, depth, hoist)})"
        if isinstance(node, (nodes.And, nodes.Or)):
            # the right operand is evaluated only when needed: never hoist it
            word = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.expr(node.left, depth, hoist)} {word} {self.expr(node.right, depth, False)})"
        raise Unsupported(node)

    def _filter(self, node: nodes.Filter, depth: int, hoist: bool) -> str:
        env = self.envs[True]
        func = env.filters.get(node.name)
        if (node.name not in self.filters or func is None or node.node is None
                or getattr(func, "jinja_pass_arg", None) is not None
                or node.dyn_args is not None or node.dyn_kwargs is not None):
            raise Unsupported(node)
        args = [self.expr(node.node, depth, hoist)]
        one = node.kwargs[0] if len(node.kwargs) == 1 and not node.args else None
        if one is not None and one.key == "locale" and isinstance(one.value, nodes.Const):
            fast = bound(func, one.value.value)   # the filter bound to the template's locale
            if fast is not None:
                name = self.bound.get(fast) or self.bound.setdefault(fast, self.bind(fast, f"_b_{node.name}"))
                if self.in_loop and self.loop_memo and args[0].isidentifier():
                    # the HTML and the text part loop over the same items: each item's text
                    # is made once, kept per message with the item (so its id stays its own)
                    key = f"({name!r}, id({args[0]}))"
                    return (f"(_lm[_k][1] if (_k := {key}) in _lm "
                            f"else _lm.setdefault(_k, ({args[0]}, {name}({args[0]})))[1])")
                return f"{name}({args[0]})"
        args += [self.expr(a, depth, hoist) for a in node.args]
        for kw in node.kwargs:
            key = kw.key if isinstance(kw.key, str) else ""
            if not key.isidentifier() or keyword.iskeyword(key):
                raise Unsupported(node)
            args.append(f"{key}={self.expr(kw.value, depth, hoist)}")
        f = self.ns_filter(node.name, func)
        return f"{f}({', '.join(args)})"

    def ns_filter(self, name: str, func: Callable) -> str:
        key = f"_f_{name}"
        self.ns[key] = func
        return key

    def shown(self, node: nodes.Node, depth: int, autoescape: bool) -> str:
        """A local holding the value as printed in an HTML or a text part."""
        key = ("html" if autoescape else "text", repr(node))
        if key in self.avail:
            return self.avail[key]
        snap = self.snapshot()
        try:
            raw = self.expr(node, depth, True)
            slow = f"{'_escape' if autoescape else 'str'}(_fin({raw}))"
            if raw.isidentifier():  # a local: a plain str (most values) skips the generic path
                fast = f"_escape_str({raw})" if autoescape else raw
                src = f"({fast} if type({raw}) is str else {slow})"
            else:
                src = slow
        except Unsupported:
            if self.in_loop:  # a fallback template would not see the loop's variables
                raise
            self.restore(snap)
            tpl = self.tiny([nodes.Output([node])], autoescape)
            src = f"{self.bind(tpl.render, '_j')}(_v)"
        return self.assign(key, "h" if autoescape else "t", src, depth)

    def test(self, node: nodes.Node, depth: int) -> str:
        snap = self.snapshot()
        try:
            return self.expr(node, depth, True)
        except Unsupported:
            if self.in_loop:
                raise
            self.restore(snap)
            tpl = self.tiny([nodes.If(node, [nodes.Output([nodes.TemplateData("1")])], [], [])], False)
            return f"({self.bind(tpl.render, '_j')}(_v) == '1')"

    def simple(self, src: str, depth: int, lazy: bool = False) -> str:
        """An expression saying whether the string in local ``src`` is
        :func:`tplkit.wrapping.simple` (non-empty, no white space at either end, words apart
        by single spaces only), tested at most once per message (per item in a loop). With
        ``lazy`` (a test only some messages need) it is tested where first needed (a lazy
        local), else now."""
        key = ("simple", src)
        if key in self.avail:
            return self.avail[key]
        test = SIMPLE_TEST.format(s=src)
        if not lazy:
            return self.assign(key, "k", test, depth)
        name = self.vars.get(key)
        if self.in_loop or (name is not None and name not in self.lazy):
            return test
        if name is None:
            name = self.vars[key] = self.var("k")
            self.lazy.append(name)
        return f"({name} if {name} is not _M else ({name} := {test}))"


def _field(getattr_: Callable[[Any, str], Any], obj: Any, name: str) -> Any:
    """``obj.name`` as the sandbox's ``getattr_`` gives it, straight from the fields of a
    validated object (a :class:`~tplkit.schema.Record`, plain data the sandbox would let
    through anyway); anything else goes through the sandbox."""
    if type(obj) is Record:
        fields = obj.__dict__
        if name in fields:
            return fields[name]
    return getattr_(obj, name)
