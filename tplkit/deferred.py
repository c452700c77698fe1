"""Build-pass values: the stand-ins for per-recipient placeholders.

During the build pass each placeholder is bound to a :class:`Deferred`. A Deferred prints an
opaque slot token (``TPLSLOT7X``) registered in :class:`Slots`, which stands for a runtime tag
such as ``{{ customer_name }}``; attribute access, item access, calls, operators and filters on
a Deferred build the runtime expression instead of a value. In the naive pipeline the same
templates see :class:`Shown` values: real values printed in their locale format.
"""
from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Callable, Mapping
from typing import Any

from jinja2.sandbox import SecurityError
from markupsafe import escape

from .errors import TemplateSourceError
from .formatting import TYPE_FORMAT
from .safety import register_printable
from .schema import Placeholder, Record

TOKEN_RE = re.compile(r"TPLSLOT(\d+)X")
_TAG_START = re.compile(r"\{(?=[{%#]|\Z)")
_BRACE = '{{ "{" }}'


class Slots:
    """Registry of runtime tags for one compilation; each gets an opaque token.

    Token numbers start at a random base per compilation, so a ``TPLSLOT0X`` written in a
    template or a translation is plain text, never a forged runtime tag.
    """

    def __init__(self) -> None:
        self.tags: list[str] = []
        self._index: dict[str, int] = {}
        self.sites: list[list[Site]] = []   # per tag: where the build pass printed it
        self.base = 10**8 + secrets.randbelow(9 * 10**8)

    def token(self, tag: str) -> str:
        i = self._index.get(tag)
        if i is None:
            i = self._index[tag] = len(self.tags)
            self.tags.append(tag)
            self.sites.append([])
        site = _template_site()
        if site is not None and site not in self.sites[i]:
            self.sites[i].append(site)
        return f"TPLSLOT{self.base + i}X"

    def _slot(self, number: str) -> int | None:
        i = int(number) - self.base
        return i if 0 <= i < len(self.tags) else None

    def is_token(self, word: str) -> bool:
        m = TOKEN_RE.fullmatch(word)
        i = self._slot(m.group(1)) if m else None
        return i is not None and self.tags[i].startswith("{%")

    def to_jinja(self, tokenized: str, lines: dict[int, list[Site]] | None = None) -> str:
        """Replace tokens by their tags; literal chunks that look like Jinja are made raw.
        ``lines`` (when given) receives, per line of the result, where the build pass
        printed the tags on it (see :class:`Site`)."""
        parts = TOKEN_RE.split(tokenized)
        out, text = [], ""
        line = 1
        for n, part in enumerate(parts):
            slot = self._slot(part) if n % 2 else None
            if slot is None:
                text += f"TPLSLOT{part}X" if n % 2 else part
                continue
            if text:
                out.append(_literal(text))
                line += text.count("\n")
                text = ""
            out.append(self.tags[slot])
            if lines is not None:
                here = lines.setdefault(line, [])
                here.extend(s for s in self.sites[slot] if s not in here)
            line += self.tags[slot].count("\n")
        if text:
            out.append(_literal(text))
        return "".join(out)


Site = tuple[str, str, int]
"""(file of the part rendered, file, line) of the template code that printed a runtime tag."""


def _template_site() -> Site | None:
    """Where the running build pass is: the innermost template frame's file and line (the
    ``{{ }}`` that printed the tag, in a layout, component or macro too) and the outermost
    one's file (the part being rendered). Jinja maps its frames' lines back to the template's
    own (the same mapping its tracebacks use)."""
    frame = sys._getframe(2)
    inner: tuple[str, int] | None = None
    root: str | None = None
    while frame is not None:
        tpl = frame.f_globals.get("__jinja_template__")
        if tpl is not None and tpl.filename:
            if inner is None:
                inner = (tpl.filename, tpl.get_corresponding_lineno(frame.f_lineno))
            root = tpl.filename
        frame = frame.f_back  # type: ignore[assignment]
    return (root, *inner) if inner is not None and root is not None else None


def _literal(text: str) -> str:
    """Literal text (template text, brand data, translations) as runtime source that can
    never be syntax: Jinja starts a tag only at ``{{``, ``{%`` or ``{#``, so every ``{`` that
    could begin one is written as the constant ``{{ "{" }}`` instead (no escaping of any
    particular spelling, no ``{% raw %}`` block to break out of)."""
    return _TAG_START.sub(_BRACE, text)


def literal_expr(value: Any) -> str:
    """A Jinja literal for a build-time value inside a runtime expression."""
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float, str)):
        return repr(value)
    if isinstance(value, Deferred):
        return f"({value.expr})"
    raise TemplateSourceError(
        f"a runtime expression mixes a placeholder with the build-time value {_describe(value)}; "
        f"compute it outside the condition or nest the conditions")


def _describe(value: Any) -> str:
    """Plain data by its repr; any other object only by its type (no internals in messages)."""
    if isinstance(value, (str, int, float, list, tuple, dict)):
        return f"{value!r:.60}"
    return f"(a {type(value).__name__})"


@register_printable
class Deferred:
    """Stand-in for a per-recipient value during the build pass.

    ``ph`` is what the value is (its placeholder, field or list item), when known: a field
    of an object (``order.total``) or a loop variable over a list is then printed in its
    type's locale format, like a top-level placeholder.
    """

    unsafe_callable = False   # keep the sandbox from probing through __getattr__
    alters_data = False
    __slots__ = ("expr", "fmt", "slots", "locale", "ph")

    def __init__(self, expr: str, slots: Slots, locale: str, fmt: str | None = None,
                 ph: Placeholder | None = None) -> None:
        self.expr = expr
        self.fmt = fmt
        self.slots = slots
        self.locale = locale
        self.ph = ph

    @classmethod
    def typed(cls, expr: str, slots: Slots, locale: str, ph: Placeholder | None) -> Deferred:
        """A Deferred for a value of ``ph``'s type, printed in that type's format."""
        return cls(expr, slots, locale, value_format(ph) if ph is not None else None, ph)

    def _derive(self, expr: str) -> Deferred:
        return Deferred(expr, self.slots, self.locale)

    def _field(self, expr: str, name: Any) -> Deferred:
        ph = self.ph
        field = ph.field(name) if ph is not None and ph.type == "object" and isinstance(name, str) else None
        return Deferred.typed(expr, self.slots, self.locale, field)

    def item(self, expr: str) -> Deferred:
        """A loop variable ``expr`` going over this list: typed like the list's items."""
        ph = self.ph
        return Deferred.typed(expr, self.slots, self.locale,
                              ph.item() if ph is not None and ph.type == "list" else None)

    def tag(self) -> str:
        if self.fmt:
            return f"{{{{ {self.expr}|{self.fmt}(locale={self.locale!r}) }}}}"
        return f"{{{{ {self.expr} }}}}"

    def __str__(self) -> str:
        return self.slots.token(self.tag())

    __html__ = __str__

    def __getattr__(self, name: str) -> Deferred:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._field(f"{self.expr}.{name}", name)

    def __getitem__(self, key: Any) -> Deferred:
        refuse_private(key)
        return self._field(f"{self.expr}[{literal_expr(key)}]", key)

    def __call__(self, *args: Any, **kwargs: Any) -> Deferred:
        params = [literal_expr(a) for a in args] + [f"{k}={literal_expr(v)}" for k, v in kwargs.items()]
        return self._derive(f"{self.expr}({', '.join(params)})")

    @staticmethod
    def _op(op: str, reverse: bool = False) -> Callable[[Deferred, Any], Deferred]:
        """An operator method building the runtime expression ``self <op> other``."""
        def method(self: Deferred, other: Any) -> Deferred:
            a, b = f"({self.expr})", literal_expr(other)
            return self._derive(f"{b} {op} {a}" if reverse else f"{a} {op} {b}")
        return method

    __add__, __radd__ = _op("+"), _op("+", True)
    __sub__, __rsub__ = _op("-"), _op("-", True)
    __mul__, __rmul__ = _op("*"), _op("*", True)
    __truediv__, __floordiv__, __mod__ = _op("/"), _op("//"), _op("%")
    # == and != build runtime expressions too (not bools): intended, unlike object's
    __eq__, __ne__ = _op("=="), _op("!=")  # type: ignore[assignment]
    __lt__, __le__, __gt__, __ge__ = _op("<"), _op("<="), _op(">"), _op(">=")
    __hash__ = object.__hash__
    del _op

    def __bool__(self) -> bool:
        raise TemplateSourceError(
            f"cannot decide {self.expr!r} when compiling: it is a per-recipient value. Test it "
            f"with {{% if %}} (which becomes a runtime condition), not with 'and'/'or'/'not' "
            f"outside an {{% if %}} or inside a filter")

    def __iter__(self):
        raise TemplateSourceError(
            f"cannot loop over {self.expr!r} when compiling: it is a per-recipient value; "
            f"loop over it with {{% for %}} (which becomes a runtime loop) or show it with |list")

    def __len__(self) -> int:
        raise TemplateSourceError(f"the length of {self.expr!r} is only known per recipient")


def value_format(ph: Placeholder) -> str | None:
    """The filter a value of ``ph``'s type is printed with (None: as it is). A list of
    objects has none (it is looped over, not printed)."""
    if ph.type == "object" or (ph.type == "list" and ph.item_type == "object"):
        return None
    return TYPE_FORMAT.get(ph.type)


@register_printable
class Shown:
    """A typed value in the naive pipeline: printed as its locale format (like a Deferred's
    default tag), but the raw value for tests, comparisons, filters and attributes."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(self.text))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.value, name)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __iter__(self):
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, key: Any) -> Any:  # rating_links[n], as in the compiled path
        return self.value[key]

    def __eq__(self, other: Any) -> bool:
        return self.value == raw_value(other)

    def __lt__(self, other: Any) -> bool:
        return self.value < raw_value(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= raw_value(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > raw_value(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= raw_value(other)

    def __hash__(self) -> int:
        return hash(self.value)


class ShownList(Shown):
    """A list of scalars in the naive pipeline: printed as the locale's list, and giving
    its items as :class:`Shown` values when looped over (as the compiled loop prints them)."""

    __slots__ = ("items",)

    def __init__(self, value: Any, text: str, items: list) -> None:
        super().__init__(value, text)
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, key: Any) -> Any:
        return self.items[key]


def show(ph: Placeholder, value: Any, locale: str, filters: Mapping[str, Callable]) -> Any:
    """A validated value as the naive pipeline's templates see it: each typed scalar (also
    inside objects and lists) a :class:`Shown` in its locale format."""
    if value is None:
        return None
    if ph.type == "object":
        return Record(**{f.name: show(f, getattr(value, f.name), locale, filters) for f in ph.fields})
    if ph.type == "list":
        item = ph.item()
        items = [show(item, v, locale, filters) for v in value]
        fmt = value_format(ph)
        return ShownList(value, filters[fmt](value, locale=locale), items) if fmt else items
    fmt = value_format(ph)
    return Shown(value, filters[fmt](value, locale=locale)) if fmt else value


def raw_value(v: Any) -> Any:
    return v.value if isinstance(v, Shown) else v


def refuse_private(*names: Any) -> None:
    """Refuse ``_private`` attribute names at build time (with the template's file and line)
    instead of deferring them to a runtime sandbox error that could only name the template."""
    for name in names:
        if isinstance(name, str) and name.startswith("_"):
            raise SecurityError(f"access to attribute {name!r} is unsafe")


def defer_filter(name: str, func: Callable, locale_kw: str | None) -> Callable:
    """Wrap a filter: on a Deferred argument it becomes a runtime filter expression."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    def wrapper(*args, **kwargs):
        vals = args[1:] if pass_arg else args
        deferred = next((v for v in (*vals, *kwargs.values()) if isinstance(v, Deferred)), None)
        if deferred is not None:
            if name == "attr":
                refuse_private(*vals[1:2])
            refuse_private(kwargs.get("attribute"))
            if locale_kw:
                kwargs = {**kwargs, "locale": locale_kw}
            first, rest = vals[0], vals[1:]
            params = [literal_expr(a) for a in rest] + [f"{k}={literal_expr(v)}" for k, v in kwargs.items()]
            call = f"({params and ', '.join(params)})" if params else ""
            return deferred._derive(f"{literal_expr(first)}|{name}{call}")
        if locale_kw:
            kwargs.setdefault("locale", locale_kw)
        args = tuple(raw_value(a) for a in args)
        return func(*args, **{k: raw_value(v) for k, v in kwargs.items()})

    if pass_arg is not None:
        wrapper.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    wrapper.__name__ = name
    return wrapper

