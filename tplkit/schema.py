"""Placeholder schema: declared types, coercion and validation of render contexts.

Each template declares its placeholders in ``template.toml``. At render time the whole
context is checked at once and *every* problem is reported in one :class:`PlaceholderError`.

The types live in :mod:`tplkit.placeholder` and the converters in :mod:`tplkit.coercion`;
this module (the public one) reads declarations into a :class:`Schema` and validates whole
contexts, and re-exports those names.
"""
from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .coercion import coerce
from .computed import check_manifest
from .errors import PlaceholderError, Problem, TemplateSourceError
from .placeholder import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT,
    SAFE_URL_SCHEMES,
    TYPES,
    FieldProblems,
    Money,
    Placeholder,
    Record,
    with_currency,
)
from .tomlpos import toml_line
from .validatorgen import validator

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "MAX_TEXT", "SAFE_URL_SCHEMES", "TYPES", "FieldProblems",
           "Money", "Placeholder", "Record", "Schema", "coerce", "parse_placeholders",
           "with_currency"]




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
        return self.validate_all(context, strict=strict, template=template, locale=locale)

    def validate_all(self, context: Mapping[str, Any] | None, *, strict: bool = True,
                     template: str | None = None, locale: str | None = None) -> dict[str, Any]:
        """:meth:`validate` without the fast path: every value through its converter
        (what the fast path must equal, and what reports the problems)."""
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
            fast = self.__dict__["_fast"] = validator(self.placeholders, self.defaults)
        try:
            return fast(context, strict)
        except (ValueError, ArithmeticError, RecursionError):
            return None
