"""The generated validator: one Python function per schema that accepts the common values of
a render context without a call per value (the fast path of :meth:`tplkit.schema.Schema.quick`).

Like a JSON-schema compiler, it turns the placeholder table into straight code: printable
text, plain ``http(s)`` URLs, ASCII email addresses, ints, ISO dates, ``{"amount": "12.50",
"currency": "EUR"}`` money and lists of objects made of those are checked inline, each by
the same tests as :mod:`tplkit.coercion` (which the hypothesis tests hold it to). Any other
value goes through its type's converter (:func:`tplkit.coercion.fast_coercer`); anything
unusual (a missing value with a default inside an object, a blank string, an item the
inline checks do not accept) makes the function return None, and the full validation,
which reports every problem, decides. Only placeholder names (ASCII identifiers, see
:func:`tplkit.schema.name_problem`), integers and ``repr`` of the manifest's currency codes
reach its source.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .coercion import CURRENCY, DECIMAL_LIMIT, EMAIL, SLOW, fast_coercer
from .placeholder import MAX_ITEMS, MAX_TEXT, Money, Placeholder, Record

# A plain http(s) URL that the URL checks accept as it is: printable ASCII without white
# space, quotes, angle brackets, backquotes, backslashes or brackets, a host right after
# "//" (its first character not one of "/?#"). For such a string _checked_url(s.strip())
# is s: _PLAIN_HTTP matches, and _url_chars finds nothing (tests/test_fast_validation.py).
_URL_CHARS = r"!#-;=?-Z^_a-z{-~"
PLAIN_URL = re.compile(rf"[Hh][Tt][Tt][Pp][Ss]?://[!$-.0-;=@-Z^_a-z{{-~][{_URL_CHARS}]*").fullmatch


_CURRENCIES: set[str] = set()   # codes the pattern accepted (at most 26**3 of them)


def _currency(code: str) -> bool:
    """Whether ``code`` is three letters A-Z (_money's check), remembered when it is."""
    if CURRENCY.fullmatch(code) is None:
        return False
    _CURRENCIES.add(code)
    return True


class _Gen:
    """Source lines of the validator and its namespace (converters, constants)."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "_SLOW": SLOW, "_date_iso": _dt.date.fromisoformat, "_nfc": unicodedata.normalize,
            "_url": PLAIN_URL, "_email": EMAIL.match, "_cur": _currency, "_curs": _CURRENCIES,
            "_Dec": Decimal, "_LIM": DECIMAL_LIMIT, "_new": object.__new__, "_set": object.__setattr__,
            "_Money": Money, "_Record": Record}
        self.funcs: list[list[str]] = []
        self.count = 0

    def name(self, prefix: str, value: Any = None) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not None:
            self.ns[name] = value
        return name

    def checks(self, placeholders: list[Placeholder], defaults: Mapping[str, Any],
               code: list[str], nested: bool) -> None:
        """Code filling ``_o`` from ``_g`` (the context's ``get``), one placeholder after
        the other; ``return None`` whenever the full validation must decide."""
        for ph in placeholders:
            key = repr(ph.name)
            count = "" if nested else "_gone += 1; "   # top level: how many are not given
            if ph.name in defaults:
                missing = f"{count}_o[{key}] = {self.name('_d', defaults[ph.name])}"
            elif ph.required or (nested and ph.default is not None):
                missing = "return None"
            else:
                missing = f"{count}_o[{key}] = None"
            code += [f"    _x = _g({key})", f"    if _x is None: {missing}"]
            fast = self.fast(ph)
            if fast:
                cond, value = fast
                code.append(f"    elif {cond}: _o[{key}] = {value}")
            conv = self.name("_f", fast_coercer(ph))
            code += ["    else:", f"        _x = {conv}(_x)", "        if _x is _SLOW: return None",
                     f"        _o[{key}] = _x"]

    def fast(self, ph: Placeholder) -> tuple[str, str] | None:
        """(condition on ``_x``, its validated value) for the inline fast subset of a type."""
        limit = int(ph.max_length or MAX_TEXT)
        if ph.type == "text":
            # printable: no control, bidi-override, surrogate or line/paragraph separator
            # characters (_text's checks); ASCII is NFC already
            return (f"type(_x) is str and _x.isprintable() and (_x.isascii() or "
                    f"(_x := _nfc('NFC', _x)) is not None) and len(_x) <= {limit}", "_x")
        if ph.type == "url":
            return f"type(_x) is str and len(_x) <= {limit} and _url(_x) is not None", "_x"
        if ph.type == "email":   # _email: _text (as is for printable ASCII), strip, the pattern
            return (f"type(_x) is str and _x.isascii() and _x.isprintable() and len(_x) <= {limit} "
                    f"and _email(_s := _x.strip()) is not None", "_s")
        if ph.type == "int":     # _int's result for an int in range (bool is no int here)
            return f"type(_x) is int and -{10 ** 18} < _x < {10 ** 18}", "_x"
        if ph.type == "date":    # any string but an ISO date without blanks fails fromisoformat:
            return "type(_x) is str", "_date_iso(_x)"   # the ValueError defers to validate()
        if ph.type == "money":
            # _money for {"amount": str, "currency": str}: a three-letter code, a finite amount
            # in range (NaN fails the comparison with InvalidOperation: validate() decides)
            default = self.name("_c", ph.currency) if ph.currency else "None"
            # Money(amount, currency) without the frozen dataclass's setattr per field
            return ("type(_x) is dict and type(_a := _x.get('amount')) is str and "
                    f"type(_cu := _x.get('currency', {default})) is str and (_cu in _curs or _cur(_cu)) "
                    "and -_LIM < (_m := _Dec(_a.strip())) < _LIM",
                    "(_set((_mo := _new(_Money)), '__dict__', {'amount': _m, 'currency': _cu}) or _mo)")
        if ph.type == "object":
            return f"type(_x) is dict and (_r := {self.object_(ph)}(_x)) is not None", "_r"
        if ph.type == "list":
            lo = ph.min_items or 0
            hi = MAX_ITEMS if ph.max_items is None else ph.max_items
            item = self.fast(ph.item())
            if item is None:
                return None
            cond, value = item
            f = self.name("_l")
            self.funcs.append([
                f"def {f}(_xs):", "    _out = []",
                "    for _x in _xs:", f"        if not ({cond}): return None",
                f"        _out.append({value})", "    return _out"])
            return f"type(_x) is list and {lo} <= len(_x) <= {hi} and (_y := {f}(_x)) is not None", "_y"
        return None

    def object_(self, ph: Placeholder) -> str:
        """The name of a function validating one object (a dict) into a Record, or None
        (which makes the caller defer)."""
        f = self.name("_v")
        keys = self.name("_k", frozenset(x.name for x in ph.fields))
        code = [f"def {f}(_c):", f"    if not _c.keys() <= {keys}: return None", "    _g = _c.get",
                "    _o = {}"]
        self.checks(list(ph.fields), {}, code, nested=True)
        code.append("    return _Record(**_o)")
        self.funcs.append(code)
        return f


def validator(placeholders: Mapping[str, Placeholder],
              defaults: Mapping[str, Any]) -> Callable[[dict[str, Any], bool], dict[str, Any] | None]:
    """The generated ``validate(context, strict) -> values or None`` for a schema (see the
    module doc; ``strict``: None also for a key that is no placeholder). It may raise
    ValueError or ArithmeticError, which also mean "let the full validation decide"."""
    gen = _Gen()
    code = ["def validate(_c, _strict):", "    _g = _c.get", "    _o = {}", "    _gone = 0"]
    gen.checks(list(placeholders.values()), defaults, code, nested=False)
    # strict: no key but the placeholders'. When the context has exactly as many keys as
    # placeholders were given (not None), those are its keys: no need to look at each
    keys = gen.name("_k", frozenset(placeholders))
    code += [f"    if _strict and len(_c) != {len(placeholders)} - _gone and not _c.keys() <= {keys}:",
             "        return None", "    return _o"]
    source = "\n".join("\n".join(f) for f in [*gen.funcs, code])
    exec(compile(source, "<tplkit validator>", "exec"), gen.ns)  # noqa: S102 - see module doc
    return gen.ns["validate"]
