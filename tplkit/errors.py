"""Errors raised by tplkit.

Every error derives from :class:`TplkitError` and carries *where* it happened: template,
part, locale, file and line, so that the CLI and the linter can print compiler-style
messages (``path:line: message [template/locale]``) instead of tracebacks.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class TplkitError(Exception):
    """Base of every tplkit error. ``str(err)`` is a one-line, user-facing message."""

    def __init__(self, message: str, *, template: str | None = None, locale: str | None = None,
                 file: str | os.PathLike | None = None, line: int | None = None,
                 column: int | None = None, part: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        self.locale = locale
        self.file = os.fspath(file) if file is not None else None
        self.line = line
        self.column = column
        self.part = part

    @property
    def where(self) -> str:
        """``file:line:col`` (as much of it as is known), or an empty string."""
        if not self.file:
            return ""
        out = self.file
        if self.line:
            out += f":{self.line}"
            if self.column:
                out += f":{self.column}"
        return out

    def __str__(self) -> str:
        where = self.where
        ctx = "/".join(x for x in (self.template, self.locale) if x)
        out = f"{where}: {self.message}" if where else self.message
        return f"{out} [{ctx}]" if ctx else out


class TemplateNotFound(TplkitError):
    """No template of that name in the project or the built-in library."""


class TemplateSourceError(TplkitError):
    """A template file is broken: Jinja syntax, MJML, manifest, or a forbidden operation."""


class SecurityError(TemplateSourceError):
    """A template tried to reach something the sandbox forbids."""


class FileOutsideProject(SecurityError):
    """A file (often through a symlink) resolves outside the project and the built-in library."""


class CatalogError(TplkitError):
    """A gettext catalog is missing or cannot be read."""


class ConfigError(TplkitError):
    """The project configuration (tplkit.toml / pyproject.toml) is invalid."""


class TomlError(TplkitError):
    """A TOML file (a template manifest or a config file) does not parse."""


class ManifestTomlError(TomlError, TemplateSourceError):
    """A template's ``template.toml`` does not parse."""


class ConfigTomlError(TomlError, ConfigError):
    """A project's config file does not parse."""


class MjmlError(TemplateSourceError):
    """mjml-python rejects the MJML the build pass produced. ``mjml`` is that generated MJML
    (with slot tokens for the placeholders); ``file``/``line``/``column`` are where the build's
    source map places the offending tag (see :func:`tplkit.compile.mjml_to_html`)."""

    def __init__(self, message: str, *, mjml: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.mjml = mjml


class MjmlValidationError(MjmlError):
    """The MJML a template builds breaks MJML's own rules (see :mod:`tplkit.mjmlcheck`): MRML
    would render it, losing or moving content. ``problems`` holds every breach, each located
    in the template or catalog that caused it; the error itself carries the first one's place.
    """

    def __init__(self, message: str, problems: Sequence[Any] = (), *, mjml: str, **where: Any) -> None:
        super().__init__(message, mjml=mjml, **where)
        self.problems = list(problems)


class LinkError(TplkitError):
    """A signed one-click link (:mod:`tplkit.links`) cannot be trusted, or cannot be made."""


class LinkSignatureError(LinkError):
    """The link's signature is missing or does not match its parameters (tampered or forged)."""


class LinkExpiredError(LinkError):
    """The link was signed correctly but its expiry time has passed."""


class WriteError(TplkitError):
    """An output file or folder cannot be written (read-only folder, disk full, ...)."""


class LocaleWarning(UserWarning):
    """The requested locale is not available; another one was used."""


@dataclass(frozen=True)
class Problem:
    """One placeholder problem: ``kind`` is ``missing``, ``invalid`` or ``unknown``."""

    name: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class PlaceholderError(TplkitError):
    """The context does not fit the template's placeholder schema.

    ``problems`` lists *every* missing, invalid and unknown value, not just the first.
    """

    def __init__(self, problems: Sequence[Problem], *, template: str | None = None,
                 locale: str | None = None) -> None:
        self.problems = list(problems)
        summary = "; ".join(str(p) for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{n} placeholder problem{'s' if n != 1 else ''}: {summary}",
                         template=template, locale=locale)


class HeaderError(TplkitError):
    """A value that would end up in an email header is unsafe or invalid."""


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_END = re.compile(r"\(at end of document\)")


def toml_error(exc: Exception, file: str | os.PathLike, cls: type[TomlError] = ManifestTomlError,
               template: str | None = None, text: str | None = None) -> TomlError:
    """Turn a ``tomllib.TOMLDecodeError`` into a tplkit error with file, line and column
    (``text``: the file's text, for a problem tomllib places "at end of document")."""
    msg = str(exc)
    m = _TOML_POS.search(msg)
    line = col = None
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = _TOML_POS.sub("", msg).strip()
    elif text is not None and _TOML_END.search(msg):
        line = max(1, len(text.splitlines()))
    return cls(f"invalid TOML: {msg}", file=file, line=line, column=col, template=template)


def jinja_error(exc: BaseException, *, template: str | None, locale: str | None,
                part: str | None = None, files: Iterable[str] = ()) -> TplkitError:
    """Wrap an exception raised while compiling or rendering a Jinja template.

    Syntax errors carry their own location; runtime errors are located through the
    traceback frames that Jinja rewrites to point at template files.
    """
    import jinja2  # on first use: `import tplkit` loads no Jinja (a kit from a build may not need it)
    from jinja2 import sandbox

    if isinstance(exc, TplkitError):
        if exc.template is None:
            exc.template = template
        if exc.locale is None:
            exc.locale = locale
        if exc.file is None:
            exc.file, exc.line = _template_frame(exc, files)
        return exc
    if isinstance(exc, jinja2.TemplateSyntaxError):
        message = (exc.message or "").replace("'tplkit_if'", "'if'")
        return TemplateSourceError(f"template syntax error: {message}", template=template,
                                   locale=locale, part=part, file=exc.filename or exc.name,
                                   line=exc.lineno)
    file, line = _template_frame(exc, files)
    if isinstance(exc, sandbox.SecurityError):
        return SecurityError(f"forbidden by the template sandbox: {exc}", template=template,
                             locale=locale, part=part, file=file, line=line)
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateSourceError(f"undefined value: {exc}", template=template, locale=locale,
                                   part=part, file=file, line=line)
    if isinstance(exc, jinja2.TemplateNotFound):
        return TemplateSourceError(f"included template not found: {exc.name}",
                                   template=template, locale=locale, part=part, file=file,
                                   line=line)
    if isinstance(exc, (RecursionError, MemoryError)):
        what = ("recursion too deep (a macro or include that calls itself?)"
                if isinstance(exc, RecursionError) else "the template needs too much memory")
        return SecurityError(what, template=template, locale=locale, part=part, file=file, line=line)
    return TemplateSourceError(f"{type(exc).__name__}: {exc}", template=template,
                               locale=locale, part=part, file=file, line=line)


def _template_frame(exc: BaseException, files: Iterable[str]) -> tuple[str | None, int | None]:
    """The innermost traceback frame that belongs to a template file."""
    wanted = set(files)
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if fname in wanted or fname.endswith((".mjml", ".txt")):
            found = (fname, tb.tb_lineno)
        tb = tb.tb_next
    return found
