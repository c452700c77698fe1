"""Code generation: the compiled parts become one Python render function (the fast path).

After the build pass a runtime template holds only static text, ``{{ expr }}`` output tags,
``{% if %}`` chains on placeholders and ``{% raw %}`` blocks. :func:`compile_parts` turns the
four parts of one compiled template (subject, preheader, HTML, text) into *one* Python
function: static chunks are constants, each expression is evaluated once per message and
escaped once per output flavour (markupsafe for HTML, ``str`` for text), and every slot that
shows it reuses that string.

The generated code only ever does what the sandboxed Jinja runtime would do for the same
nodes: look up a declared placeholder, access attributes/items through the sandbox's own
``getattr``/``getitem`` (so its safety rules apply unchanged), call a known runtime filter
or the plural chooser, and compare/negate values in ``{% if %}`` tests. Every literal
reaches the generated source through ``repr`` and every callable through the namespace,
so template text can never become code. A node outside that set is rendered by a tiny
template compiled by the same :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`;
a part holding other statements is rendered by Jinja as a whole.
"""
from __future__ import annotations

import copy
import functools
import itertools
import keyword
import linecache
import re
import weakref
import zlib
from collections.abc import Callable, Mapping, Sequence
from types import CodeType
from typing import Any, Protocol

from jinja2 import nodes
from markupsafe import escape

from .boundfilters import bound
from .escaping import escape_str
from .schema import Record
from .store import PARTS
from .textgen import TextCodegen, Unsupported
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


class Codegen:
    """Generates the fast render function for the parts of one compiled template."""

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
            "_field": functools.partial(_field, envs[True].getattr)}
        self.bound: dict[Callable, str] = {}  # filters bound to a locale -> their local
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
            getattr_ = "_getattr" if node.attr.startswith("_") else "_field"
            return f"{getattr_}({self.expr(node.node, depth, hoist)}, {node.attr!r})"
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

    # --- statements ----------------------------------------------------------------------------

    def body(self, body: list, depth: int, autoescape: bool) -> None:
        for node in body:
            self.at(self.part_name, node)
            if isinstance(node, nodes.Output):
                items = self.items(node, depth, autoescape)
                if items:
                    self.emit(depth, f"_o += ({', '.join(items)},)")
            elif isinstance(node, nodes.If):
                self.skeleton.append("\n")   # stands for "may hold anything": not collapsed
                self.if_(node, depth, autoescape)
            elif isinstance(node, nodes.For):
                self.skeleton.append("\n")
                self.for_loop(node, depth, lambda body, d: self.branch(body, d, autoescape))
            else:
                raise Unsupported(node)

    def items(self, node: nodes.Output, depth: int, autoescape: bool) -> list[str]:
        """Source expressions for what one output node prints."""
        items = []
        for child in node.nodes:
            self.at(self.part_name, child)
            if isinstance(child, nodes.TemplateData):  # printed as is, like Jinja does
                text = child.data
            elif isinstance(child, nodes.Const):
                text = self.tiny([nodes.Output([child])], autoescape).render()
                self.fallbacks -= 1   # evaluated once, now: not a runtime fallback
            else:
                items.append(self.shown(child, depth, autoescape))
                self.shows.append(items[-1])
                self.skeleton.append("x")
                continue
            self.skeleton.append(text)
            if text:
                items.append(repr(text))
        return items

    def if_(self, node: nodes.If, depth: int, autoescape: bool) -> None:
        self.if_chain(node, depth, lambda body, d: self.branch(body, d, autoescape))

    def if_chain(self, node: nodes.If, depth: int, branch: Callable[[list, int], None]) -> None:
        """``if``/``else`` for an ``{% if %}`` (``elif`` becomes a nested ``if``); ``branch``
        emits a branch's body. A value computed inside one branch is not available after."""
        test = self.test(node.test, depth)
        saved = dict(self.avail)
        self.emit(depth, f"if {test}:")
        branch(node.body, depth + 1)
        self.avail = dict(saved)
        rest: list = []
        if node.elif_:
            first, *more = node.elif_
            rest = [nodes.If(first.test, first.body, more, node.else_, lineno=first.lineno)]
        elif node.else_:
            rest = node.else_
        if rest:
            self.emit(depth, "else:")
            branch(rest, depth + 1)
        self.avail = saved

    def for_loop(self, node: nodes.For, depth: int, branch: Callable[[list, int], None]) -> None:
        """A Python ``for`` for a runtime ``{% for %}`` over a placeholder list (and its
        ``{% else %}``); ``loop.index``, ``loop.last``, ... are the loop counter's arithmetic.
        Nothing computed inside the body is kept for later: it is per item."""
        if not isinstance(node.target, nodes.Name) or node.test is not None or node.recursive:
            raise Unsupported(node)
        seq = self.var("q")
        self.emit(depth, f"{seq} = list({self.expr(node.iter, depth, True)})")
        i, n, x = self.var("i"), self.var("n"), self.var("x")
        self.emit(depth, f"{n} = len({seq})")
        saved = self.avail, self.loop_vars, self.loop_info
        self.avail, self.loop_info = {}, (i, n)
        self.loop_vars = {k: v for k, v in self.loop_vars.items() if k != "loop"}
        self.loop_vars[node.target.name] = x
        self.in_loop += 1
        try:
            self.emit(depth, f"for {i}, {x} in enumerate({seq}):")
            branch(node.body, depth + 1)
        finally:
            self.in_loop -= 1
            self.avail, self.loop_vars, self.loop_info = saved
        if node.else_:
            self.emit(depth, f"if not {n}:")
            branch(node.else_, depth + 1)

    def branch(self, body: list, depth: int, autoescape: bool) -> None:
        mark = len(self.lines)
        self.body(body, depth, autoescape)
        if len(self.lines) == mark:
            self.emit(depth, "pass")

    # --- the function --------------------------------------------------------------------------

    def part(self, part: str, template: nodes.Template, autoescape: bool, jinja: Callable) -> None:
        """Emit the code producing ``part`` into the local ``p_<part>``."""
        snap = self.snapshot()
        self.part_name = part
        self.at(part)
        try:
            if part == "text":
                TextCodegen(self).part(template)
            else:
                self.skeleton, self.shows = [], []
                if all(isinstance(node, nodes.Output) for node in template.body):  # no {% if %}
                    items = [x for node in template.body if isinstance(node, nodes.Output)
                             for x in self.items(node, 1, autoescape)]
                    self.emit(1, f"p_{part} = ''.join(({', '.join(items)},))" if items
                              else f"p_{part} = ''")
                else:
                    self.emit(1, "_o = []")
                    self.body(template.body, 1, autoescape)
                    self.emit(1, f"p_{part} = ''.join(_o)")
                if part in ("subject", "preheader"):
                    self.collapsed(part)
        except Unsupported:
            self.restore(snap)
            self.fallbacks += 1
            self.at(part)
            finish = "_finish_text" if part == "text" else ""
            self.emit(1, f"p_{part} = {finish}({self.bind(jinja, '_j')}(_v))")


    def collapsed(self, part: str) -> None:
        """White space collapsed in a one-line part (subject, preheader). The static text
        already is; single-spaced values (see :meth:`simple`) keep it so."""
        skeleton = "".join(self.skeleton)
        if collapse(skeleton) != skeleton:
            self.emit(1, f"p_{part} = _collapse(p_{part})")
        elif self.shows:   # single-spaced values keep it so (the text part reuses the tests)
            clean = " and ".join(self.simple(src, 1) for src in dict.fromkeys(self.shows))
            self.emit(1, f"if not ({clean}): p_{part} = _collapse(p_{part})")

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


_serial = itertools.count(1)
_WHERE = re.compile(r"  # (\w+):(\d+)$")


class RenderFunction(Protocol):
    """The generated ``render(values) -> (subject, preheader, html, text)``."""

    source_z: bytes  # its Python source, zlib-compressed (see :func:`source_of`)
    __code__: CodeType

    def __call__(self, values: Mapping[str, Any], /) -> tuple[str, str, str, str]: ...


def compile_parts(trees: Mapping[str, nodes.Template], envs: Mapping[bool, Any],
                  jinja: Mapping[str, Callable[[Mapping[str, Any]], str]],
                  globals_: Mapping[str, Any], names: Sequence[str], filters: Sequence[str],
                  label: str) -> tuple[RenderFunction, int]:
    """One function ``values -> (subject, preheader, html, text)`` for the parsed parts.

    ``jinja[part]`` renders a part with Jinja (used for a part the fast path cannot
    express). Returns the function and how many nodes/parts fall back to Jinja. The source
    is registered in :mod:`linecache` under the function's file name (``<tplkit LABEL #N>``)
    when first read (:func:`source_of`: an error passing through :func:`origin` reads it),
    so tracebacks and debuggers show it; :func:`origin` maps a line of it back to a part and
    a line of that part's runtime source.
    """
    gen = Codegen(envs, globals_, names, filters)
    gen.ns["_fin"] = envs[True].finalize
    gen.ns["_M"] = _M = object()  # "not computed yet" for lazy locals
    for part in PARTS:
        gen.part(part, trees[part], part == "html", jinja[part])
    init = [f"    {' = '.join(gen.lazy)} = _M"] if gen.lazy else []
    code = "def render(_v):\n" + "\n".join(init + gen.lines) + \
        f"\n    return ({', '.join('p_' + p for p in PARTS)})\n"
    filename = f"<tplkit {label} #{next(_serial)}>"
    exec(compile(code, filename, "exec"), gen.ns)  # noqa: S102 - see module doc
    fn = gen.ns["render"]
    # the source repeats every static chunk: kept compressed (a tenth of the size), put in
    # linecache when something reads it (an error passing through origin(), Compiled.code)
    fn.source_z = zlib.compress(code.encode("utf-8"), 1)
    weakref.finalize(fn, linecache.cache.pop, filename, None)  # dropped with the function
    return fn, gen.fallbacks


def source_of(fn: RenderFunction) -> str:
    """The Python source of a generated function, registered in :mod:`linecache` under its
    file name (so tracebacks and debuggers show it from then on)."""
    filename = fn.__code__.co_filename
    entry = linecache.cache.get(filename)
    if entry is not None and len(entry) == 4:
        return "".join(entry[2])
    code = zlib.decompress(fn.source_z).decode("utf-8")
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return code


def origin(exc: BaseException, fn: RenderFunction) -> tuple[str, int] | None:
    """(part, line of the part's runtime source) where ``exc`` left the generated ``fn``,
    or None when it did not pass through it."""
    filename = fn.__code__.co_filename
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    if found is None:
        return None
    lines = source_of(fn).splitlines()
    m = _WHERE.search(lines[found - 1]) if 0 < found <= len(lines) else None
    return (m.group(1), int(m.group(2))) if m else None
