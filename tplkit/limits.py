"""Resource limits of the template sandbox, in one place and configurable.

Every render of a template part draws on one :class:`Budget`: a number of loop iterations
and a wall-clock deadline. The deadline is checked by :func:`checkpoint`, which the sandbox
calls on every loop iteration, filter call, method call, operator and string join, so no
single operation runs long past it. Sizes are checked *before* the value is built: the
sandbox computes the size a repetition, a join, a concatenation or a format would produce
(:func:`percent_format_size`, :func:`brace_format_size`) and refuses it when it exceeds
:attr:`Limits.size`.

The limits are process-wide; :func:`configure` changes them and :func:`limited` changes them
for a ``with`` block (tests use small limits to stay quick)::

    with tplkit.limits.limited(seconds=0.2, size=10_000):
        kit.render(...)
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import re
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SecurityError


@dataclass(frozen=True)
class Limits:
    """What one render of one template part may use."""

    iterations: int = 100_000      # loop iterations, all loops together; also range() length
    seconds: float = 10.0          # wall time
    size: int = 1_000_000          # items of a string, list or tuple built by the template
    int_bits: int = 10_000         # bits of an integer built by * or **
    output: int = 5_000_000        # characters of a rendered part
    format_width: int = 10_000     # a width or precision in a %-format or str.format spec


DEFAULT = Limits()
_current = DEFAULT


def current() -> Limits:
    """The limits in force."""
    return _current


def configure(**changes: Any) -> Limits:
    """Change the limits process-wide (fields of :class:`Limits`); returns the previous ones."""
    global _current
    previous = _current
    _current = dataclasses.replace(_current, **changes)
    return previous


@contextlib.contextmanager
def limited(**changes: Any) -> Iterator[Limits]:
    """The limits changed for the duration of a ``with`` block."""
    global _current
    previous = configure(**changes)
    try:
        yield _current
    finally:
        _current = previous


def refuse(what: str) -> SecurityError:
    """The error every exceeded limit raises (tplkit reports it with template, file and line)."""
    return SecurityError(f"{what} (templates are limited to bounded work)")


class Budget:
    """Iterations left and the deadline of one render."""

    __slots__ = ("deadline", "left", "limits")

    def __init__(self) -> None:
        self.limits = _current
        self.left = self.limits.iterations
        self.deadline = time.monotonic() + self.limits.seconds


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("tplkit_budget", default=None)


@contextlib.contextmanager
def budget() -> Iterator[Budget]:
    """A fresh budget for one render (nested renders keep the outer one)."""
    outer = _budget.get()
    if outer is not None:
        yield outer
        return
    token = _budget.set(Budget())
    try:
        yield _budget.get()  # type: ignore[misc]
    finally:
        _budget.reset(token)


def active() -> Budget:
    """The current render's budget (a fresh one outside a render)."""
    return _budget.get() or Budget()


def checkpoint() -> None:
    """Refuse to go on once the current render is past its deadline."""
    b = _budget.get()
    if b is not None and time.monotonic() > b.deadline:
        raise refuse(f"rendering took longer than {b.limits.seconds:g} seconds")


def count_iteration(b: Budget) -> None:
    """One loop iteration: against the iteration budget and the deadline."""
    b.left -= 1
    if b.left < 0:
        raise refuse(f"loops ran more than {b.limits.iterations:,} times")
    if time.monotonic() > b.deadline:
        raise refuse(f"rendering took longer than {b.limits.seconds:g} seconds")


def guarded(iterable: Any) -> Iterator[Any]:
    """Iterate, checking the deadline on every item and the size limit on the count."""
    lim = _current
    for n, item in enumerate(iterable, 1):
        if n > lim.size:
            raise refuse(f"a sequence of more than {lim.size:,} items")
        checkpoint()
        yield item


def check_size(n: int, what: str) -> None:
    """Refuse building something of ``n`` items (checked before it is built)."""
    if n > _current.size:
        raise refuse(f"{what} would hold more than {_current.size:,} items")


# --- formats ---------------------------------------------------------------------------------

_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?"
                      r"(?:\.(?P<prec>\*|\d+))?[hlL]?(?P<conv>.?)", re.DOTALL)
_CONVERSIONS = frozenset("sdiufFeEgGxXoc%")


def _width(spec: str | None) -> int:
    if spec == "*":
        raise refuse("a '*' width or precision in a format")
    n = int(spec) if spec else 0
    if n > _current.format_width:
        raise refuse(f"a format width or precision of {n:,} (at most {_current.format_width:,})")
    return n


def percent_format_size(fmt: str, *, text_only: bool = False) -> int:
    """Upper bound of the padding a ``%``-format adds (widths and precisions), checked
    against the limits; ``%r``/``%a`` (a Python repr) and ``*`` widths are refused.
    With ``text_only`` only ``%s``/``%d``/``%i`` without width are allowed (translations)."""
    extra = 0
    for m in _PERCENT.finditer(fmt):
        conv = m.group("conv")
        if conv == "%" and not (m.group("key") or m.group("flags") or m.group("width") or m.group("prec")):
            continue
        if conv in ("r", "a"):
            raise SecurityError(f"the format {m.group()!r} prints a Python repr; use %s")
        if conv not in _CONVERSIONS:
            continue   # Python itself reports the bad format
        if text_only and (conv not in "sdi" or m.group("flags") or m.group("width") or m.group("prec")):
            raise SecurityError(f"{m.group()!r}: a translation may only use plain %(name)s "
                                f"placeholders (no widths, precisions or other conversions)")
        extra += _width(m.group("width")) + _width(m.group("prec"))
    return extra


_FORMATTER = string.Formatter()
_SPEC_NUMBERS = re.compile(r"\d+")


def brace_format_size(fmt: str) -> int:
    """Upper bound of the padding a ``str.format`` string adds; ``!r``/``!a``, attribute or
    item access in a field and widths beyond the limit are refused."""
    extra = 0
    try:
        parsed = list(_FORMATTER.parse(fmt))
    except ValueError:
        return 0   # Python itself reports the bad format
    for _, field, spec, conv in parsed:
        if field is None:
            continue
        if conv in ("r", "a"):
            raise SecurityError(f"the conversion !{conv} prints a Python repr")
        if "." in field or "[" in field:
            raise SecurityError(f"the format field {{{field}}} reaches into a value; format "
                                f"plain values only")
        if spec:
            if "{" in spec:
                raise refuse("a width taken from an argument ({...} inside a format spec)")
            extra += sum(_width(n) for n in _SPEC_NUMBERS.findall(spec))
    return extra
