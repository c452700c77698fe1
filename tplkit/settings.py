"""The project settings a ``tplkit.toml`` may hold: their types, checks and documentation.

One table, :data:`SETTINGS`, says what every key means; :func:`check_settings` validates a
parsed config file against it (every problem with the file and line of its key) and
``docs/reference.md`` is generated from it, so the documentation cannot drift from the code.
"""
from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .coercion import coerce
from .errors import ConfigError
from .placeholder import Placeholder
from .tomlpos import file_key_line

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,30}$")


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected a string, got {_kind(v)}")
    return v


def _required_text(v: Any) -> str:
    if not _text(v).strip():
        raise ValueError("must not be empty")
    return v


def _url(v: Any) -> str:
    s = _text(v)
    if not s:
        return s
    parts = urlsplit(s)
    if parts.scheme not in ("https", "http") or not parts.netloc or re.search(r'[\s"<>`\\]', s):
        raise ValueError(f"expected an https:// (or http://) address, got {s!r}")
    return s


def _email(v: Any) -> str:
    s = _text(v)
    if s:
        coerce(Placeholder("email", type="email"), s)
    return s


def _phone(v: Any) -> str:
    s = _text(v)
    if s and not _PHONE.match(s):
        raise ValueError(f"expected a phone number such as '+49 30 1234567', got {s!r}")
    return s


def _color(v: Any) -> str:
    s = _text(v)
    if not _HEX.match(s):
        raise ValueError(f"expected a hex colour such as '#0f766e' (#rgb or #rrggbb), got {s!r}")
    return s


def _hours(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected a whole number of hours, got {_kind(v)}")
    if not 1 <= v <= 24 * 30:
        raise ValueError(f"must be between 1 and 720, got {v}")
    return v


def _currency(v: Any) -> str:
    from babel.numbers import is_currency  # Babel loads on first use: `import tplkit` stays light

    s = _text(v)
    if not is_currency(s):
        raise ValueError(f"expected an ISO 4217 currency code such as 'EUR', got {s!r}")
    return s


def _locale(v: Any) -> str:
    from babel import Locale, UnknownLocaleError  # (as above)

    s = _text(v)
    try:
        Locale.parse(s.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"unknown locale {s!r} (expected a code such as 'de' or 'pt_BR')") from None
    return s


def _locales(v: Any) -> list:
    if not isinstance(v, list):
        raise TypeError(f"expected a list of locale codes such as [\"en\", \"de\"], got {_kind(v)}")
    for item in v:
        _locale(item)
    return v


def _https(v: Any) -> str:
    s = _text(v)
    if s and not s.startswith("https://"):
        raise ValueError(f"expected an https:// address, got {s!r}")
    return _url(s)


def _icons(v: Any) -> str:
    s = _https(v)
    if s and "{network}" not in s:
        raise ValueError("expected an https:// URL containing {network}, e.g. "
                         "'https://shop.example/icons/{network}.png'")
    return s


def _checked_by_hours(v: Any) -> Any:
    """Support hours and response-time promises are checked as a whole by
    :meth:`tplkit.hours.SupportHours.from_brand` (see :func:`check_hours`)."""
    return v


def _kind(v: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(v), type(v).__name__)


@dataclass(frozen=True)
class Setting:
    """One key of ``tplkit.toml``: dotted name, type shown in the reference, check, meaning."""

    key: str
    type: str
    check: Callable[[Any], Any] | None
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("default_locale", "locale", _locale, "The locale used when none is asked for."),
    Setting("locales", "list of locales", _locales,
            "The locales you support; lint checks each has a catalog and every message is translated."),
    Setting("brand", "table", None, "Your brand: identity, colours, contacts, support hours, SLA."),
    Setting("brand.company_name", "text (required)", _required_text,
            "Shown in the footer and as the logo's alt text."),
    Setting("brand.website", "https URL", _url, "Where the logo links to."),
    Setting("brand.logo_url", "https URL", _url, "The logo image at the top of every email."),
    Setting("brand.logo_alt", "text", _text, "The logo's alt text (default: company_name)."),
    Setting("brand.primary_color", "hex colour", _color, "Buttons and links."),
    Setting("brand.button_text_color", "hex colour", _color, "Text on buttons (keep 4.5:1 contrast)."),
    Setting("brand.text_color", "hex colour", _color, "Body text."),
    Setting("brand.muted_color", "hex colour", _color, "Footer and secondary text."),
    Setting("brand.background_color", "hex colour", _color, "Behind the white content card."),
    Setting("brand.phone", "phone number", _phone, "Footer contact (a tel: link); empty hides it."),
    Setting("brand.email", "email address", _email, "Footer contact (a mailto: link); empty hides it."),
    Setting("brand.address", "text", _text, "Postal address in the footer; empty hides it."),
    Setting("brand.kb_url", "https URL", _url, "Help centre link in the footer; empty hides it."),
    Setting("brand.sla_hours", "int 1-720", _hours, "The response time promised in acknowledgements."),
    Setting("brand.currency", "ISO 4217 code", _currency,
            "Currency of money placeholders without their own."),
    Setting("brand.support_hours", "table", None,
            "Support hours in the footer; a table you set replaces the built-in one whole."),
    Setting("brand.support_hours.days", "weekday range", _checked_by_hours,
            "First-last weekday, e.g. 'mon-fri'."),
    Setting("brand.support_hours.open", "HH:MM", _checked_by_hours, "Opening time (24-hour)."),
    Setting("brand.support_hours.close", "HH:MM", _checked_by_hours, "Closing time (24-hour), after open."),
    Setting("brand.support_hours.timezone", "IANA time zone", _checked_by_hours,
            "The zone the hours are in, named in the email."),
    Setting("brand.support_hours.holidays", "list of dates", _checked_by_hours,
            "Days off: fixed dates (\"2026-04-03\") and yearly ones (\"12-25\")."),
    Setting("brand.response_hours", "table of int 1-720", None,
            "Response time promised per request category, in business hours (general: sla_hours)."),
    Setting("brand.social", "table of https URLs", None,
            "Social links in the footer, network = URL; a table you set replaces the built-in one whole."),
    Setting("brand.social_icons", "https URL with {network}", _icons,
            "Icons of the social links; empty: text links only (no third-party host by default)."),
    Setting("brand.font_family", "text", _text, "The font stack (a system stack: no web-font request)."),
    Setting("brand.web_font_url", "https URL", _https, "A web-font stylesheet; empty: none."),
    Setting("brand.dark_background_color", "hex colour", _color, "Dark mode: behind the card."),
    Setting("brand.dark_card_color", "hex colour", _color, "Dark mode: the content card."),
    Setting("brand.dark_text_color", "hex colour", _color, "Dark mode: body text."),
    Setting("brand.dark_muted_color", "hex colour", _color, "Dark mode: footer and secondary text."),
    Setting("brand.dark_link_color", "hex colour", _color, "Dark mode: links."),
    Setting("brand.logo_dark_url", "https URL", _https, "Dark mode: the logo to show instead; empty: "
            "the logo on a light plate."),
    Setting("lint", "table", None, "Lint configuration: see \"Linting in CI\" in the README."),
    Setting("links", "table", None, "Signed one-click links: key_env (the variable holding the "
            "signing key; never the key itself) and max_age_days (checked by tplkit.links)."),
    Setting("preview", "table", None, "The preview server's test sends: smtp, starttls, user, "
            "password_env."),
    Setting("preview.smtp", "HOST:PORT", _text, "SMTP server for test sends (default localhost:25)."),
    Setting("preview.starttls", "bool", None, "Upgrade test sends with STARTTLS."),
    Setting("preview.user", "text", _text, "SMTP login for test sends."),
    Setting("preview.password_env", "text", _text, "Environment variable holding that password."),
)
# tables whose contents another module checks (with its own messages)
_CHECKED_ELSEWHERE = {"lint", "links"}
SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
BRAND_KEYS: tuple[str, ...] = tuple(s.key.split(".")[1] for s in SETTINGS
                                    if s.key.count(".") == 1 and s.key.startswith("brand."))


def check_settings(raw: Mapping[str, Any], file: str | os.PathLike | None = None,
                   prefix: Sequence[str] = ()) -> None:
    """Validate a parsed config table against :data:`SETTINGS`.

    Raises :class:`ConfigError` naming ``file`` and the line of the offending key (``prefix``
    is where the table sits in the file: ``("tool", "tplkit")`` in ``pyproject.toml``).
    Unknown keys are errors with a "did you mean", so a typo never silently does nothing.
    """
    def fail(path: Sequence[str], msg: str) -> ConfigError:
        line = file_key_line(file, (*prefix, *path)) if file else None
        return ConfigError(f"{'.'.join(path)}: {msg}", file=file, line=line)

    def walk(table: Mapping[str, Any], path: tuple[str, ...]) -> None:
        for key, value in table.items():
            full = (*path, key)
            dotted = ".".join(full)
            spec = SETTINGS_BY_KEY.get(dotted)
            if spec is None and path in (("brand", "social"), ("brand", "response_hours")):
                try:
                    (_https if path[1] == "social" else _hours)(value)
                except (TypeError, ValueError) as e:
                    raise fail(full, str(e)) from None
                continue
            if spec is None:
                siblings = [s.key.rsplit(".", 1)[-1] for s in SETTINGS
                            if s.key.rpartition(".")[0] == ".".join(path)]
                close = difflib.get_close_matches(key, siblings, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f" (known: {', '.join(siblings)})"
                raise fail(full, f"unknown setting{hint}")
            if spec.check is None and spec.type == "bool":
                if not isinstance(value, bool):
                    raise fail(full, f"expected true or false, got {_kind(value)}")
                continue
            if spec.check is None:
                if not isinstance(value, Mapping):
                    raise fail(full, f"expected a table, got {_kind(value)}")
                if dotted not in _CHECKED_ELSEWHERE:
                    walk(value, full)
                continue
            try:
                spec.check(value)
            except (TypeError, ValueError) as e:
                raise fail(full, str(e)) from None

    walk(raw, ())


def merge_brand(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """The project's brand over the built-in one, table by table: a key the project sets
    wins, a key it leaves out keeps the built-in value, and a sub-table it sets
    (``support_hours``, ``social``) replaces the built-in one whole (a shop's social links
    are its own list, not added to the demo company's)."""
    return {**base, **over}
