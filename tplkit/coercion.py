"""Value coercion and validation: one converter per placeholder type (:func:`coerce`), and
the shortcuts the generated validator of :class:`tplkit.schema.Schema` takes for common values.

Every converter returns the typed value or raises ``ValueError`` saying why (a
:class:`~tplkit.placeholder.FieldProblems` for problems inside lists and objects, each with
its path). Public through :mod:`tplkit.schema` (``coerce``).
"""
from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from .placeholder import (
    MAX_ITEMS,
    MAX_TEXT,
    SAFE_URL_SCHEMES,
    FieldProblems,
    Money,
    Placeholder,
    Record,
)

# C0/C1 control characters other than TAB and LF, plus bidi overrides/isolates, which can
# disguise text (CVE-2021-42574 "Trojan Source" style) in names that customers supply.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s")
_URL_BAD = re.compile(r'["<>`\\]')  # never valid unencoded in a URL (RFC 3986); quote breakouts
# local@domain: no characters that would end an address or start a mailto: query/fragment
# (``a@b.example?bcc=...``), and a domain made of letters, digits, hyphens and dots.
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"?#&%/\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")



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


DECIMAL_LIMIT = Decimal(10) ** 15


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
    if abs(d) >= DECIMAL_LIMIT:
        raise ValueError("number out of range")
    return d


CURRENCY = re.compile(r"^[A-Z]{3}$")


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
        if len(parts) == 2 and CURRENCY.match(parts[1]):
            v, currency = parts
        elif len(parts) == 2 and CURRENCY.match(parts[0]):
            currency, v = parts
    if not currency or not CURRENCY.match(str(currency)):
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
    return checked_url(_text(ph, v).strip())


# what urlsplit calls an http(s) URL with a host, for an ASCII string without brackets
# (urlsplit reads the scheme up to the first ":", the host from "//" to the first of "/?#",
# and raises only for brackets in the host or, for non-ASCII hosts, NFKC lookalikes)
_PLAIN_HTTP = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^/?#\[\]]").match


def checked_url(s: str) -> str:
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
    if not EMAIL.match(s):
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




SLOW = object()  # "not in the fast subset": the full validation decides


def fast_coercer(ph: Placeholder) -> Callable[[Any], Any]:
    """:func:`coerce` for one placeholder, with shortcuts for the common values: the same
    result, or ``SLOW`` when the full validation must look (a blank non-text value is
    missing there, not invalid)."""
    limit = ph.max_length or MAX_TEXT
    if ph.type in ("text", "url"):
        url = ph.type == "url"

        def text(v: Any) -> Any:
            # printable ASCII: nothing to normalise and no control characters (_text's checks)
            if type(v) is str and v.isascii() and v.isprintable() and len(v) <= limit:
                return checked_url(v.strip()) if url else v
            if url and isinstance(v, str) and not v.strip():
                return SLOW
            return coerce(ph, v)
        return text
    convert = _COERCE[ph.type]

    def other(v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return SLOW
        return convert(ph, v)
    return other
