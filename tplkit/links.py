"""Signed one-click links: rating buttons, "did this help?", time slots, unsubscribe.

A one-click link carries its parameters in the clear (``?ticket=SR-1&score=5``), so anyone
could forge or edit one. :func:`sign` appends an expiry time (``exp``, Unix seconds) and an
HMAC-SHA256 signature (``sig``) over every query parameter and a *purpose* ("rating",
"unsubscribe", ...); :func:`verify` checks both and returns the parameters, or raises a
:class:`~tplkit.errors.LinkError`. Changing the score, the ticket, the expiry or the purpose
breaks the signature.

The key belongs to the application (its configuration or an environment variable, by
default ``TPLKIT_LINK_KEY``), never to templates, catalogs, config files or build folders:
templates only ever see finished URLs. Several keys may be given to rotate them: the first
signs, any of them verifies.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError, LinkError, LinkExpiredError, LinkSignatureError
from .filters import with_query  # the unsigned links' very own builder

KEY_ENV = "TPLKIT_LINK_KEY"
MIN_KEY_BYTES = 16
DEFAULT_MAX_AGE = _dt.timedelta(days=30)
_RESERVED = ("exp", "sig")
_DOMAIN = b"tplkit-link-v1"

Key = str | bytes
Keys = Key | Sequence[Key]


def _keys(key: Keys) -> list[bytes]:
    keys = [key] if isinstance(key, (str, bytes)) else list(key)
    out = []
    for k in keys:
        raw = k.encode("utf-8") if isinstance(k, str) else k
        if not isinstance(raw, bytes) or len(raw) < MIN_KEY_BYTES:
            raise LinkError(f"a link signing key must be at least {MIN_KEY_BYTES} bytes long")
        out.append(raw)
    if not out:
        raise LinkError("no link signing key given")
    return out


def _canonical(pairs: list[tuple[str, str]], purpose: str) -> bytes:
    """What the signature covers: the purpose and every parameter but ``sig``, sorted (so
    that a proxy reordering the query does not break the link)."""
    return b"\0".join((_DOMAIN, purpose.encode("utf-8"), urlencode(sorted(pairs)).encode("ascii")))


def _mac(key: bytes, message: bytes) -> str:
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _timestamp(when: _dt.datetime) -> int:
    if when.tzinfo is None:
        raise LinkError("expiry and 'now' must be time-zone aware datetimes")
    return int(when.timestamp())


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return now if now is not None else _dt.datetime.now(_dt.UTC)


def sign(url: str, key: Keys, params: Mapping[str, Any] | None = None, *, purpose: str = "",
         expires: _dt.datetime | _dt.timedelta = DEFAULT_MAX_AGE,
         now: _dt.datetime | None = None) -> str:
    """``url`` with ``params`` added to its query, plus ``exp`` and ``sig``.

    ``expires`` is an aware datetime or a lifetime from ``now``. The parameters already in
    ``url`` are signed too. ``purpose`` binds the link to one use: a rating link does not
    verify as an unsubscribe link.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise LinkError(f"only http(s) links can be signed, not {url!r:.80}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(str(k), "" if v is None else str(v)) for k, v in (params or {}).items()]
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise LinkError(f"a signed link cannot repeat a parameter: {url!r:.80} {dict(params or {})}")
    if set(names) & set(_RESERVED):
        raise LinkError("'exp' and 'sig' are reserved for the signature")
    expiry = _now(now) + expires if isinstance(expires, _dt.timedelta) else expires
    pairs.append(("exp", str(_timestamp(expiry))))
    sig = _mac(_keys(key)[0], _canonical(pairs, purpose))
    query = urlencode([*pairs, ("sig", sig)])
    return urlunsplit(parts._replace(query=query))


def verify(url: str, key: Keys, *, purpose: str = "", now: _dt.datetime | None = None) -> dict[str, str]:
    """The parameters of a link made by :func:`sign` (without ``exp`` and ``sig``).

    Raises :class:`~tplkit.errors.LinkSignatureError` when the signature is missing or
    does not match (any parameter, the expiry or the purpose changed, or another key
    signed it) and :class:`~tplkit.errors.LinkExpiredError` when it has expired. ``url``
    may also be just the query string (``request.query_string`` of a web framework).
    """
    query = urlsplit(url).query if "?" in url or "://" in url else url.lstrip("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    sigs = [v for k, v in pairs if k == "sig"]
    if len(sigs) != 1:
        raise LinkSignatureError("the link is not signed" if not sigs else "the link has two signatures")
    rest = [(k, v) for k, v in pairs if k != "sig"]
    message = _canonical(rest, purpose)
    if not any(hmac.compare_digest(_mac(k, message), sigs[0]) for k in _keys(key)):
        raise LinkSignatureError("the link's signature does not match: it was changed or not made by us")
    names = [k for k, _ in rest]
    if len(set(names)) != len(names):  # sign() never makes one; refuse rather than guess
        raise LinkSignatureError("the link repeats a parameter")
    params = dict(rest)
    try:
        expiry = int(params.pop("exp"))
    except (KeyError, ValueError):
        raise LinkSignatureError("the link has no valid expiry") from None
    if _timestamp(_now(now)) >= expiry:
        when = _dt.datetime.fromtimestamp(expiry, _dt.UTC).isoformat()
        raise LinkExpiredError(f"the link expired at {when}")
    return params


def key_from_env(name: str = KEY_ENV) -> bytes | None:
    """The signing key in the environment variable ``name``, or None when it is unset."""
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return _keys(value)[0]
    except LinkError as e:
        raise ConfigError(f"${name}: {e.message}") from None


class LinkSigner:
    """A key (or keys, for rotation) and a default lifetime: what a :class:`~tplkit.Kit`
    uses to sign the links of the emails it renders."""

    def __init__(self, key: Keys, max_age: _dt.timedelta = DEFAULT_MAX_AGE) -> None:
        self._keys = _keys(key)
        self.max_age = max_age

    def __repr__(self) -> str:  # never show the key
        return f"LinkSigner(max_age={self.max_age!r})"

    def sign(self, url: str, params: Mapping[str, Any] | None = None, *, purpose: str = "",
             expires: _dt.datetime | _dt.timedelta | None = None,
             now: _dt.datetime | None = None) -> str:
        """:func:`sign` with this signer's key and, unless given, its lifetime."""
        return sign(url, self._keys, params, purpose=purpose,
                    expires=self.max_age if expires is None else expires, now=now)

    def verify(self, url: str, *, purpose: str = "", now: _dt.datetime | None = None) -> dict[str, str]:
        """:func:`verify` against any of this signer's keys."""
        return verify(url, self._keys, purpose=purpose, now=now)

    def rating_links(self, base_url: str, ticket_id: str, scores: Sequence[int], *,
                     now: _dt.datetime | None = None) -> list[str]:
        """One signed link per score: ``base_url?ticket=...&score=N&exp=...&sig=...``
        (purpose ``"rating"``), what the feedback request's rating buttons point to."""
        return [self.sign(with_query(base_url, ticket=ticket_id, score=n), purpose="rating", now=now)
                for n in scores]

    def unsubscribe_url(self, base_url: str, params: Mapping[str, Any], *,
                        now: _dt.datetime | None = None) -> str:
        """A signed one-click unsubscribe URL (purpose ``"unsubscribe"``) for the
        ``List-Unsubscribe`` header (:meth:`tplkit.RenderedEmail.to_message`)."""
        return self.sign(base_url, params, purpose="unsubscribe", now=now)


def signer_from_settings(settings: Mapping[str, Any], key: Keys | None = None,
                         file: str | None = None) -> LinkSigner | None:
    """The kit's signer: ``key`` if the application passes one, else the environment
    variable named by ``[links] key_env`` (default ``TPLKIT_LINK_KEY``); None without a key.

    ``[links]`` in tplkit.toml takes ``key_env`` and ``max_age_days``; a key itself in a
    config file is refused (config files are committed and read by template authors)."""
    raw = settings.get("links", {})
    if not isinstance(raw, Mapping):
        raise ConfigError("links must be a table", file=file)
    unknown = set(raw) - {"key_env", "max_age_days"}
    if "key" in unknown:
        raise ConfigError("links.key: a signing key never goes in a config file; set the "
                          f"environment variable named by links.key_env (default {KEY_ENV}) "
                          "or pass link_key= to Kit", file=file)
    if unknown:
        raise ConfigError(f"unknown links settings: {', '.join(sorted(unknown))}", file=file)
    days = raw.get("max_age_days", DEFAULT_MAX_AGE.days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ConfigError("links.max_age_days must be a whole number of days from 1 to 3650", file=file)
    if key is None:
        key = key_from_env(str(raw.get("key_env", KEY_ENV)))
    if key is None:
        return None
    try:
        return LinkSigner(key, _dt.timedelta(days=days))
    except LinkError as e:
        raise ConfigError(e.message, file=file) from None
