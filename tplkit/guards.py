"""The checks the sandbox runs before and after each operation a template asks for.

Sizes are computed *before* a value is built: the length a repetition, a concatenation, a
format, a join or an amplifying ``str`` method would produce (:func:`method_growth`,
:func:`filter_growth`, :func:`check_percent`, :func:`check_brace`), refused beyond
:attr:`~tplkit.limits.Limits.size`; integers built by ``*`` and ``**`` are bounded in bits
(:func:`int_bits`). What is printed must be a plain value (:func:`tplkit.safety.require_printable`).
:func:`limited_filter` wraps every filter of :class:`~tplkit.sandbox.LimitedSandbox` with them.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from jinja2.filters import make_attrgetter

from . import limits
from .limits import checkpoint, refuse
from .safety import require_printable

# (by the names templates use) filters whose integer arguments are widths or counts of
# things they build
SIZING_FILTERS = frozenset({"center", "indent", "batch", "slice", "truncate", "wordwrap"})
# filters that turn their input into text: it must be a plain value
TEXT_FILTERS = frozenset({"string", "upper", "lower", "capitalize", "title", "trim", "striptags",
                           "center", "indent", "truncate", "wordwrap", "wordcount", "replace",
                           "urlize", "escape", "e", "forceescape", "safe", "format",
                           "filesizeformat"})


def size_of(value: Any) -> int:
    """The length of a string, list, tuple or dict (what the size limit counts); 0 otherwise."""
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def check_value(value: Any, what: str = "value") -> Any:
    """``value``, refused (naming ``what``) when it is larger than the size limit."""
    limits.check_size(size_of(value), what)
    return value


def check_args(args: tuple, kwargs: dict, sizing: bool) -> None:
    """No argument longer than the size limit; with ``sizing`` (a width or count), no int beyond it."""
    size = limits.current().size
    for v in (*args, *kwargs.values()):
        if sizing and isinstance(v, int) and not isinstance(v, bool) and abs(v) > size:
            raise refuse(f"argument {v if v.bit_length() < 64 else 'of ' + str(v.bit_length()) + ' bits'} "
                         f"is too large")
        check_value(v, "an argument")


def printed_size(values: Any) -> int:
    """Total length of plain values as printed (each must be printable)."""
    total = 0
    for v in values:
        require_printable(v, "formats")
        total += len(v) if isinstance(v, str) else len(str(v)) if not hasattr(v, "__html__") else 0
    return total


def check_percent(fmt: Any, args: Any) -> None:
    """``fmt % args``: no repr conversions, widths within the limit, result sized first."""
    if not isinstance(fmt, str):
        return
    extra = limits.percent_format_size(fmt)
    values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else (args,)
    limits.check_size(len(fmt) + extra + printed_size(values), "the formatted text")


def check_brace(fmt: Any, args: tuple, kwargs: dict) -> None:
    """``fmt.format(...)``: the same rules for ``str.format``."""
    if not isinstance(fmt, str):
        return
    extra = limits.brace_format_size(fmt)
    limits.check_size(len(fmt) + extra + printed_size((*args, *kwargs.values())), "the formatted text")


def method_growth(obj: Any, args: tuple) -> int:
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
        return printed_size(args[0]) + len(s) * len(args[0])
    return 0


def int_bits(op: str, left: Any, right: Any) -> float:
    """About how many bits ``left op right`` would have (``*``, ``**`` of integers; else 0)."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0
    if op == "*":
        return left.bit_length() + right.bit_length()
    if op == "**" and right > 0 and abs(left) > 1:
        return math.log2(abs(left)) * right
    return 0


def check_printed_join(items: Any, sep: Any) -> Any:
    """``items`` (read into a list if need be) after sizing their join with ``sep``."""
    checkpoint()
    if isinstance(items, str):
        n = len(items) * (1 + len(str(require_printable(sep, "joins with"))))
    else:
        if not isinstance(items, (list, tuple)):
            items = list(limits.guarded(items))
        n = printed_size(items) + len(str(require_printable(sep, "joins with"))) * len(items)
    limits.check_size(n, "the joined text")
    return items


def check_plain_items(value: Any, name: str) -> None:
    """The keys and values a filter turns into text (``xmlattr``, ``urlencode``) are plain."""
    items = value.items() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        for part in item if isinstance(item, (tuple, list)) else (item,):
            require_printable(part, f"the {name} filter gets")


def filter_growth(name: str, vals: tuple, kwargs: dict) -> int:
    """Worst-case size of the result of the built-in filters that can amplify their input."""
    value = vals[0] if vals else None
    if name == "indent" and isinstance(value, str):
        width = vals[1] if len(vals) > 1 else kwargs.get("width", 4)
        return len(value) + value.count("\n") * (width if isinstance(width, int) else len(str(width)))
    if name == "replace" and isinstance(value, str) and len(vals) >= 3:
        return method_growth(value.replace, tuple(vals[1:3]))
    if name in ("wordwrap", "urlize") and isinstance(value, str):
        # every line break (wordwrap) or link (urlize) may repeat the string arguments
        extra = sum(len(v) for v in (*vals[1:], *kwargs.values()) if isinstance(v, str))
        return len(value) * (1 + extra) if extra else len(value)
    return 0


def materialize(value: Any) -> Any:
    """An iterator or generator handed to a filter, read into a list under the limits (time
    is checked per item, so a filter never loops over an unbounded generator)."""
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)) or not hasattr(value, "__iter__"):
        return value
    if hasattr(value, "__html__") or hasattr(value, "__len__"):
        return value
    return list(limits.guarded(value))


def limited_filter(func: Callable, name: str) -> Callable:
    """Check the arguments of filter ``name``, its likely growth and its result against the
    limits; text filters take plain values only."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        checkpoint()
        lead = args[:1] if pass_arg else ()
        vals = args[1:] if pass_arg else args
        if vals:
            vals = (materialize(vals[0]), *vals[1:])
        check_args(vals, kwargs, name in SIZING_FILTERS)
        if vals and name in TEXT_FILTERS:
            require_printable(vals[0], f"the {name} filter gets")
        if name == "format" and vals:
            check_percent(vals[0], kwargs if kwargs else tuple(vals[1:]))
        elif name == "join" and vals and hasattr(vals[0], "__iter__"):
            seq, sep = vals[0], vals[1] if len(vals) > 1 else kwargs.pop("d", "")
            attribute = vals[2] if len(vals) > 2 else kwargs.pop("attribute", None)
            if attribute is not None:   # join the attributes themselves: they are what prints
                getter = make_attrgetter(lead[0].environment, attribute)
                seq = [getter(x) for x in limits.guarded(seq)]
            vals = (check_printed_join(seq, sep), sep)
        elif name in ("xmlattr", "urlencode") and vals:
            check_plain_items(vals[0], name)
        elif name == "sum" and vals:
            start = vals[2] if len(vals) > 2 else kwargs.get("start", 0)
            if type(start) not in (int, float, Decimal):   # adding lists or strings is quadratic
                raise refuse("the sum filter adds numbers only")
        if filter_growth(name, vals, kwargs) > limits.current().size:
            raise refuse(f"the {name} filter would build a value larger than the limit")
        result = func(*lead, *vals, **kwargs)
        checkpoint()
        return check_value(result, "a filter result")

    return wrapper
