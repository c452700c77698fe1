"""The trust model, enforced: which files a project may read, which headers a template may
set, and which values may be printed.

Each rule is one function used by every module that needs it, so a new reader of files
(or a new way to print) cannot forget a check that lives somewhere else:

* :func:`confine` resolves a path (symlinks included) and refuses it unless its real path
  lies inside one of the allowed roots (the project folder, the built-in library, a build
  folder). :func:`confined_loader` is the Jinja loader built on it.
* :func:`check_template_headers` admits only the headers in :data:`ALLOWED_HEADERS` (and
  ``X-*``): a template author gets content, never routing. :func:`check_header_value`,
  :func:`check_header_name` and :func:`check_message_id` check every header value and
  name ``to_message``/``to_bytes`` write (one line each; no second structure header).
* :func:`printable` is the one test of what may reach an email: plain values (text,
  numbers, dates, tplkit's own Markup) only; never a Python object's ``repr``.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .errors import FileOutsideProject, HeaderError, SecurityError, TemplateSourceError

# --- files -------------------------------------------------------------------------------------

class RealRoots(tuple):
    """Roots already resolved by :func:`real_roots`: :func:`confine` takes them as they are
    (checking a project's hundreds of files resolved its roots again for every one)."""


def real_roots(roots: Iterable[str | os.PathLike | None]) -> tuple[Path, ...]:
    """The real paths of ``roots`` (None entries skipped), for :func:`confine`; resolved
    once, so that ``confine`` can be called with them file after file."""
    if isinstance(roots, RealRoots):
        return roots
    return RealRoots(Path(os.path.realpath(r)) for r in roots if r is not None)


def confine(path: str | os.PathLike, roots: Iterable[str | os.PathLike | None], *,
            template: str | None = None, locale: str | None = None) -> Path:
    """``path`` resolved (every symlink followed); :class:`FileOutsideProject` naming the
    file unless the real path lies inside one of ``roots``. Call it *before* opening."""
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as e:
        raise FileOutsideProject(f"cannot resolve {os.fspath(path)!s:.200}: {e}", file=path,
                                 template=template, locale=locale) from None
    allowed = real_roots(roots)
    if not any(real == r or real.is_relative_to(r) for r in allowed):
        raise FileOutsideProject(
            "refusing to read a file whose real path is outside the project and the built-in "
            "library (a symlink?)", file=path, template=template, locale=locale)
    return real


def roots_of(path: str | os.PathLike, marker: str) -> tuple[Path, ...]:
    """The project a path belongs to when no caller says: the folder holding the nearest
    ``marker`` folder (``templates``/``locales``) above it, else the file's own folder."""
    p = Path(os.path.abspath(path))
    for parent in p.parents:
        if parent.name == marker:
            return real_roots([parent.parent])
    return real_roots([p.parent])


def read_bytes(path: str | os.PathLike, roots: Iterable[str | os.PathLike | None], **where: Any) -> bytes:
    """:func:`confine`, then the file's bytes."""
    return confine(path, roots, **where).read_bytes()


def read_text(real: Path, name: str | os.PathLike) -> str:
    """A template file's text: UTF-8 (a byte-order mark, as Windows editors write, is
    dropped); a file that is not UTF-8 or cannot be read is a located
    :class:`~tplkit.errors.TemplateSourceError` naming ``name`` (and the line of the byte)."""
    try:
        data = real.read_bytes()
    except OSError as e:
        raise TemplateSourceError(f"cannot read: {e.strerror or e}", file=name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TemplateSourceError(f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as "
                                  f"UTF-8", file=name, line=data[:e.start].count(b"\n") + 1) from None


def confined_loader(searchpath: Any, roots: Iterable[str | os.PathLike | None]) -> Any:
    """Jinja's :class:`~jinja2.FileSystemLoader` that confines every file it opens (includes,
    layouts, components, the template's own parts) to ``roots`` before reading it."""
    return _confined_loader_class()(searchpath, real_roots(roots))


@functools.cache
def _confined_loader_class() -> type:
    # Jinja on first use here and below: `import tplkit` (which imports this module) loads none
    from jinja2 import FileSystemLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class ConfinedLoader(FileSystemLoader):
        def __init__(self, searchpath: Any, roots: tuple[Path, ...]) -> None:
            super().__init__(searchpath)
            self.roots = roots

        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            pieces = split_template_path(template)
            for searchpath in self.searchpath:
                filename = os.path.join(searchpath, *pieces)
                if not os.path.isfile(filename):
                    continue
                real = confine(filename, self.roots)
                contents = read_text(real, filename)
                mtime = os.path.getmtime(real)

                def uptodate(real: Path = real, mtime: float = mtime) -> bool:
                    try:
                        return os.path.getmtime(real) == mtime
                    except OSError:
                        return False

                return contents, os.path.normpath(filename), uptodate
            raise TemplateNotFound(template)

    return ConfinedLoader


# --- headers -------------------------------------------------------------------------------

# Headers a template may set: presentation and automation hints for the receiving software.
# Routing (To, Cc, Bcc, From, Sender, Reply-To, Return-Path, Disposition-Notification-To,
# Resent-*, ...), structure (Content-*, MIME-Version), identity (Message-ID, Date, DKIM) and
# where mail systems act on the recipient's behalf (List-Unsubscribe: to_message's option)
# belong to the application that sends the email.
ALLOWED_HEADERS = frozenset({
    "auto-submitted", "precedence", "x-auto-response-suppress", "importance", "priority",
    "x-priority", "sensitivity", "keywords", "comments", "content-language",
    "list-id", "feedback-id",
})
_X_HEADER = re.compile(r"^X-[A-Za-z0-9][A-Za-z0-9-]{0,60}$", re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")


def check_template_headers(headers: Any, *, file: str | os.PathLike, template: str,
                           line_of: Any = None) -> dict[str, str]:
    """The ``[headers]`` of a manifest, refused (with file and line) unless every name is on
    the allow-list and every value is one line of text."""
    if not isinstance(headers, dict):
        raise HeaderError("[headers] must be a table", file=file, template=template,
                          line=line_of("headers", None) if line_of else None)
    out = {}
    for name, value in headers.items():
        key = name if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)
        line = line_of("headers", key) if line_of else None
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise HeaderError(f"[headers]: {str(name)[:80]!r} is not a header name", file=file,
                              template=template, line=line)
        if name.lower() not in ALLOWED_HEADERS and not _X_HEADER.match(name):
            raise HeaderError(f"[headers]: a template may not set {name!r} (routing and structure "
                              f"headers belong to the sending application; allowed: X-*, "
                              f"{', '.join(sorted(h.title() for h in ALLOWED_HEADERS))})",
                              file=file, template=template, line=line)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise HeaderError(f"[headers]: {name} must be text", file=file, template=template, line=line)
        value = str(value)
        if any(c in value for c in "\r\n\0") or len(value) > 900:
            raise HeaderError(f"[headers]: {name} must be one line of at most 900 characters",
                              file=file, template=template, line=line)
        out[name] = value
    return out


# Headers the message builder writes itself, the message's structure: an application's
# ``headers=`` may not add a second one (to_message let the email package's ValueError out).
STRUCTURE_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding"})
_TOKEN = re.compile(r"[A-Za-z0-9-]+")
# line breaks (including NEL and the Unicode line/paragraph separators) and control characters
_HEADER_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


def check_header_value(name: str, value: object) -> str:
    """``value`` as text for header ``name``; :class:`HeaderError` for a line break or a
    control character in it (no header injection)."""
    text = str(value)
    if _HEADER_BAD.search(text):
        raise HeaderError(f"{name} contains a line break or control character")
    return text


def check_header_name(name: str) -> str:
    """A custom header name given to ``to_message``/``to_bytes``: a plain token, and not one
    of the :data:`STRUCTURE_HEADERS` tplkit writes; else :class:`HeaderError` naming it."""
    if not _TOKEN.fullmatch(name):
        raise HeaderError(f"invalid header name {name!r}")
    if name.lower() in STRUCTURE_HEADERS:
        raise HeaderError(f"invalid {name} header: tplkit writes the message's {name} (there may "
                          f"be at most 1 {name} header in a message)")
    return name


def check_message_id(name: str, value: str) -> str:
    """``value`` as the ``<left@right>`` message id header ``name`` carries (Message-ID,
    In-Reply-To, References); :class:`HeaderError` naming ``name`` for a line break, a value
    that is no message id, or non-ASCII characters (an id must be ASCII without SMTPUTF8)."""
    value = check_header_value(name, value).strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not _MESSAGE_ID.match(value):
        raise HeaderError(f"{name}: not a message id: {value!r:.80}")
    if not value.isascii():
        raise HeaderError(f"{name}: a message id holds non-ASCII characters (message ids must be "
                          f"ASCII): {value!r:.80}")
    return value


# --- printable values ----------------------------------------------------------------------

_SCALARS = frozenset({str, int, bool, float, Decimal, _dt.date, _dt.datetime, _dt.time,
                      _dt.timedelta, Markup, type(None)})
_extra_printable: list[type] = []


def register_printable(cls: type) -> type:
    """Mark a tplkit type (a build-pass stand-in) as printable; used as a class decorator."""
    _extra_printable.append(cls)
    _printable_classes.cache_clear()
    return cls


def printable(value: Any) -> bool:
    """Whether ``value`` may be printed into an email: a plain scalar of exactly one of the
    types above (a subclass could override how it prints), tplkit's own
    :class:`~markupsafe.Markup`, or a registered tplkit stand-in. Never a container, a
    generator, a function, a macro or any other object (their ``str`` is a Python repr)."""
    return type(value) in _SCALARS or isinstance(value, _printable_classes())


@functools.cache
def _printable_classes() -> tuple[type, ...]:
    from jinja2 import Undefined  # an undefined value raises its own error when printed

    return (Undefined, *_extra_printable)


def describe(value: Any) -> str:
    """What a value is, without its contents or address (for error messages)."""
    from jinja2.runtime import Macro

    if isinstance(value, type):
        return "a class"
    if isinstance(value, Macro):
        return "a macro"
    if callable(value):
        return "a function"
    name = type(value).__name__
    return {"list": "a list", "tuple": "a tuple", "dict": "a dict", "generator": "a generator",
            "bool": "a boolean"}.get(name, f"an object ({name})")


def require_printable(value: Any, what: str = "prints") -> Any:
    """``value`` if :func:`printable`, else :class:`SecurityError` saying what was printed."""
    if printable(value):
        return value
    if isinstance(value, (list, tuple)) or type(value).__name__ == "generator":
        hint = " (join it: |join(', '))"
    else:
        hint = " (call it: add parentheses)" if callable(value) else ""
    raise SecurityError(f"{what} {describe(value)} instead of a value{hint}")


# --- translations --------------------------------------------------------------------------

def fill_translation(text: str, variables: dict[str, Any], autoescape: bool) -> str:
    """A translated message with its ``%(name)s`` placeholders filled in.

    The message is data: it is ``%``-formatted (never parsed as a template), only plain
    ``%(name)s`` placeholders are allowed (no ``%r``/``%a`` reprs, no widths), and every
    value must be :func:`printable`. In HTML the message is markup and the values are escaped.
    """
    from .limits import percent_format_size  # limits imports Jinja (see above)

    percent_format_size(text, text_only=True)
    for value in variables.values():
        require_printable(value, "a translated message's placeholder gets")
    return (Markup(text) if autoescape else text) % variables


def gettext_callables(gettext: Any, ngettext: Any, pgettext: Any, npgettext: Any, *,
                      with_context: bool = False) -> dict[str, Any]:
    """Jinja's "newstyle" gettext functions, filling messages in with :func:`fill_translation`
    (``{% trans %}``, ``_()``, ``{% trans context "..." %}`` and their plural forms).
    ``with_context``: ``gettext`` and ``ngettext`` get the template's context first (the
    build pass reads the form of address from it, :mod:`tplkit.address`)."""
    from jinja2 import pass_context

    def first(context: Any) -> tuple:
        return (context,) if with_context else ()

    @pass_context
    def _gettext(context: Any, string: str, /, **variables: Any) -> str:
        return fill_translation(gettext(*first(context), string), variables, context.eval_ctx.autoescape)

    @pass_context
    def _ngettext(context: Any, singular: str, plural: str, num: Any, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        return fill_translation(ngettext(*first(context), singular, plural, num), variables,
                                context.eval_ctx.autoescape)

    @pass_context
    def _pgettext(context: Any, msgctxt: str, string: str, /, **variables: Any) -> str:
        variables.setdefault("context", msgctxt)
        return fill_translation(pgettext(msgctxt, string), variables, context.eval_ctx.autoescape)

    @pass_context
    def _npgettext(context: Any, msgctxt: str, singular: str, plural: str, num: Any, /,
                   **variables: Any) -> str:
        variables.setdefault("context", msgctxt)
        variables.setdefault("num", num)
        return fill_translation(npgettext(msgctxt, singular, plural, num), variables,
                                context.eval_ctx.autoescape)

    return {"gettext": _gettext, "_": _gettext, "ngettext": _ngettext, "pgettext": _pgettext,
            "npgettext": _npgettext}
