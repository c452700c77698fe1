"""Placeholder schema: declared types, coercion and validation of render contexts.

Each template declares its placeholders in ``template.toml``. At render time the whole
context is checked at once and *every* problem is reported in one :class:`PlaceholderError`.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import types
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from .errors import PlaceholderError, Problem, TemplateSourceError, toml_line

TYPES = ("text", "int", "decimal", "money", "date", "datetime", "duration", "url", "email",
         "choice", "bool", "list", "object")
MAX_ITEMS = 1000    # a longer list is almost certainly a bug or an attack
MAX_DEPTH = 3       # objects and lists nest at most this deep (order.lines[2].price is 2)
SAFE_URL_SCHEMES = ("https", "http", "mailto", "tel")
MAX_TEXT = 100_000  # characters; a longer value is almost certainly a bug or an attack

# C0/C1 control characters other than TAB and LF, plus bidi overrides/isolates, which can
# disguise text (CVE-2021-42574 "Trojan Source" style) in names that customers supply.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s")
_URL_BAD = re.compile(r'["<>`\\]')  # never valid unencoded in a URL (RFC 3986); quote breakouts
# local@domain: no characters that would end an address or start a mailto: query/fragment
# (``a@b.example?bcc=...``), and a domain made of letters, digits, hyphens and dots.
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"?#&%/\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")


@dataclass(frozen=True)
class Money:
    """An amount in a currency, formatted per locale by the ``money`` filter."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class Placeholder:
    """One declared placeholder of a template."""

    name: str
    type: str = "text"
    required: bool = True
    default: Any = None
    example: Any = None
    description: str = ""
    choices: tuple = ()
    item_type: str = "text"
    currency: str | None = None
    max_length: int | None = None
    default_from: str | None = None  # e.g. "brand.sla_hours", resolved per brand
    compute: str | None = None       # e.g. "support_hours.reply_by": see tplkit.computed
    fields: tuple[Placeholder, ...] = ()   # an object's fields, or a list's item's
    min_items: int | None = None
    max_items: int | None = None

    def field(self, name: str) -> Placeholder | None:
        """The declared field ``name`` of an object (or of a list's object items)."""
        return next((f for f in self.fields if f.name == name), None)

    def item(self) -> Placeholder:
        """What one item of a list is: a scalar of ``item_type``, or an object."""
        return Placeholder(name=self.name, type=self.item_type, currency=self.currency,
                           fields=self.fields)


class Record(types.SimpleNamespace):
    """A validated ``object`` value: its fields as attributes (``order.total``) and items
    (``order["total"]``). Not a dict, so a field may be called ``items`` or ``keys``."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except (AttributeError, TypeError):
            raise KeyError(key) from None


class FieldProblems(ValueError):
    """Problems inside a list or an object: (path below the value, kind, message) each,
    so that every one is reported with its path (``items[2].price``)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path.lstrip('.') or '(value)'}: {msg}"
                                   for path, _, msg in problems))


def with_currency(ph: Placeholder, currency: str) -> Placeholder:
    """``ph`` with every money value in it (fields, items) in ``currency`` unless its own."""
    fields = tuple(with_currency(f, currency) for f in ph.fields)
    money = ph.currency is None and "money" in (ph.type, ph.item_type)
    if not money and fields == ph.fields:
        return ph
    return replace(ph, currency=currency if money else ph.currency, fields=fields)




# The keys of a [placeholders.<name>] table, and what each means (docs/reference.md).
PLACEHOLDER_KEYS: dict[str, str] = {
    "type": "one of the types below (default text)",
    "required": "true/false; default: true unless there is a default",
    "default": "the value when none is given (checked against the type)",
    "default_from": "a brand setting as the default, e.g. \"brand.sla_hours\"",
    "example": "an example value (shown by tplkit show and the preview server)",
    "description": "what the value is, for whoever fills it in",
    "choices": "the allowed values of a choice placeholder (a list)",
    "items": "the type of a list placeholder's items (default text; object: with fields)",
    "currency": "ISO 4217 code of a money placeholder (default: brand.currency)",
    "max_length": "the longest text accepted, in characters",
    "compute": "a value tplkit computes when the caller leaves it out (tplkit.computed), "
               "e.g. \"support_hours.reply_by\"",
    "fields": "[placeholders.<name>.fields.<field>] tables: the fields of an object (or of a "
              "list's objects), each with these keys",
    "min_items": "the fewest items a list accepts",
    "max_items": "the most items a list accepts",
}
_KEYS = set(PLACEHOLDER_KEYS)
_FIELD_KEYS = _KEYS - {"default_from", "compute"}
TYPE_DOCS: dict[str, str] = {
    "text": "a string (NFC, no control characters; escaped in HTML)",
    "int": "a whole number, shown with the locale's digits grouping",
    "decimal": "a decimal number (\"12.5\"), shown per locale",
    "money": "an amount (\"12.50\" or \"12.50 EUR\"), shown per locale with its currency",
    "date": "an ISO date (\"2026-11-24\"), shown as the locale's long date",
    "datetime": "an ISO date and time with offset, shown per locale",
    "duration": "seconds or ISO 8601 (\"PT2H\"), shown as \"2 hours\" in the locale's words",
    "url": "an absolute https/http/mailto/tel URL (other schemes are refused)",
    "email": "an email address (one; no header tricks)",
    "choice": "one of the manifest's choices",
    "bool": "true/false (also \"yes\"/\"no\", 1/0)",
    "list": "a list of items (see items), shown as \"a, b and c\" in the locale, or looped over",
    "object": "a table of named fields (see fields), each checked by its own type",
}


# Names the build pass gives templates itself; a placeholder of that name would hide them.
RESERVED_NAMES = frozenset({"brand", "locale", "lang", "dir", "template_name", "align_start",
                            "align_end", "subject", "preheader", "ui", "caller", "loop", "self",
                            "varargs", "kwargs", "range", "dict", "lipsum", "cycler", "joiner",
                            "namespace"})
_JINJA_WORDS = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not",
                          "in", "is", "if", "else", "elif", "for", "endfor", "endif", "block",
                          "extends", "import", "include", "macro", "call", "set", "with",
                          "without", "context", "as", "from", "recursive", "scoped", "required"})
NAME_RULE = ("letters, digits and underscores, starting with a letter (first_name, FirstName, "
             "ORDER_ID)")


def snake_case(name: str) -> str:
    """``FirstName`` / ``first-name`` / ``First Name`` -> ``first_name`` (rename advice)."""
    s = re.sub(r"[^0-9A-Za-z]+", "_", name)
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", s)
    s = s.strip("_").lower() or "value"
    return f"value_{s}" if s[0].isdigit() else s


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a placeholder (with what to rename it to), or None.

    Names are what real templates use (``first_name``, ``FirstName``), as long as Jinja can
    read them as a variable and they hide none of the build pass's own names."""
    import keyword

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or not name.isascii():
        fix = snake_case(name)
        return f"names are {NAME_RULE}; rename it to {fix!r} (in template.toml and the template)"
    if name in RESERVED_NAMES:
        return (f"{name!r} is a name templates already get (brand, locale, lang, dir, ...); rename "
                f"it, e.g. to {'customer_' + name!r}")
    if name in _JINJA_WORDS or keyword.iskeyword(name):
        return f"{name!r} is a Jinja or Python word; rename it, e.g. to {name + '_value'!r}"
    return None


def parse_placeholders(raw: Mapping[str, Any], *, file: str, template: str) -> dict[str, Placeholder]:
    """Build the placeholder table from the ``[placeholders]`` table of a manifest."""
    out: dict[str, Placeholder] = {}
    for name, spec in raw.items():
        out[name] = _parse_one(name, spec, (name,), file=file, template=template)
    from .computed import check_manifest

    for name, ph in out.items():
        if ph.compute is not None:
            problem = check_manifest(ph, out)
            if problem:
                raise TemplateSourceError(f"placeholder {name!r}: {problem}", file=file, template=template,
                                          line=toml_line(file, f"placeholders.{name}", "compute"))
    return out


def _parse_one(name: str, spec: Any, path: tuple[str, ...], *, file: str, template: str) -> Placeholder:
    """One placeholder, or one field of an object (``path`` leads to it in the manifest)."""
    dotted = ".".join(path)
    table = "placeholders." + ".fields.".join(path)

    def bad(msg: str, key: str | None = None) -> TemplateSourceError:
        what = "placeholder" if len(path) == 1 else "field"
        return TemplateSourceError(f"{what} {dotted!r}: {msg}", file=file, template=template,
                                   line=toml_line(file, table, key))

    problem = name_problem(name)
    if problem:
        raise bad(problem)
    if not isinstance(spec, Mapping):
        raise bad("expected a table")
    unknown = set(spec) - (_KEYS if len(path) == 1 else _FIELD_KEYS)
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}")
    typ = spec.get("type", "text")
    if typ not in TYPES:
        raise bad(f"unknown type {typ!r} (one of {', '.join(TYPES)})", "type")
    item_type = spec.get("items", "text")
    if typ == "list" and (item_type not in TYPES or item_type == "list"):
        raise bad(f"a list's items are one of {', '.join(t for t in TYPES if t != 'list')}", "items")
    has_default = "default" in spec or "default_from" in spec
    required = bool(spec.get("required", not has_default))
    if typ == "choice" and not spec.get("choices"):
        raise bad("type 'choice' needs a list of choices", "choices")
    if spec.get("default_from") and not str(spec["default_from"]).startswith("brand."):
        raise bad("default_from must name a brand setting, e.g. 'brand.sla_hours'", "default_from")
    structured = typ == "object" or (typ == "list" and item_type == "object")
    raw_fields = spec.get("fields")
    if structured != (raw_fields is not None):
        raise bad("an object (or a list of objects) declares its fields, nothing else does"
                  if raw_fields is not None else "an object needs a [fields] table", "fields")
    if structured and (not isinstance(raw_fields, Mapping) or not raw_fields):
        raise bad("fields must be a table of at least one field", "fields")
    if len(path) >= MAX_DEPTH and structured:
        raise bad(f"objects and lists nest at most {MAX_DEPTH} deep")
    fields = tuple(_parse_one(f, fspec, (*path, f), file=file, template=template)
                   for f, fspec in (raw_fields or {}).items())
    for key in ("min_items", "max_items"):
        n = spec.get(key)
        if n is not None and (typ != "list" or isinstance(n, bool) or not isinstance(n, int)
                              or not 0 <= n <= MAX_ITEMS):
            raise bad(f"{key} is a whole number from 0 to {MAX_ITEMS}, for a list", key)
    if spec.get("min_items", 0) > spec.get("max_items", MAX_ITEMS):
        raise bad("min_items is larger than max_items", "min_items")
    ph = Placeholder(name=name, type=typ, required=required, default=spec.get("default"),
                     example=spec.get("example"), description=spec.get("description", ""),
                     choices=tuple(spec.get("choices", ())), item_type=item_type,
                     currency=spec.get("currency"), max_length=spec.get("max_length"),
                     default_from=spec.get("default_from"), compute=spec.get("compute"),
                     fields=fields, min_items=spec.get("min_items"), max_items=spec.get("max_items"))
    if ph.default is not None:
        try:
            coerce(ph, ph.default)
        except ValueError as e:
            raise bad(f"default does not fit the type: {e}", "default") from None
    return ph


# --- coercion -------------------------------------------------------------------------------

def _text(ph: Placeholder, v: Any) -> str:
    if not isinstance(v, str) and type(v) not in (int, float, Decimal):
        raise ValueError(f"expected text, got {type(v).__name__}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("expected text, got a non-finite number")
    # an exact str: a subclass's own __str__/__html__ (returning Markup, say) never runs
    s = str.__str__(v) if isinstance(v, str) else str(v)
    if not s.isascii():  # ASCII has no surrogates, is already NFC and has no U+2028/9
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains an invalid (lone surrogate) character") from None
        s = unicodedata.normalize("NFC", s)
        if "\u2028" in s or "\u2029" in s:  # Unicode line/paragraph separators: plain line breaks
            s = s.replace("\u2028", "\n").replace("\u2029", "\n")
    if _CONTROL.search(s):
        raise ValueError("contains control or bidi-override characters")
    limit = ph.max_length or MAX_TEXT
    if len(s) > limit:
        raise ValueError(f"is {len(s)} characters long (at most {limit})")
    return s


def _int(ph: Placeholder, v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("expected an integer, got a boolean")
    if (isinstance(v, float) and v.is_integer()
            or isinstance(v, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", v)):
        v = int(v)
    if not isinstance(v, int):
        raise ValueError(f"expected an integer, got {v!r:.40}")
    if abs(v) >= 10 ** 18:
        raise ValueError("integer out of range")
    return v


_DECIMAL_LIMIT = Decimal(10) ** 15


def _decimal(ph: Placeholder, v: Any) -> Decimal:
    if isinstance(v, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(v, (int, Decimal, float)):
        d = Decimal(str(v)) if isinstance(v, float) else Decimal(v)
    elif isinstance(v, str):
        try:
            d = Decimal(v.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {v!r:.40}") from None
    else:
        raise ValueError(f"expected a number, got {type(v).__name__}")
    if not d.is_finite():
        raise ValueError("expected a finite number")
    if abs(d) >= _DECIMAL_LIMIT:
        raise ValueError("number out of range")
    return d


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _money(ph: Placeholder, v: Any) -> Money:
    if isinstance(v, Money):
        return v
    currency = ph.currency
    # type() first: an ABC isinstance costs as much as the rest of the coercion
    if type(v) is dict or (type(v) is not str and isinstance(v, Mapping)):
        if "amount" not in v:
            raise ValueError("money needs an 'amount'")
        currency = v.get("currency", currency)
        v = v["amount"]
    elif isinstance(v, str):
        parts = v.split()
        if len(parts) == 2 and _CURRENCY.match(parts[1]):
            v, currency = parts
        elif len(parts) == 2 and _CURRENCY.match(parts[0]):
            currency, v = parts
    if not currency or not _CURRENCY.match(str(currency)):
        raise ValueError("money needs a three-letter ISO currency code "
                         "(e.g. {amount: '10.00', currency: 'EUR'})")
    return Money(_decimal(ph, v), str(currency))


def _date(ph: Placeholder, v: Any) -> _dt.date:
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {v!r:.40}")


def _datetime(ph: Placeholder, v: Any) -> _dt.datetime:
    if isinstance(v, _dt.datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = _dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date-time, got {v!r:.40}") from None
    else:
        raise ValueError(f"expected an ISO 8601 date-time, got {type(v).__name__}")
    return dt if dt.tzinfo else dt.replace(tzinfo=_dt.UTC)


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _duration(ph: Placeholder, v: Any) -> _dt.timedelta:
    if isinstance(v, _dt.timedelta):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0:
        return _dt.timedelta(seconds=v)
    if isinstance(v, str):
        m = _DURATION.match(v.strip())
        if m and any(m.groups()):
            d, h, mi, s = (int(x or 0) for x in m.groups())
            return _dt.timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise ValueError(f"expected a duration (seconds or ISO 8601 like PT24H), got {v!r:.40}")


def _url(ph: Placeholder, v: Any) -> str:
    return _checked_url(_text(ph, v).strip())


# what urlsplit calls an http(s) URL with a host, for an ASCII string without brackets
# (urlsplit reads the scheme up to the first ":", the host from "//" to the first of "/?#",
# and raises only for brackets in the host or, for non-ASCII hosts, NFKC lookalikes)
_PLAIN_HTTP = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^/?#\[\]]").match


def _checked_url(s: str) -> str:
    """The URL checks proper. Accepted URLs are remembered (the same base URLs recur in every
    message); a plain http(s) URL (unique per message, a tracking link say) needs no
    urlsplit: it passes its scheme and host checks by its form alone."""
    ok = _URLS_OK.get(s)
    if ok is None:
        if _PLAIN_HTTP(s) and s.isascii() and "[" not in s and "]" not in s:
            ok = _url_chars(s)
        else:
            ok = _checked_url_split(s)
        if len(_URLS_OK) >= 4096:
            _URLS_OK.clear()
        _URLS_OK[s] = ok
    return ok


_URLS_OK: dict[str, str] = {}


def _checked_url_split(s: str) -> str:
    """The URL checks through urlsplit."""
    parts = urlsplit(s)
    scheme = parts.scheme.lower()
    if scheme not in SAFE_URL_SCHEMES:
        raise ValueError(f"URL scheme {scheme + ':' if scheme else '(none)'} is not allowed "
                         f"(use {', '.join(SAFE_URL_SCHEMES)})")
    if scheme in ("http", "https") and not parts.netloc:
        raise ValueError("URL has no host")
    return _url_chars(s)


def _url_chars(s: str) -> str:
    """No white space and nothing that must be percent-encoded."""
    if _SPACE.search(s):  # any Unicode white space, as str.isspace() sees it
        raise ValueError("URL contains white space")
    if _URL_BAD.search(s):
        bad = _URL_BAD.findall(s)
        raise ValueError(f"URL contains {''.join(sorted(set(bad)))!r}, which must be percent-encoded")
    return s


def _email(ph: Placeholder, v: Any) -> str:
    s = _text(ph, v).strip()
    if not _EMAIL.match(s):
        raise ValueError(f"not an email address: {s!r:.60}")
    return s


def _choice(ph: Placeholder, v: Any) -> Any:
    if v in ph.choices:   # the manifest's own value: an object that equals it is not printed
        return next(c for c in ph.choices if c == v)
    close = difflib.get_close_matches(str(v), [str(c) for c in ph.choices], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"{v!r:.40} is not one of {', '.join(map(str, ph.choices))}{hint}")


def _bool(ph: Placeholder, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return v.strip().lower() in ("true", "yes", "1")
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise ValueError(f"expected true or false, got {v!r:.40}")


def _list(ph: Placeholder, v: Any) -> list:
    if isinstance(v, (str, bytes, Mapping, Record)) or not hasattr(v, "__iter__"):
        raise ValueError(f"expected a list, got {type(v).__name__}")
    item = ph.item()
    items = list(v)
    limit = MAX_ITEMS if ph.max_items is None else ph.max_items
    if len(items) > limit:
        raise ValueError(f"list has {len(items)} items (at most {limit})")
    if len(items) < (ph.min_items or 0):
        raise ValueError(f"list has {len(items)} item{'s' if len(items) != 1 else ''} "
                         f"(at least {ph.min_items})")
    out, problems = [], []
    for i, x in enumerate(items):
        try:
            if x is None:
                raise ValueError(f"a {item.type} item is missing (null)")
            out.append(coerce(item, x))
        except FieldProblems as e:
            problems += [(f"[{i}]{path}", kind, msg) for path, kind, msg in e.problems]
        except ValueError as e:
            problems.append((f"[{i}]", "invalid", str(e)))
    if problems:
        raise FieldProblems(problems)
    return out


def _object(ph: Placeholder, v: Any) -> Record:
    if isinstance(v, Record):
        v = vars(v)
    if not isinstance(v, Mapping):
        raise ValueError(f"expected an object (a table of fields), got {type(v).__name__}")
    out, problems = {}, []
    for f in ph.fields:
        value = v.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip() and f.type != "text"):
            if f.default is not None:
                out[f.name] = coerce(f, f.default)
            elif f.required:
                problems.append((f".{f.name}", "missing", f"required {f.type} value is missing"))
            else:
                out[f.name] = None
            continue
        try:
            out[f.name] = coerce(f, value)
        except FieldProblems as e:
            problems += [(f".{f.name}{path}", kind, msg) for path, kind, msg in e.problems]
        except ValueError as e:
            problems.append((f".{f.name}", "invalid", str(e)))
    names = [f.name for f in ph.fields]
    for key in v:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append((f".{key}", "unknown", f"not a field of this object{hint}"))
    if problems:
        raise FieldProblems(problems)
    return Record(**out)


_COERCE: dict[str, Callable[[Placeholder, Any], Any]] = {
    "text": _text, "int": _int, "decimal": _decimal, "money": _money, "date": _date,
    "datetime": _datetime, "duration": _duration, "url": _url, "email": _email,
    "choice": _choice, "bool": _bool, "list": _list, "object": _object,
}


def coerce(ph: Placeholder, value: Any) -> Any:
    """Convert ``value`` to the placeholder's type, or raise ``ValueError`` saying why."""
    return _COERCE[ph.type](ph, value)


@dataclass
class Schema:
    """The placeholder table of one template, with brand-resolved defaults."""

    placeholders: dict[str, Placeholder]
    defaults: dict[str, Any] = field(default_factory=dict)

    def validate(self, context: Mapping[str, Any] | None, *, strict: bool = True,
                 template: str | None = None, locale: str | None = None) -> dict[str, Any]:
        """Return the coerced context (defaults filled in) or raise one PlaceholderError."""
        quick = self.quick(context, strict)
        if quick is not None:
            return quick
        context = context or {}
        if not isinstance(context, Mapping):
            raise PlaceholderError([Problem("(context)", "invalid", "the context must be a mapping")],
                                   template=template, locale=locale)
        problems: list[Problem] = []
        out: dict[str, Any] = {}
        for name, ph in self.placeholders.items():
            value = context.get(name)
            if value is None or (isinstance(value, str) and not value.strip() and ph.type != "text"):
                if name in self.defaults:
                    out[name] = self.defaults[name]
                elif ph.required:
                    problems.append(Problem(name, "missing", f"required {ph.type} value is missing"))
                else:
                    out[name] = None
                continue
            try:
                out[name] = coerce(ph, value)
            except FieldProblems as e:  # every problem inside, with its path
                problems += [Problem(f"{name}{path}", kind, msg) for path, kind, msg in e.problems]
            except (ValueError, ArithmeticError) as e:  # OverflowError: a 1e300-second duration
                problems.append(Problem(name, "invalid", str(e) if isinstance(e, ValueError)
                                        else f"value out of range ({e})"))
            except RecursionError:
                problems.append(Problem(name, "invalid", "value is nested too deeply"))
        if strict:
            for name in context:
                if name in self.placeholders:
                    continue
                close = difflib.get_close_matches(str(name), list(self.placeholders), n=1, cutoff=0.7)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(Problem(str(name), "unknown", f"not a placeholder of this template{hint}"))
        if problems:
            raise PlaceholderError(problems, template=template, locale=locale)
        return out

    def quick(self, context: Any, strict: bool = True) -> dict[str, Any] | None:
        """:meth:`validate` for the common case, a plain dict whose every value is in the
        fast subset of its type (printable text, say) and valid: the coerced context, or
        None, which means run :meth:`validate` (it also reports every problem)."""
        if type(context) is not dict:
            return None
        fast = self.__dict__.get("_fast")
        if fast is None:
            fast = self.__dict__["_fast"] = self._fast_validator()
        try:
            out = fast(context)
        except (ValueError, ArithmeticError, RecursionError):
            return None
        if out is None or (strict and not context.keys() <= self.placeholders.keys()):
            return None
        return out

    def _fast_validator(self) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
        """One generated function checking every placeholder in turn, with no loop and no
        call for plain ASCII text and URLs (other values go through :func:`_fast_coercer`).
        Only placeholder names (ASCII identifiers, :func:`name_problem`) and integers reach its
        source, through ``repr``."""
        ns: dict[str, Any] = {"_SLOW": _SLOW, "_checked_url": _checked_url,
                              "_date_iso": _dt.date.fromisoformat, "_nfc": unicodedata.normalize}
        code = ["def validate(_c):", "    _g = _c.get", "    _o = {}"]
        for i, (name, ph) in enumerate(self.placeholders.items()):
            key = repr(name)
            ns[f"_f{i}"] = _fast_coercer(ph)
            if name in self.defaults:
                ns[f"_d{i}"] = self.defaults[name]
                missing = f"_o[{key}] = _d{i}"
            else:
                missing = "return None" if ph.required else f"_o[{key}] = None"
            code += [f"    _x = _g({key})", f"    if _x is None: {missing}"]
            # printable: no control, bidi-override, surrogate or line/paragraph separator
            # characters (_text's checks); ASCII is NFC already
            limit = int(ph.max_length or MAX_TEXT)
            if ph.type == "text":
                code.append(f"    elif type(_x) is str and _x.isprintable() and (_x.isascii() or "
                            f"(_x := _nfc('NFC', _x)) is not None) and len(_x) <= {limit}: "
                            f"_o[{key}] = _x")
            elif ph.type == "url":
                code.append(f"    elif type(_x) is str and _x.isascii() and _x.isprintable() "
                            f"and len(_x) <= {limit}: _o[{key}] = _checked_url(_x.strip())")
            elif ph.type == "int":   # _int's result for an int in range (bool is no int here)
                code.append(f"    elif type(_x) is int and -{10 ** 18} < _x < {10 ** 18}: _o[{key}] = _x")
            elif ph.type == "date":   # _date's result for an ISO date without blanks; any other
                # string fails fromisoformat, ValueError sends the context to validate()
                code.append(f"    elif type(_x) is str: _o[{key}] = _date_iso(_x)")
            code += ["    else:", f"        _x = _f{i}(_x)", "        if _x is _SLOW: return None",
                     f"        _o[{key}] = _x"]
        code.append("    return _o")
        exec(compile("\n".join(code), "<tplkit validator>", "exec"), ns)  # noqa: S102 - see doc
        return ns["validate"]


_SLOW = object()  # "not in the fast subset": the full validation decides


def _fast_coercer(ph: Placeholder) -> Callable[[Any], Any]:
    """:func:`coerce` for one placeholder, with shortcuts for the common values: the same
    result, or ``_SLOW`` when the full validation must look (a blank non-text value is
    missing there, not invalid)."""
    limit = ph.max_length or MAX_TEXT
    if ph.type in ("text", "url"):
        url = ph.type == "url"

        def text(v: Any) -> Any:
            # printable ASCII: nothing to normalise and no control characters (_text's checks)
            if type(v) is str and v.isascii() and v.isprintable() and len(v) <= limit:
                return _checked_url(v.strip()) if url else v
            if url and isinstance(v, str) and not v.strip():
                return _SLOW
            return coerce(ph, v)
        return text
    convert = _COERCE[ph.type]

    def other(v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return _SLOW
        return convert(ph, v)
    return other
