"""The template sandbox: Jinja's immutable sandbox plus bounds on the work a template may ask for.

Template files are written by support staff, not by developers, so they run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute starting with ``_``,
no ``str.format`` tricks, no mutation of brand data. The plain sandbox still lets a template
ask for unbounded work (``'x' * 10**10``, ``10**(10**10)``, ``''.ljust(10**10)``, three nested
``range(99999)`` loops). :class:`LimitedSandbox` refuses those with a
:class:`jinja2.sandbox.SecurityError`, which tplkit reports as a
:class:`tplkit.SecurityError` naming template, file and line; the checks themselves are
:mod:`tplkit.guards`.

Bounds (per render of one template part) are those of :mod:`tplkit.limits` (configurable):

* every ``{% for %}`` loop draws from one budget of iterations and wall time, checked on every
  iteration; the deadline is also checked on every filter, call, operator and join;
* a string, list or tuple built by an operator, a call or a filter is sized *before* it is
  built (repetition, concatenation, ``~``, ``|join``, format widths) and refused beyond
  :attr:`~tplkit.limits.Limits.size`; integers built by ``*`` or ``**`` are bounded in bits;
* the rendered output is bounded in characters.

Printing is restricted to plain values (:func:`tplkit.safety.printable`): ``|string``,
``|format``, ``~``, ``%``, ``str.format`` and the text filters refuse anything else, so no
Python repr (addresses, internals) can reach an email; ``|pprint`` and ``|tojson`` are gone.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.environment import Template
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, pass_eval_context

from . import limits
from .guards import (
    check_args,
    check_brace,
    check_percent,
    check_printed_join,
    check_value,
    int_bits,
    limited_filter,
    method_growth,
    size_of,
)
from .limits import checkpoint, refuse
from .safety import printable

# the defaults, for callers that show them; the limits in force are limits.current()
MAX_ITERATIONS = limits.DEFAULT.iterations
MAX_SECONDS = limits.DEFAULT.seconds
MAX_SIZE = limits.DEFAULT.size
MAX_INT_BITS = limits.DEFAULT.int_bits
MAX_OUTPUT = limits.DEFAULT.output

LOOP_FILTER = "_tplkit_loop_guard"   # the build pass leaves this filter unwrapped (tplkit.buildpass)
_CONCAT_FILTER = "_tplkit_concat"
# filters that print Python structures whole: no email needs them
_REMOVED_FILTERS = ("pprint", "tojson")


class LimitedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the size limit (no doubling loops)."""

    def __setitem__(self, name: str, value: Any) -> None:
        check_value(value, f"namespace attribute {name!r}")
        super().__setitem__(name, value)


class LimitedTemplate(Template):
    """A template whose every render draws on a fresh work budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        with limits.budget():
            return super().render(*args, **kwargs)


def _loop_guard(iterable: Any) -> Iterator[Any]:
    """Wraps the iterable of every ``{% for %}``: counts iterations and checks the deadline."""
    budget = limits.active()
    for item in iterable:
        limits.count_iteration(budget)
        yield item


def _limited_range(*args: int) -> range:
    """``range()`` of at most as many numbers as loops may run (a loop could not use more)."""
    rng = range(*args)
    n = limits.current().iterations
    if len(rng) > n:
        raise refuse(f"range of {len(rng):,} numbers (at most {n:,})")
    return rng


def _bounded_concat(parts: Any) -> str:
    """Jinja's join of a template's output, bounded in length and time."""
    out: list[str] = []
    total = 0
    most = limits.current().output
    for p in parts:
        total += len(p)
        if total > most:
            raise refuse(f"output is longer than {most:,} characters")
        out.append(p)
    return "".join(out)


@pass_eval_context
def _concat(eval_ctx: Any, parts: list) -> str:
    """The ``~`` operator: plain values only, sized before joining."""
    check_printed_join(parts, "")
    return (markup_join if eval_ctx.autoescape else str_join)(parts)


# The two private Jinja hooks this module overrides (no public hook does the same). Were a
# Jinja release to rename one, its override would silently stop running and with it a
# check; refuse to load instead (tests/test_layers.py lists every private dependency name).
JINJA_HOOKS = ((CodeGenerator, "_output_child_to_const"), (ImmutableSandboxedEnvironment, "_generate"))
for _cls, _hook in JINJA_HOOKS:
    if not callable(getattr(_cls, _hook, None)):
        raise ImportError(f"tplkit's sandbox needs jinja2's {_cls.__name__}.{_hook}, which this "
                          f"Jinja version does not have")


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, except that an expression it could print at compile time is
    folded only when its value is plain: anything else is printed at render time, where
    ``finalize`` sees (and refuses) it before autoescaping could turn its repr into Markup."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Any, finalize: Any) -> str:
        if not isinstance(node, nodes.TemplateData):
            const = node.as_const(frame.eval_ctx)
            if const is None or not printable(const):   # (None: Jinja would escape it to "None")
                raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with bounded loops, operators, calls, filters and output."""

    code_generator_class = _CodeGenerator
    template_class = LimitedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_bounded_concat)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)          # unbounded text generator; no email needs it
        self.globals["namespace"] = LimitedNamespace
        self.globals["range"] = _limited_range
        for name in _REMOVED_FILTERS:
            self.filters.pop(name, None)
        for name, func in list(self.filters.items()):
            self.filters[name] = limited_filter(func, name)
        self.filters[LOOP_FILTER] = _loop_guard
        self.filters[_CONCAT_FILTER] = _concat

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%`` refuse results beyond the limits (checked first)."""
        checkpoint()
        lim = limits.current()
        if int_bits(operator_, left, right) > lim.int_bits:
            raise refuse(f"the {operator_} operation would build a number of more than "
                         f"{lim.int_bits:,} bits")
        if operator_ == "*":
            for seq, n in ((left, right), (right, left)):
                if size_of(seq) and isinstance(n, int):
                    limits.check_size(len(seq) * n, "repeating a value")
        elif operator_ == "+":
            limits.check_size(size_of(left) + size_of(right), "joining these values")
        elif operator_ == "%":
            check_percent(left, right)
        return check_value(super().call_binop(context, operator_, left, right), "a result")

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Calls (methods, macros, globals) refuse huge arguments and amplifying str methods."""
        checkpoint()
        # methods of str/list/... take widths and counts (ljust, center, zfill, ...)
        check_args(args, kwargs, isinstance(getattr(obj, "__self__", None), (str, bytes, list, tuple)))
        if method_growth(obj, args) > limits.current().size:
            raise refuse(f"{getattr(obj, '__name__', 'the call')} would build a value larger "
                         f"than {limits.current().size:,} characters")
        if isinstance(obj, LoopContext) and args:   # loop(children) in a recursive loop
            args = (_loop_guard(args[0]), *args[1:])
        result = super().call(context, obj, *args, **kwargs)
        checkpoint()
        return check_value(result, "a call result")

    def format_string(self, s: str, args: tuple, kwargs: dict, format_func: Any = None) -> str:
        """``str.format`` as Jinja before 3.1.5 routes it: the same checks as below."""
        if format_func is not None and getattr(format_func, "__name__", "") == "format_map" and args:
            mapping = args[0]
            check_brace(s, (), dict(mapping) if isinstance(mapping, dict) else {"": mapping})
        else:
            check_brace(s, args, kwargs)
        return super().format_string(s, args, kwargs, format_func)  # type: ignore[misc]

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'{:>99}'.format(x)``: widths, conversions and arguments checked before formatting."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        @functools.wraps(wrapped)
        def checked(*args: Any, **kwargs: Any) -> str:
            if value.__name__ == "format_map":
                mapping = args[0] if args else {}
                check_brace(fmt, (), dict(mapping) if isinstance(mapping, dict) else {"": mapping})
            else:
                check_brace(fmt, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        """Compiling folds constant expressions (calling filters): it draws on a budget too."""
        with limits.budget():
            return super().compile(*args, **kwargs)

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        """Before compiling: route every ``{% for %}`` iterable through the loop budget and
        every ``~`` through the bounded, plain-values-only join."""
        for loop in source.find_all(nodes.For):
            it = loop.iter
            if not (isinstance(it, nodes.Filter) and it.name == LOOP_FILTER):
                loop.iter = nodes.Filter(it, LOOP_FILTER, [], [], None, None, lineno=it.lineno)
        for node in list(source.find_all(nodes.Concat)):
            _replace(source, node, nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT_FILTER,
                                                [], [], None, None, lineno=node.lineno))
        return super()._generate(source, *args, **kwargs)


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    """Put ``new`` where ``old`` is in ``tree`` (a field or an item of a list field)."""
    for parent in tree.find_all(nodes.Node):
        for field in parent.fields:
            child = getattr(parent, field, None)
            if child is old:
                setattr(parent, field, new)
                return
            if isinstance(child, list):
                for i, item in enumerate(child):
                    if item is old:
                        child[i] = new
                        return


__all__ = [
    "LOOP_FILTER",
    "MAX_INT_BITS",
    "MAX_ITERATIONS",
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "MAX_SIZE",
    "LimitedNamespace",
    "LimitedSandbox",
]
