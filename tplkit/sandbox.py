"""The template sandbox: Jinja's immutable sandbox plus bounds on the work a template may ask for.

Template files are written by support staff, not by developers, so they run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute starting with ``_``,
no ``str.format`` tricks, no mutation of brand data. The plain sandbox still lets a template
ask for unbounded work (``'x' * 10**10``, ``10**(10**10)``, ``''.ljust(10**10)``, three nested
``range(99999)`` loops). :class:`LimitedSandbox` refuses those with a
:class:`jinja2.sandbox.SecurityError`, which tplkit reports as a
:class:`tplkit.SecurityError` naming template, file and line.

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
import math
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, cast

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.environment import Template
from jinja2.filters import make_attrgetter
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, pass_eval_context

from . import limits
from .limits import checkpoint, refuse
from .safety import printable, require_printable

# the defaults, for callers that show them; the limits in force are limits.current()
MAX_ITERATIONS = limits.DEFAULT.iterations
MAX_SECONDS = limits.DEFAULT.seconds
MAX_SIZE = limits.DEFAULT.size
MAX_INT_BITS = limits.DEFAULT.int_bits
MAX_OUTPUT = limits.DEFAULT.output

_LOOP_FILTER = "_tplkit_loop_guard"
LOOP_FILTER = _LOOP_FILTER   # the build pass leaves this filter unwrapped (tplkit.buildpass)
_CONCAT_FILTER = "_tplkit_concat"
_refuse = refuse


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def _check_size(value: Any, what: str = "value") -> Any:
    limits.check_size(_size(value), what)
    return value


# (by the names templates use) filters whose integer arguments are widths or counts of
# things they build
_SIZING_FILTERS = frozenset({"center", "indent", "batch", "slice", "truncate", "wordwrap"})
# filters that turn their input into text: it must be a plain value
_TEXT_FILTERS = frozenset({"string", "upper", "lower", "capitalize", "title", "trim", "striptags",
                           "center", "indent", "truncate", "wordwrap", "wordcount", "replace",
                           "urlize", "escape", "e", "forceescape", "safe", "format",
                           "filesizeformat"})
# filters that print Python structures whole: no email needs them
_REMOVED_FILTERS = ("pprint", "tojson")


def _check_args(args: tuple, kwargs: dict, sizing: bool) -> None:
    """No argument longer than the size limit; with ``sizing`` (a width or count), no int beyond it."""
    size = limits.current().size
    for v in (*args, *kwargs.values()):
        if sizing and isinstance(v, int) and not isinstance(v, bool) and abs(v) > size:
            raise refuse(f"argument {v if v.bit_length() < 64 else 'of ' + str(v.bit_length()) + ' bits'} "
                         f"is too large")
        _check_size(v, "an argument")


def _printed_size(values: Any) -> int:
    """Total length of plain values as printed (each must be printable)."""
    total = 0
    for v in values:
        require_printable(v, "formats")
        total += len(v) if isinstance(v, str) else len(str(v)) if not hasattr(v, "__html__") else 0
    return total


def _check_percent(fmt: Any, args: Any) -> None:
    """``fmt % args``: no repr conversions, widths within the limit, result sized first."""
    if not isinstance(fmt, str):
        return
    extra = limits.percent_format_size(fmt)
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else (args,)
    limits.check_size(len(fmt) + extra + _printed_size(values), "the formatted text")


def _check_brace(fmt: Any, args: tuple, kwargs: dict) -> None:
    """``fmt.format(...)``: the same rules for ``str.format``."""
    if not isinstance(fmt, str):
        return
    extra = limits.brace_format_size(fmt)
    limits.check_size(len(fmt) + extra + _printed_size((*args, *kwargs.values())), "the formatted text")


def _growth(obj: Any, args: tuple) -> int:
    """Worst-case length of ``obj.method(*args)`` for the str/bytes methods that can amplify."""
    s = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(s, (str, bytes)):
        return 0
    if name == "replace" and len(args) >= 2 and all(isinstance(a, type(s)) for a in args[:2]):
        n = cast(Any, s).count(args[0]) if args[0] else len(s) + 1
        return len(s) + n * len(args[1])
    if name == "translate" and args:
        table = args[0]
        longest = max((len(v) for v in table.values() if isinstance(v, (str, bytes))), default=1) \
            if isinstance(table, dict) else 1
        return len(s) * max(longest, 1)
    if name == "expandtabs" and args and isinstance(args[0], int):
        return len(s) + cast(Any, s).count("\t") * max(args[0], 0)
    if name == "join" and args and isinstance(args[0], (list, tuple)):
        return _printed_size(args[0]) + len(s) * len(args[0])
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
    """``namespace()`` whose attributes cannot grow past the size limit (no doubling loops)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value, f"namespace attribute {name!r}")
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
    _check_printed_join(parts, "")
    return (markup_join if eval_ctx.autoescape else str_join)(parts)


def _check_printed_join(items: Any, sep: Any) -> Any:
    """``items`` (read into a list if need be) after sizing their join with ``sep``."""
    checkpoint()
    if isinstance(items, str):
        n = len(items) * (1 + len(str(require_printable(sep, "joins with"))))
    else:
        if not isinstance(items, (list, tuple)):
            items = list(limits.guarded(items))
        n = _printed_size(items) + len(str(require_printable(sep, "joins with"))) * len(items)
    limits.check_size(n, "the joined text")
    return items


def _check_plain_items(value: Any, name: str) -> None:
    """The keys and values a filter turns into text (``xmlattr``, ``urlencode``) are plain."""
    items = value.items() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        for part in item if isinstance(item, (tuple, list)) else (item,):
            require_printable(part, f"the {name} filter gets")


def _filter_growth(name: str, vals: tuple, kwargs: dict) -> int:
    """Worst-case size of the result of the built-in filters that can amplify their input."""
    value = vals[0] if vals else None
    if name == "indent" and isinstance(value, str):
        width = vals[1] if len(vals) > 1 else kwargs.get("width", 4)
        return len(value) + value.count("\n") * (width if isinstance(width, int) else len(str(width)))
    if name == "replace" and isinstance(value, str) and len(vals) >= 3:
        return _growth(value.replace, tuple(vals[1:3]))
    if name in ("wordwrap", "urlize") and isinstance(value, str):
        # every line break (wordwrap) or link (urlize) may repeat the string arguments
        extra = sum(len(v) for v in (*vals[1:], *kwargs.values()) if isinstance(v, str))
        return len(value) * (1 + extra) if extra else len(value)
    return 0


def _materialize(value: Any) -> Any:
    """An iterator or generator handed to a filter, read into a list under the limits (time
    is checked per item, so a filter never loops over an unbounded generator)."""
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)) or not hasattr(value, "__iter__"):
        return value
    if hasattr(value, "__html__") or hasattr(value, "__len__"):
        return value
    return list(limits.guarded(value))


def _limited_filter(func: Callable, name: str) -> Callable:
    """Check the arguments of filter ``name``, its likely growth and its result against the
    limits; text filters take plain values only."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        checkpoint()
        lead = args[:1] if pass_arg else ()
        vals = args[1:] if pass_arg else args
        if vals:
            vals = (_materialize(vals[0]), *vals[1:])
        _check_args(vals, kwargs, name in _SIZING_FILTERS)
        if vals and name in _TEXT_FILTERS:
            require_printable(vals[0], f"the {name} filter gets")
        if name == "format" and vals:
            _check_percent(vals[0], kwargs if kwargs else tuple(vals[1:]))
        elif name == "join" and vals and hasattr(vals[0], "__iter__"):
            seq, sep = vals[0], vals[1] if len(vals) > 1 else kwargs.pop("d", "")
            attribute = vals[2] if len(vals) > 2 else kwargs.pop("attribute", None)
            if attribute is not None:   # join the attributes themselves: they are what prints
                getter = make_attrgetter(lead[0].environment, attribute)
                seq = [getter(x) for x in limits.guarded(seq)]
            vals = (_check_printed_join(seq, sep), sep)
        elif name in ("xmlattr", "urlencode") and vals:
            _check_plain_items(vals[0], name)
        elif name == "sum" and vals:
            start = vals[2] if len(vals) > 2 else kwargs.get("start", 0)
            if type(start) not in (int, float, Decimal):   # adding lists or strings is quadratic
                raise refuse("the sum filter adds numbers only")
        if _filter_growth(name, vals, kwargs) > limits.current().size:
            raise refuse(f"the {name} filter would build a value larger than the limit")
        result = func(*lead, *vals, **kwargs)
        checkpoint()
        return _check_size(result, "a filter result")

    return wrapper


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
            self.filters[name] = _limited_filter(func, name)
        self.filters[_LOOP_FILTER] = _loop_guard
        self.filters[_CONCAT_FILTER] = _concat

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%`` refuse results beyond the limits (checked first)."""
        checkpoint()
        lim = limits.current()
        if _int_bits(operator_, left, right) > lim.int_bits:
            raise refuse(f"the {operator_} operation would build a number of more than "
                         f"{lim.int_bits:,} bits")
        if operator_ == "*":
            for seq, n in ((left, right), (right, left)):
                if _size(seq) and isinstance(n, int):
                    limits.check_size(len(seq) * n, "repeating a value")
        elif operator_ == "+":
            limits.check_size(_size(left) + _size(right), "joining these values")
        elif operator_ == "%":
            _check_percent(left, right)
        return _check_size(super().call_binop(context, operator_, left, right), "a result")

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Calls (methods, macros, globals) refuse huge arguments and amplifying str methods."""
        checkpoint()
        # methods of str/list/... take widths and counts (ljust, center, zfill, ...)
        _check_args(args, kwargs, isinstance(getattr(obj, "__self__", None), (str, bytes, list, tuple)))
        if _growth(obj, args) > limits.current().size:
            raise refuse(f"{getattr(obj, '__name__', 'the call')} would build a value larger "
                         f"than {limits.current().size:,} characters")
        if isinstance(obj, LoopContext) and args:   # loop(children) in a recursive loop
            args = (_loop_guard(args[0]), *args[1:])
        result = super().call(context, obj, *args, **kwargs)
        checkpoint()
        return _check_size(result, "a call result")

    def format_string(self, s: str, args: tuple, kwargs: dict, format_func: Any = None) -> str:
        """``str.format`` as Jinja before 3.1.5 routes it: the same checks as below."""
        if format_func is not None and getattr(format_func, "__name__", "") == "format_map" and args:
            mapping = args[0]
            _check_brace(s, (), dict(mapping) if isinstance(mapping, dict) else {"": mapping})
        else:
            _check_brace(s, args, kwargs)
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
                _check_brace(fmt, (), dict(mapping) if isinstance(mapping, dict) else {"": mapping})
            else:
                _check_brace(fmt, args, kwargs)
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
            if not (isinstance(it, nodes.Filter) and it.name == _LOOP_FILTER):
                loop.iter = nodes.Filter(it, _LOOP_FILTER, [], [], None, None, lineno=it.lineno)
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
