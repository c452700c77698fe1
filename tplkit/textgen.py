"""Code generation for the plain-text part: wrapped at 78 columns line by line as it is built.

Part of :mod:`tplkit.codegen` (which calls :class:`TextCodegen` for the text part); kept in
its own module because line wrapping is a concern of its own.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from jinja2 import nodes

from .wrapping import BLANK_RUN, WIDTH, LinePlan, wrap

if TYPE_CHECKING:
    from .codegen import Codegen


class Unsupported(Exception):
    """The node is outside the fast path's subset (the part or node falls back to Jinja)."""


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


class TextCodegen:
    """The text part, wrapped line by line as it is built.

    The plain-text part is re-wrapped at 78 columns once the values are in. Instead of
    splitting the finished text into lines, the code keeps track of lines as it builds them:
    a line wholly inside static text is wrapped now, at compile time; only a line holding a
    value (or crossing an ``{% if %}``) is wrapped per message, and only when it is longer
    than 78 characters. The result equals :func:`tplkit.wrapping.rewrap` of the whole text.
    """

    def __init__(self, gen: Codegen) -> None:
        self.gen = gen
        # Whether a run of blank lines may appear (finish_wrapped then collapses it): the
        # static text with every value-holding line as "x" tells, unless an {% if %} can
        # drop lines, a line may be blank, or (checked per message) a value holds a break.
        self.skeleton: list[str] = []
        self.blank_runs = False
        self.values: dict[str, None] = {}
        # whether the runtime list _l is empty where the branches being generated start,
        # and after every one generated so far (see before_branches), and the outer ones
        self.start_empty, self.ends_empty = False, True
        self.outer: list[tuple[bool, bool]] = []

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
        if self.blank_runs or BLANK_RUN.search("".join(self.skeleton)):
            runs = "True"
        else:  # only a value with a line break could make one: each value-holding line has
            # static text that is not blank, which wrapping never moves to a line of its own
            runs = " or ".join(f"'\\n' in {src}" for src in self.values) or "False"
        # finish_wrapped (strip, collapse blank runs, end with one line break) has nothing
        # to do, and no copy to make, when the text has no white space at either end and no
        # blank run (one in the stripped text is one in the whole)
        gen.emit(1, "p_text = ''.join(_o)")
        found = {"True": "_blank_run(p_text) is not None", "False": "False"}.get(
            runs, f"({runs}) and _blank_run(p_text) is not None")
        gen.emit(1, f"if {found} or p_text[:1].isspace() or p_text[-2:-1].isspace():")
        gen.emit(2, f"p_text = _finish_wrapped(p_text[:-1], {runs})")

    def body(self, body: list, depth: int, line: _Line) -> None:
        gen = self.gen
        for node in body:
            gen.at("text", node)
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    gen.at("text", child)
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
            elif isinstance(node, nodes.For):
                self.for_(node, depth, line)
            elif isinstance(node, nodes.FilterBlock):
                self.table(node, depth, line)
            else:
                raise Unsupported(node)

    def table(self, node: nodes.FilterBlock, depth: int, line: _Line) -> None:
        """``{% filter text_table %}``: the rows are built (loops, conditions, values) as
        they are, then laid out by :func:`tplkit.text.text_table`; its lines are not wrapped
        again, like the naive pipeline's."""
        f, gen = node.filter, self.gen
        if f.name != "text_table" or f.args or f.kwargs or f.dyn_args or f.dyn_kwargs:
            raise Unsupported(node)
        self.blank_runs = True
        self.hand_over(line, depth)
        saved = gen.var("_os")
        gen.emit(depth, f"{saved} = _o; _o = []")
        gen.body(node.body, depth, False)
        func = gen.ns_filter("text_table", gen.envs[False].filters["text_table"])
        gen.emit(depth, f"_l += ({func}(''.join(_o)),); _o = {saved}")
        line.runtime = True

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
            for src, piece in pending:
                if piece is None:
                    srcs.append(src)
                    statics.append("")
                else:
                    statics[-1] += piece
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
        whole = [repr(statics[0])] + [x for run, static in zip(runs, statics[1:], strict=False)
                                      for x in (*run, repr(static))]
        whole = [x for x in whole if x != "''"]
        if not plan.fast:
            gen.emit(depth, f"_o += ({', '.join(_merged([*pre, f'_rewrap({self.join(whole)})']))},)")
            return
        room = WIDTH - plan.fixed - sum(len(x) for x in plan.runs[0] if isinstance(x, str))
        if len(runs) == 1 and room >= 0:
            # short enough as it is (the values' length decides): the pieces as they are;
            # whether the values are simple matters only when it is not
            size = " + ".join(f"len({src})" for src in srcs)
            gen.emit(depth, f"if {size} <= {room}: _o += ({', '.join(_merged([*pre, *whole]))},)")
            lazy = " and ".join(gen.simple(src, depth, lazy=True) for src in dict.fromkeys(srcs))
            gen.emit(depth, f"elif {lazy}:")
        else:  # always longer than a line (a long stretch of static words inside, say)
            clean = " and ".join(gen.simple(src, depth) for src in dict.fromkeys(srcs))
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
        empty = self.before_branches(line, depth)
        self.gen.if_chain(node, depth, self.branch)
        self.after_branches(line, empty)

    def for_(self, node: nodes.For, depth: int, line: _Line) -> None:
        """A loop; its body is generated as starting on an empty line when the line is empty
        before the loop and after the body (else again, as continuing a line)."""
        self.blank_runs = True
        empty = self.before_branches(line, depth)
        snap = self.gen.snapshot()
        self.gen.for_loop(node, depth, self.branch)
        if empty and not self.ends_empty:
            self.gen.restore(snap)
            self.start_empty, self.ends_empty = False, True
            self.gen.for_loop(node, depth, self.branch)
            empty = False
        self.after_branches(line, empty)

    def before_branches(self, line: _Line, depth: int) -> bool:
        """Hand the line over before an ``{% if %}`` or a loop; whether it is empty there
        (the runtime list ``_l`` is then empty: the branches start a line at compile time)."""
        empty = not line.pending and not line.runtime
        self.hand_over(line, depth)
        self.outer.append((self.start_empty, self.ends_empty))
        self.start_empty, self.ends_empty = empty, True
        return empty

    def after_branches(self, line: _Line, empty: bool) -> None:
        """After the branches: the line is known at compile time again (``_l`` is empty)
        when it was empty before them and every branch ended a line."""
        line.runtime = not (empty and self.ends_empty)
        self.start_empty, self.ends_empty = self.outer.pop()

    def branch(self, body: list, depth: int) -> None:
        mark = len(self.gen.lines)
        inner = _Line(runtime=not self.start_empty)
        self.body(body, depth, inner)
        if inner.pending or inner.runtime:
            self.ends_empty = False
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
    """A line of static text wrapped as :func:`tplkit.wrapping.rewrap` would wrap it."""
    return wrap(line) if len(line) > WIDTH else line
