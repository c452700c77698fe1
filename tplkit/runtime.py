"""The per-message fast path: runtime templates as static chunks plus value slots.

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

import ast
import copy
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import nodes
from markupsafe import escape

from .text import (_BLANK_RUN, _TEXTWRAP_SPACE, FILL, SIMPLE_TEST, WIDTH, LinePlan, _wrap, collapse, finish_text, finish_wrapped,
                   greedy, rewrap)

try:  # the C escaper behind markupsafe.escape, without the Markup wrapper (~15x cheaper)
    from markupsafe import _escape_inner as _escape_str
except ImportError:  # pragma: no cover - other markupsafe versions
    def _escape_str(s: str) -> str:
        return str(escape(s))

PARTS = ("subject", "preheader", "html", "text")
_CONST_TYPES = (str, int, float, bool, type(None))
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=",
            "in": "in", "notin": "not in"}


class _Unsupported(Exception):
    """The node is outside the fast path's subset."""


class _Codegen:
    """Generates the fast render function for the parts of one compiled template."""

    def __init__(self, envs: Mapping[bool, Any], globals_: Mapping[str, Any],
                 names: Sequence[str], filters: Sequence[str], label: str) -> None:
        self.envs = envs
        self.globals = dict(globals_)
        self.names = frozenset(names)
        self.filters = frozenset(filters)
        self.label = label
        self.lines: list[str] = []
        self.skeleton: list[str] = []   # a part's static text, for collapsed()
        self.shows: list[str] = []      # and the locals it shows
        self.ns: dict[str, Any] = {"_escape": escape, "_collapse": collapse, "_escape_str": _escape_str,
                                   "_rewrap": rewrap, "_tw_space": _TEXTWRAP_SPACE.search, "_greedy": greedy, "_FILL": FILL, "_finish_wrapped": finish_wrapped, "_finish_text": finish_text,
                                   "_getattr": envs[True].getattr,
                                   "_getitem": envs[True].getitem}
        self.avail: dict[tuple, str] = {}   # values computed on every path to this point
        self.vars: dict[tuple, str] = {}    # every value's local, wherever it is computed
        self.lazy: list[str] = []           # locals first computed inside a branch
        self.counter = 0
        self.fallbacks = 0

    # --- helpers -----------------------------------------------------------------------------

    def var(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def bind(self, value: Any, prefix: str) -> str:
        name = self.var(prefix)
        self.ns[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

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
                raise _Unsupported(node)
            return repr(node.value)
        if isinstance(node, nodes.Name):
            if node.ctx != "load" or node.name not in self.names:
                raise _Unsupported(node)
            return f"_v[{node.name!r}]"
        if isinstance(node, nodes.Getattr):
            return f"_getattr({self.expr(node.node, depth, hoist)}, {node.attr!r})"
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Slice):
                raise _Unsupported(node)
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
            raise _Unsupported(node)
        if isinstance(node, nodes.Compare):
            out = self.expr(node.expr, depth, hoist)
            if len(node.ops) != 1 or node.ops[0].op not in _COMPARE:
                raise _Unsupported(node)
            op = node.ops[0]
            return f"({out} {_COMPARE[op.op]} {self.expr(op.expr, depth, hoist)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node, depth, hoist)})"
        if isinstance(node, (nodes.And, nodes.Or)):
            # the right operand is evaluated only when needed: never hoist it
            word = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.expr(node.left, depth, hoist)} {word} {self.expr(node.right, depth, False)})"
        raise _Unsupported(node)

    def _filter(self, node: nodes.Filter, depth: int, hoist: bool) -> str:
        env = self.envs[True]
        func = env.filters.get(node.name)
        if (node.name not in self.filters or func is None or node.node is None
                or getattr(func, "jinja_pass_arg", None) is not None
                or node.dyn_args is not None or node.dyn_kwargs is not None):
            raise _Unsupported(node)
        args = [self.expr(node.node, depth, hoist)]
        args += [self.expr(a, depth, hoist) for a in node.args]
        for kw in node.kwargs:
            if not kw.key.isidentifier() or keyword.iskeyword(kw.key):
                raise _Unsupported(node)
            args.append(f"{kw.key}={self.expr(kw.value, depth, hoist)}")
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
        mark, avail, nvars, nlazy = len(self.lines), dict(self.avail), dict(self.vars), len(self.lazy)
        try:
            raw = self.expr(node, depth, True)
            slow = f"{'_escape' if autoescape else 'str'}(_fin({raw}))"
            if raw.isidentifier():  # a local: a plain str (most values) skips the generic path
                fast = f"_escape_str({raw})" if autoescape else raw
                src = f"({fast} if type({raw}) is str else {slow})"
            else:
                src = slow
        except _Unsupported:
            del self.lines[mark:], self.lazy[nlazy:]
            self.avail, self.vars = avail, nvars
            tpl = self.tiny([nodes.Output([node])], autoescape)
            src = f"{self.bind(tpl.render, '_j')}(_v)"
        return self.assign(key, "h" if autoescape else "t", src, depth)

    def test(self, node: nodes.Node, depth: int) -> str:
        mark, avail, nvars, nlazy = len(self.lines), dict(self.avail), dict(self.vars), len(self.lazy)
        try:
            return self.expr(node, depth, True)
        except _Unsupported:
            del self.lines[mark:], self.lazy[nlazy:]
            self.avail, self.vars = avail, nvars
            tpl = self.tiny([nodes.If(node, [nodes.Output([nodes.TemplateData("1")])], [], [])], False)
            return f"({self.bind(tpl.render, '_j')}(_v) == '1')"

    # --- statements ----------------------------------------------------------------------------

    def body(self, body: list, depth: int, autoescape: bool) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                items = self.items(node, depth, autoescape)
                if items:
                    self.emit(depth, f"_o += ({', '.join(items)},)")
            elif isinstance(node, nodes.If):
                self.skeleton.append("\n")   # stands for "may hold anything": not collapsed
                self.if_(node, depth, autoescape)
            else:
                raise _Unsupported(node)

    def items(self, node: nodes.Output, depth: int, autoescape: bool) -> list[str]:
        """Source expressions for what one output node prints."""
        items = []
        for child in node.nodes:
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

    def branch(self, body: list, depth: int, autoescape: bool) -> None:
        mark = len(self.lines)
        self.body(body, depth, autoescape)
        if len(self.lines) == mark:
            self.emit(depth, "pass")

    # --- the function --------------------------------------------------------------------------

    def part(self, part: str, template: nodes.Template, autoescape: bool, jinja: Callable) -> None:
        """Emit the code producing ``part`` into the local ``p_<part>``."""
        start, avail, nvars, nlazy = len(self.lines), dict(self.avail), dict(self.vars), len(self.lazy)
        try:
            if part == "text":
                _TextCodegen(self).part(template)
            else:
                self.skeleton, self.shows = [], []
                if all(isinstance(node, nodes.Output) for node in template.body):  # no {% if %}
                    items = [x for node in template.body for x in self.items(node, 1, autoescape)]
                    self.emit(1, f"p_{part} = ''.join(({', '.join(items)},))" if items
                              else f"p_{part} = ''")
                else:
                    self.emit(1, "_o = []")
                    self.body(template.body, 1, autoescape)
                    self.emit(1, f"p_{part} = ''.join(_o)")
                if part in ("subject", "preheader"):
                    self.collapsed(part)
        except _Unsupported:
            del self.lines[start:], self.lazy[nlazy:]
            self.avail, self.vars = avail, nvars
            self.fallbacks += 1
            finish = "_finish_text" if part == "text" else ""
            self.emit(1, f"p_{part} = {finish}({self.bind(jinja, '_j')}(_v))")


    def collapsed(self, part: str) -> None:
        """White space collapsed in a one-line part (subject, preheader). The static text
        already is; single-spaced values (see :meth:`simple`) keep it so."""
        skeleton = "".join(self.skeleton)
        if collapse(skeleton) != skeleton:
            self.emit(1, f"p_{part} = _collapse(p_{part})")
        elif self.shows:
            clean = " and ".join(self.simple(src, 1) for src in dict.fromkeys(self.shows))
            self.emit(1, f"if not ({clean}): p_{part} = _collapse(p_{part})")

    def simple(self, src: str, depth: int) -> str:
        """A local saying whether the string in local ``src`` is :func:`tplkit.text.simple`:
        non-empty, no white space at either end, words apart by single spaces only."""
        key = ("simple", src)
        return self.avail.get(key) or self.assign(key, "k", SIMPLE_TEST.format(s=src), depth)


class _Line:
    """Where the text part's code generation stands: the current line's pieces not yet
    emitted (source expressions, with their text when static) and output items to append.

    ``runtime`` says the line began before the current straight run of code (before an
    ``{% if %}``): its first pieces are then in the runtime list ``_l``.
    """

    def __init__(self, runtime: bool) -> None:
        self.pending: list[tuple[str, str | None]] = []
        self.out: list[str] = []
        self.static_end = False   # whether out[-1] is static text (a string literal)
        self.runtime = runtime


class _TextCodegen:
    """The text part, wrapped line by line as it is built.

    The plain-text part is re-wrapped at 78 columns once the values are in. Instead of
    splitting the finished text into lines, the code keeps track of lines as it builds them:
    a line wholly inside static text is wrapped now, at compile time; only a line holding a
    value (or crossing an ``{% if %}``) is wrapped per message, and only when it is longer
    than 78 characters. The result equals :func:`tplkit.text.rewrap` of the whole text.
    """

    def __init__(self, gen: "_Codegen") -> None:
        self.gen = gen
        # Whether a run of blank lines may appear (finish_wrapped then collapses it): the
        # static text with every value-holding line as "x" tells, unless an {% if %} can
        # drop lines, a line may be blank, or (checked per message) a value holds a break.
        self.skeleton: list[str] = []
        self.blank_runs = False
        self.values: dict[str, None] = {}

    def part(self, template: nodes.Template) -> None:
        gen = self.gen
        gen.emit(1, "_o = []")
        gen.emit(1, "_l = []")
        line = _Line(runtime=False)
        self.body(template.body, 1, line)
        self.flush(line, 1)
        if line.out and line.static_end:  # end the text with "\n" instead of white space
            line.out[-1] = repr(ast.literal_eval(line.out[-1]).rstrip() + "\n")
        else:
            line.out.append(repr("\n"))
        self.emit_out(line, 1)
        if self.blank_runs or _BLANK_RUN.search("".join(self.skeleton)):
            runs = "True"
        else:  # a value with a line break (a simple one has none) could still make one
            runs = " or ".join(f"not {gen.avail[('simple', src)]}" if ("simple", src) in gen.avail
                               else f"'\\n' in {src}" for src in self.values) or "False"
        # finish_wrapped (strip, collapse blank runs, end with one line break) has nothing
        # to do, and no copy to make, when the text has no white space at either end
        gen.emit(1, "p_text = ''.join(_o)")
        gen.emit(1, f"if {runs} or p_text[:1].isspace() or p_text[-2:-1].isspace():")
        gen.emit(2, f"p_text = _finish_wrapped(p_text[:-1], {runs})")

    def body(self, body: list, depth: int, line: _Line) -> None:
        gen = self.gen
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData):
                        self.static(child.data, depth, line)
                    elif isinstance(child, nodes.Const):
                        text = gen.tiny([nodes.Output([child])], False).render()
                        gen.fallbacks -= 1   # evaluated once, now: not a runtime fallback
                        self.static(text, depth, line)
                    else:
                        src = gen.shown(child, depth, False)
                        self.values[src] = None
                        line.pending.append((src, None))
            elif isinstance(node, nodes.If):
                self.if_(node, depth, line)
            else:
                raise _Unsupported(node)

    def static(self, data: str, depth: int, line: _Line) -> None:
        if "\n" not in data:
            if data:
                line.pending.append((repr(data), data))
            return
        first, *middle, last = data.split("\n")
        if first:
            line.pending.append((repr(first), first))
        self.flush(line, depth)
        inner = "\n" + "".join(_wrap_static(m) + "\n" for m in middle)
        line.out.append(repr(inner))
        line.static_end = True
        self.skeleton.append(inner)
        if last:
            line.pending.append((repr(last), last))

    def flush(self, line: _Line, depth: int) -> None:
        """End the current line: append it, wrapped, to the output."""
        pending, line.pending = line.pending, []
        if line.runtime:
            if pending:
                self.gen.emit(depth, f"_l += ({', '.join(src for src, _ in pending)},)")
            line.out.append("_rewrap(''.join(_l))")
            line.static_end = False
            self.blank_runs = True  # (only after an {% if %}, which sets it anyway)
            self.emit_out(line, depth)
            self.gen.emit(depth, "_l = []")
            line.runtime = False
        elif all(text is not None for _, text in pending):
            text = _wrap_static("".join(text for _, text in pending))  # type: ignore[misc]
            if text:
                line.out.append(repr(text))
                line.static_end = True
                self.skeleton.append(text)
        else:  # static text around values: line_wrap wraps only what can change
            srcs: list[str] = []
            statics = [""]
            for src, text in pending:
                if text is None:
                    srcs.append(src)
                    statics.append("")
                else:
                    statics[-1] += text
            self.wrapped(LinePlan(statics), srcs, depth, line)
            self.skeleton.append("x")
            if not any(t.strip(" \t") for _, t in pending if t is not None):
                self.blank_runs = True  # only values: the line may be blank

    def wrapped(self, plan: LinePlan, srcs: list[str], depth: int, line: _Line) -> None:
        """Emit the code wrapping one line of values and static text (see LinePlan). Its
        pieces go straight to the output list, so long static text is copied once."""
        gen = self.gen
        pre, line.out = line.out, []   # output waiting before the line: it goes out with it
        line.static_end = False
        runs = [[srcs[x] if isinstance(x, int) else repr(x) for x in run] for run in plan.runs]
        statics = [plan.head, *plan.statics]
        whole = [repr(statics[0])] + [x for run, static in zip(runs, statics[1:])
                                      for x in (*run, repr(static))]
        whole = [x for x in whole if x != "''"]
        if not plan.fast:
            gen.emit(depth, f"_o += ({', '.join(_merged([*pre, f'_rewrap({self.join(whole)})']))},)")
            return
        clean = " and ".join(gen.simple(src, depth) for src in dict.fromkeys(srcs))
        if len(runs) == 1:
            # short enough as it is (the values' length decides): the pieces as they are
            room = WIDTH - plan.fixed - sum(len(x) for x in plan.runs[0] if isinstance(x, str))
            if room >= 0:
                size = " + ".join(f"len({src})" for src in srcs)
                gen.emit(depth, f"if {size} <= {room}: _o += ({', '.join(_merged([*pre, *whole]))},)")
                gen.emit(depth, f"elif {clean}:")
            else:
                gen.emit(depth, f"if {clean}:")
        else:  # a long stretch of static words inside: always longer than a line
            gen.emit(depth, f"if {clean}:")
        # the runs: the first after the prefix's last line, each next one after a stretch
        # of static words that starts where the line stands (_FILL stands in for it)
        packed = [gen.bind(memo, "_pk") for memo in plan.packed]   # one name per kept stretch
        pack = gen.bind(plan.pack, "_pp")
        d = depth + 1
        pieces = [*pre, repr(plan.done)] if plan.done else [*pre]
        first = ([repr(plan.start)] if plan.start else []) + runs[0]
        piece = gen.var("s")
        gen.emit(d, f"{piece}, _z = _greedy({first[0] if len(first) == 1 else self.join(first)})")
        pieces.append(piece)
        for k, run in enumerate(runs[1:]):
            inner, piece = gen.var("s"), gen.var("s")
            gen.emit(d, f"{inner}, _z = {packed[k]}.get(_z) or {pack}({k}, _z)")
            gen.emit(d, f"_r = {run[0] if len(run) == 1 else self.join(run)}")
            gen.emit(d, f"if _z + len(_r) < {WIDTH}: {piece}, _z = ' ' + _r, _z + 1 + len(_r)")
            gen.emit(d, f"else: {piece}, _n = _greedy(_FILL[_z] + _r); {piece}, _z = {piece}[_z:], _n")
            pieces += (inner, piece)
        if plan.rest:
            pieces.append(f"({packed[-1]}.get(_z) or {pack}(-1, _z))[0]")
        gen.emit(d, f"_o += ({', '.join(_merged(pieces))},)")
        gen.emit(depth, "else:")
        gen.emit(d, f"_o += ({', '.join(_merged([*pre, f'_rewrap({self.join(whole)})']))},)")

    @staticmethod
    def join(items: list[str]) -> str:
        return f"''.join(({', '.join(_merged(items))},))"

    def emit_out(self, line: _Line, depth: int) -> None:
        if line.out:
            self.gen.emit(depth, f"_o += ({', '.join(_merged(line.out))},)")
            line.out = []

    def hand_over(self, line: _Line, depth: int) -> None:
        """Move what is pending into the runtime state (before a branch point or its end)."""
        self.emit_out(line, depth)
        if line.pending:
            self.gen.emit(depth, f"_l += ({', '.join(src for src, _ in line.pending)},)")
            line.pending = []

    def if_(self, node: nodes.If, depth: int, line: _Line) -> None:
        self.blank_runs = True
        self.hand_over(line, depth)
        self.gen.if_chain(node, depth, self.branch)
        line.runtime = True

    def branch(self, body: list, depth: int) -> None:
        mark = len(self.gen.lines)
        inner = _Line(runtime=True)
        self.body(body, depth, inner)
        self.hand_over(inner, depth)
        if len(self.gen.lines) == mark:
            self.gen.emit(depth, "pass")


def _merged(items: list[str]) -> list[str]:
    """Source items with neighbouring string literals made one (fewer pieces to join)."""
    out: list[str] = []
    for item in items:
        if out and item[:1] in "'\"" and out[-1][:1] in "'\"":
            out[-1] = repr(ast.literal_eval(out[-1]) + ast.literal_eval(item))
        else:
            out.append(item)
    return out


def _wrap_static(line: str) -> str:
    """A line of static text wrapped as :func:`tplkit.text.rewrap` would wrap it."""
    return _wrap(line) if len(line) > WIDTH else line


def compile_parts(trees: Mapping[str, nodes.Template], envs: Mapping[bool, Any],
                  jinja: Mapping[str, Callable[[Mapping[str, Any]], str]],
                  globals_: Mapping[str, Any], names: Sequence[str], filters: Sequence[str],
                  label: str) -> tuple[Callable[[Mapping[str, Any]], tuple], int]:
    """One function ``values -> (subject, preheader, html, text)`` for the parsed parts.

    ``jinja[part]`` renders a part with Jinja (used for a part the fast path cannot
    express). Returns the function and how many nodes/parts fall back to Jinja.
    """
    gen = _Codegen(envs, globals_, names, filters, label)
    gen.ns["_fin"] = envs[True].finalize
    gen.ns["_M"] = _M = object()  # "not computed yet" for lazy locals
    for part in PARTS:
        gen.part(part, trees[part], part == "html", jinja[part])
    init = [f"    {' = '.join(gen.lazy)} = _M"] if gen.lazy else []
    code = "def render(_v):\n" + "\n".join(init + gen.lines) + \
        f"\n    return ({', '.join('p_' + p for p in PARTS)})\n"
    exec(compile(code, f"<tplkit runtime {label}>", "exec"), gen.ns)  # noqa: S102 - see module doc
    fn = gen.ns["render"]
    fn.source = code  # type: ignore[attr-defined]  # for debugging and tests
    return fn, gen.fallbacks
