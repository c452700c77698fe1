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

import itertools
import linecache
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import nodes

from .exprgen import ExprCodegen
from .rendersource import RenderFunction, compressed, origin, source_of
from .store import PARTS
from .textgen import TextCodegen, Unsupported
from .wrapping import collapse

__all__ = ["Codegen", "RenderFunction", "compile_parts", "origin", "source_of"]


class Codegen(ExprCodegen):
    """Generates the fast render function for the parts of one compiled template: the
    statements (output, ``{% if %}``, ``{% for %}``) and the parts; the expressions are
    :class:`~tplkit.exprgen.ExprCodegen`'s, the text part :class:`~tplkit.textgen.TextCodegen`'s."""

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
                    self.emit(1, f"h_{part} = ({', '.join(items)},)" if items else f"h_{part} = ()")
                else:
                    self.emit(1, f"h_{part} = _o = []")
                    self.body(template.body, 1, autoescape)
                self.emit(1, f"p_{part} = ''.join(h_{part})")
                if part in ("subject", "preheader"):
                    self.collapsed(part)
        except Unsupported:
            self.restore(snap)
            self.fallbacks += 1
            self.at(part)
            finish = "_finish_text" if part == "text" else ""
            self.emit(1, f"p_{part} = {finish}({self.bind(jinja, '_j')}(_v))")
            if part == "html":
                self.emit(1, "h_html = (p_html,)")

    def collapsed(self, part: str) -> None:
        """White space collapsed in a one-line part (subject, preheader). The static text
        already is; single-spaced values (see :meth:`simple`) keep it so."""
        skeleton = "".join(self.skeleton)
        if collapse(skeleton) != skeleton:
            self.emit(1, f"p_{part} = _collapse(p_{part})")
        elif self.shows:   # single-spaced values keep it so (the text part reuses the tests)
            clean = " and ".join(self.simple(src, 1) for src in dict.fromkeys(self.shows))
            self.emit(1, f"if not ({clean}): p_{part} = _collapse(p_{part})")


_serial = itertools.count(1)


def compile_parts(trees: Mapping[str, nodes.Template], envs: Mapping[bool, Any],
                  jinja: Mapping[str, Callable[[Mapping[str, Any]], str]],
                  globals_: Mapping[str, Any], names: Sequence[str], filters: Sequence[str],
                  label: str) -> tuple[RenderFunction, int]:
    """One function ``values -> (subject, preheader, html, text, html_pieces)`` for the
    parsed parts (see :class:`RenderFunction`).

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
    gen.loop_memo = all(any(True for _ in trees[p].find_all(nodes.For)) for p in ("html", "text"))
    for part in PARTS:
        gen.part(part, trees[part], part == "html", jinja[part])
    init = [f"    {' = '.join(gen.lazy)} = _M"] if gen.lazy else []
    if gen.loop_memo:
        init.append("    _lm = {}")
    code = "def render(_v):\n" + "\n".join(init + gen.lines) + \
        f"\n    return ({', '.join('p_' + p for p in PARTS)}, h_html)\n"
    filename = f"<tplkit {label} #{next(_serial)}>"
    exec(compile(code, filename, "exec"), gen.ns)  # noqa: S102 - see module doc
    fn = gen.ns["render"]
    # the source repeats every static chunk: kept compressed (a tenth of the size), put in
    # linecache when something reads it (an error passing through origin(), Compiled.code)
    fn.source_z = compressed(code)
    weakref.finalize(fn, linecache.cache.pop, filename, None)  # dropped with the function
    return fn, gen.fallbacks
