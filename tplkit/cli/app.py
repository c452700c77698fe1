"""What every command shares: the :class:`AppContext` in ``ctx.obj``, error reporting and
the small helpers (context loading, safe output files) that several commands use."""
from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import find_config
from ..errors import PlaceholderError, TplkitError
from ..fsutil import atomic_write

if TYPE_CHECKING:
    from ..kit import Kit

EXIT_ERROR = 1
EXIT_USAGE = 2


class AppContext:
    """What commands share: the project path and a lazily created Kit."""

    def __init__(self, project: str | None) -> None:
        self.project = project
        self._kit: Kit | None = None

    def kit(self, **kwargs: Any) -> Kit:
        """The project's kit (created once); with ``kwargs``, a new kit with those options."""
        if self._kit is None or kwargs:
            from ..kit import Kit  # on first use: `tplkit --help` imports this module, not the library

            kit = Kit(self.project, **kwargs)
            if kwargs:
                return kit
            self._kit = kit
        return self._kit


def default_project() -> str | None:
    """``$TPLKIT_PROJECT``, else the current folder if it holds a project's config file."""
    env = os.environ.get("TPLKIT_PROJECT")
    if env:
        return env
    cwd = Path.cwd()
    try:
        return str(cwd) if find_config(cwd) is not None else None
    except TplkitError:  # an unreadable config file: the command reports it, located
        return str(cwd)


def report_errors(func: Callable) -> Callable:
    """Turn tplkit errors into one ``error:`` line (plus one line per placeholder problem)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return func(*args, **kwargs)
            except PlaceholderError as e:
                where = "/".join(x for x in (e.template, e.locale) if x)
                click.echo(f"error: {len(e.problems)} placeholder problem(s) in {where}:", err=True)
                for p in e.problems:
                    click.echo(f"  - {p}", err=True)
                sys.exit(EXIT_ERROR)
            except TplkitError as e:
                click.echo(f"error: {e}", err=True)
                sys.exit(EXIT_ERROR)
            except OSError as e:  # the environment (a folder, a device, the disk), not tplkit
                where = f"{e.filename}: " if e.filename else ""
                click.echo(f"error: {where}{e.strerror or e}", err=True)
                sys.exit(EXIT_ERROR)
            finally:
                for w in caught:
                    click.echo(f"warning: {w.message}", err=True)

    return wrapper


def write_output(path: str, data: bytes, force: bool) -> None:
    """Write atomically; never overwrite an existing file without ``--force``."""
    target = Path(path)
    if target.exists() and not force:
        raise TplkitError(f"{path} exists; use --force to overwrite it")
    atomic_write(target, data)


def load_context(app: AppContext, name: str, data: str | None, sample: str | None,
                 locale: str | None = None) -> dict:
    """The context from ``--data FILE.json``, ``--sample NAME``, or the default sample (its
    values in ``locale``'s language where the manifest gives them)."""
    if data and sample:
        raise click.UsageError("use either --data or --sample, not both")
    if data:
        path = Path(data)
        try:
            ctx = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as e:
            raise TplkitError(f"invalid JSON: {e.msg}", file=data, line=e.lineno, column=e.colno) from None
        except UnicodeDecodeError as e:
            raise TplkitError(f"not UTF-8 text (byte 0x{e.object[e.start]:02x}); save the file as "
                              f"UTF-8", file=data, line=e.object[:e.start].count(b"\n") + 1) from None
        except OSError as e:
            raise TplkitError(f"cannot read data file: {e.strerror or e}", file=data) from None
        if not isinstance(ctx, dict):
            raise TplkitError("the data file must hold a JSON object", file=data)
        return ctx
    kit = app.kit()
    info = kit.template(name)
    if sample and sample not in info.samples:
        raise TplkitError(f"template {name!r} has no sample {sample!r} "
                          f"(samples: {', '.join(info.samples)})", template=name)
    return info.sample_for(kit.negotiate(locale).locale, sample or None)
