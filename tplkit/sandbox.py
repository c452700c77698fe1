"""The template sandbox: Jinja's immutable sandbox plus bounds on the work a template may ask for.

Template files are written by support staff, not by developers, so they run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute starting with ``_``,
no ``str.format`` tricks, no mutation of brand data. The plain sandbox still lets a template
ask for unbounded work (``'x' * 10**10``, ``10**(10**10)``, ``''.ljust(10**10)``, three nested
``range(99999)`` loops). :class:`LimitedSandbox` refuses those with a
:class:`jinja2.sandbox.SecurityError`, which tplkit reports as a
:class:`tplkit.SecurityError` naming template, file and line.

Bounds (per render of one template part):

* every ``{% for %}`` loop draws from one budget of :data:`MAX_ITERATIONS` iterations and
  :data:`MAX_SECONDS` of wall time, and ``range()`` gives at most that many numbers;
* a string, list or tuple built by an operator, a call or a filter holds at most
  :data:`MAX_SIZE` items; integers built by ``*`` or ``**`` have at most :data:`MAX_INT_BITS` bits;
* the rendered output holds at most :data:`MAX_OUTPUT` characters.
"""
from __future__ import annotations

import contextvars
import functools
import math
import re
import time
from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace

MAX_ITERATIONS = 100_000
MAX_SECONDS = 10.0
MAX_SIZE = 1_000_000
MAX_INT_BITS = 10_000
MAX_OUTPUT = 5_000_000

_LOOP_FILTER = "_tplkit_loop_guard"
# a width or precision of seven digits or more in a %-format or str.format spec
_BIG_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d{7,}|\d*\.(?:\*|\d{7,}))"
                       r"|\{[^{}]*:[^{}]*\d{7,}[^{}]*\}")


class _Budget:
    __slots__ = ("deadline", "left")

    def __init__(self) -> None:
        self.left = MAX_ITERATIONS
        self.deadline = time.monotonic() + MAX_SECONDS


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("tplkit_budget", default=None)


def _refuse(what: str) -> SecurityError:
    return SecurityError(f"{what} (templates are limited to bounded work)")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def _check_size(value: Any, what: str = "value") -> Any:
    if _size(value) > MAX_SIZE:
        raise _refuse(f"{what} would hold more than {MAX_SIZE:,} items")
    return value


# filters whose integer arguments are widths or counts of things they build
_SIZING_FILTERS = frozenset({"do_center", "do_indent", "do_batch", "do_slice"})


def _check_args(args: tuple, kwargs: dict, sizing: bool) -> None:
    """No argument longer than MAX_SIZE; with ``sizing`` (a width or count), no int beyond it."""
    for v in (*args, *kwargs.values()):
        if sizing and isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_SIZE:
            raise _refuse(f"argument {v if v.bit_length() < 64 else 'of ' + str(v.bit_length()) + ' bits'} "
                          f"is too large")
        _check_size(v, "an argument")


def _check_format(fmt: Any) -> None:
    if isinstance(fmt, str) and _BIG_SPEC.search(fmt):
        raise _refuse("a format width or precision is too large")


def _growth(obj: Any, args: tuple) -> int:
    """Worst-case length of ``obj.method(*args)`` for the str methods that can amplify."""
    s = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(s, str):
        return 0
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        n = s.count(args[0]) if args[0] else len(s) + 1
        return len(s) + n * len(args[1])
    if name == "expandtabs" and args and isinstance(args[0], int):
        return len(s) + s.count("\t") * max(args[0], 0)
    return 0


def _int_bits(op: str, left: Any, right: Any) -> float:
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0
    if op == "*":
        return left.bit_length() + right.bit_length()
    if op == "**" and right > 0 and abs(left) > 1:
        return math.log2(abs(left)) * right
    return 0


class LimitedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past :data:`MAX_SIZE` (no doubling loops)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value, f"namespace attribute {name!r}")
        super().__setitem__(name, value)


class LimitedTemplate(Template):
    """A template whose every render draws on a fresh work budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _budget.set(_Budget())
        try:
            return super().render(*args, **kwargs)
        finally:
            _budget.reset(token)


def _loop_guard(iterable: Any):
    """Wraps the iterable of every ``{% for %}``: counts iterations against the budget."""
    budget = _budget.get() or _Budget()
    for item in iterable:
        budget.left -= 1
        if budget.left < 0:
            raise _refuse(f"loops ran more than {MAX_ITERATIONS:,} times")
        if not budget.left % 1024 and time.monotonic() > budget.deadline:
            raise _refuse(f"rendering took longer than {MAX_SECONDS:g} seconds")
        yield item


def _limited_range(*args: int) -> range:
    """``range()`` of at most MAX_ITERATIONS numbers (a loop could not use more)."""
    rng = range(*args)
    if len(rng) > MAX_ITERATIONS:
        raise _refuse(f"range of {len(rng):,} numbers (at most {MAX_ITERATIONS:,})")
    return rng


def _bounded_concat(parts: Any) -> str:
    out: list[str] = []
    total = 0
    for p in parts:
        total += len(p)
        if total > MAX_OUTPUT:
            raise _refuse(f"output is longer than {MAX_OUTPUT:,} characters")
        out.append(p)
    return "".join(out)


def _filter_growth(name: str, vals: tuple, kwargs: dict) -> int:
    """Worst-case size of the result of the few built-in filters that can amplify their input."""
    value = vals[0] if vals else None
    if name == "do_indent" and isinstance(value, str):
        width = vals[1] if len(vals) > 1 else kwargs.get("width", 4)
        return len(value) + value.count("\n") * (width if isinstance(width, int) else len(str(width)))
    if name == "do_join" and len(vals) >= 2 and value is not None and hasattr(value, "__len__"):
        return len(value) * len(str(vals[1]))
    if name == "do_replace" and isinstance(value, str) and len(vals) >= 3:
        return _growth(value.replace, tuple(vals[1:3]))
    return 0


def _limited_filter(func: Callable) -> Callable:
    """Check a filter's arguments, its likely growth and its result against the bounds."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        vals = args[1:] if pass_arg else args
        _check_args(vals, kwargs, func.__name__ in _SIZING_FILTERS)
        if func.__name__ == "do_format" and vals:
            _check_format(vals[0])
        if _filter_growth(func.__name__, vals, kwargs) > MAX_SIZE:
            raise _refuse(f"the {func.__name__[3:]} filter would build a value larger than the limit")
        return _check_size(func(*args, **kwargs), "a filter result")

    return wrapper


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with bounded loops, operators, calls, filters and output."""

    template_class = LimitedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_bounded_concat)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)          # unbounded text generator; no email needs it
        self.globals["namespace"] = LimitedNamespace
        self.globals["range"] = _limited_range
        for name, func in list(self.filters.items()):
            self.filters[name] = _limited_filter(func)
        self.filters[_LOOP_FILTER] = _loop_guard

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%`` refuse results beyond the bounds (checked first)."""
        if _int_bits(operator_, left, right) > MAX_INT_BITS:
            raise _refuse(f"the {operator_} operation would build a number of more than "
                          f"{MAX_INT_BITS:,} bits")
        if operator_ == "*":
            for seq, n in ((left, right), (right, left)):
                if _size(seq) and isinstance(n, int) and len(seq) * n > MAX_SIZE:
                    raise _refuse(f"repeating a value {n:,} times would exceed {MAX_SIZE:,} items")
        elif operator_ == "+" and _size(left) + _size(right) > MAX_SIZE:
            raise _refuse(f"joining these values would exceed {MAX_SIZE:,} items")
        elif operator_ == "%":
            _check_format(left)
        return _check_size(super().call_binop(context, operator_, left, right), "a result")

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Calls (methods, macros, globals) refuse huge arguments and amplifying str methods."""
        # methods of str/list/... take widths and counts (ljust, center, zfill, ...)
        _check_args(args, kwargs, isinstance(getattr(obj, "__self__", None), (str, bytes, list, tuple)))
        if _growth(obj, args) > MAX_SIZE:
            raise _refuse(f"{getattr(obj, '__name__', 'the call')} would build a value larger "
                          f"than {MAX_SIZE:,} characters")
        return _check_size(super().call(context, obj, *args, **kwargs), "a call result")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'{:>99999999}'.format(x)``: refuse huge widths before formatting."""
        _check_format(getattr(value, "__self__", None))
        return super().wrap_str_format(value)

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        """Route the iterable of every ``{% for %}`` through the loop budget before compiling."""
        for loop in source.find_all(nodes.For):
            it = loop.iter
            if not (isinstance(it, nodes.Filter) and it.name == _LOOP_FILTER):
                loop.iter = nodes.Filter(it, _LOOP_FILTER, [], [], None, None, lineno=it.lineno)
        return super()._generate(source, *args, **kwargs)


__all__ = [
    "MAX_INT_BITS",
    "MAX_ITERATIONS",
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "MAX_SIZE",
    "LimitedNamespace",
    "LimitedSandbox",
]
