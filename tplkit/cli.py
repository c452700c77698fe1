"""The ``tplkit`` command line: thin commands over the library.

Subcommands living in other modules are imported only when used, so ``tplkit --help``
starts fast. A user mistake prints one ``error:`` line and exits non-zero, never a traceback.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import click

# name -> "module:attribute" of a click command defined elsewhere (imported lazily)
LAZY_COMMANDS: dict[str, str] = {
    "build": "tplkit.build:build_cmd",
    "batch": "tplkit.batch:batch",
    "i18n": "tplkit.i18n_cli:i18n",
    "lint": "tplkit.lint.cli:lint",
    "send": "tplkit.send:send",
    "serve": "tplkit.preview.cli:serve",
}

EXIT_ERROR = 1
EXIT_USAGE = 2


# one-line summaries for `tplkit --help`, so listing commands imports none of them
LAZY_HELP: dict[str, str] = {
    "lint": "Check templates, catalogs and rendered emails (CI and pre-commit).",
    "serve": "Preview templates in a browser, with live reload.",
    "send": "Send a rendered template to a real SMTP server (test sends).",
    "build": "Compile every template x locale ahead of time for workers.",
    "batch": "Render one message per record of a JSONL/CSV file, on all cores.",
    "i18n": "Translation workflow: extract, init, update, stats.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name].split(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as e:
                raise click.ClickException(f"command {name!r} is unavailable: {e}") from None
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_HELP.get(name, "")))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class AppContext:
    """What commands share: the project path and a lazily created Kit."""

    def __init__(self, project: str | None) -> None:
        self.project = project
        self._kit = None

    def kit(self, **kwargs: Any):
        if self._kit is None or kwargs:
            from .kit import Kit

            kit = Kit(self.project, **kwargs)
            if kwargs:
                return kit
            self._kit = kit
        return self._kit


def default_project() -> str | None:
    """``--project``, else ``$TPLKIT_PROJECT``, else the current folder if it is a project."""
    env = os.environ.get("TPLKIT_PROJECT")
    if env:
        return env
    cwd = Path.cwd()
    if (cwd / "tplkit.toml").is_file():
        return str(cwd)
    py = cwd / "pyproject.toml"
    if py.is_file() and "[tool.tplkit" in py.read_text(encoding="utf-8", errors="replace"):
        return str(cwd)
    return None


def report_errors(func: Callable) -> Callable:
    """Turn tplkit errors into one ``error:`` line (plus one line per placeholder problem)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .errors import PlaceholderError, TplkitError

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
            finally:
                for w in caught:
                    click.echo(f"warning: {w.message}", err=True)

    return wrapper


def write_output(path: str, data: bytes, force: bool) -> None:
    """Write atomically; never overwrite an existing file without ``--force``."""
    from .errors import TplkitError
    from .fsutil import atomic_write

    target = Path(path)
    if target.exists() and not force:
        raise TplkitError(f"{path} exists; use --force to overwrite it")
    atomic_write(target, data)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "-p", type=click.Path(file_okay=False), default=None,
              help="Project folder (tplkit.toml, templates/, locales/). Default: $TPLKIT_PROJECT, "
                   "or the current folder if it has a tplkit.toml.")
@click.version_option(package_name="tplkit", prog_name="tplkit")
@click.pass_context
def main(ctx: click.Context, project: str | None) -> None:
    """Multilingual customer-service email templates: list, preview, lint, serve, send."""
    ctx.obj = AppContext(project or default_project())


@main.command("list")
@click.pass_obj
@report_errors
def list_cmd(app: AppContext) -> None:
    """Templates with category and description, and the locales."""
    kit = app.kit()
    rows = []
    for name in kit.template_names():
        try:
            info = kit.template(name)
            rows.append((name, info.category, info.description))
        except Exception as e:  # a broken manifest must not hide the others
            rows.append((name, "BROKEN", str(e)))
    width = max((len(r[0]) for r in rows), default=10)
    cw = max((len(r[1]) for r in rows), default=8)
    for name, cat, desc in rows:
        click.echo(f"{name:<{width}}  {cat:<{cw}}  {desc}")
    click.echo(f"\nlocales: {', '.join(kit.locales())} (default {kit.default_locale})")


@main.command()
@click.argument("name")
@click.pass_obj
@report_errors
def show(app: AppContext, name: str) -> None:
    """A template's placeholders and sample names."""
    info = app.kit().template(name)
    click.echo(f"{info.name} ({info.category}): {info.description}")
    click.echo(f"folder: {info.folder}\n")
    rows = [("placeholder", "type", "required", "default", "example", "description")]
    for ph in info.placeholders.values():
        typ = ph.type + (f" [{'|'.join(map(str, ph.choices))}]" if ph.choices else "")
        default = ph.default_from or ("" if ph.default is None else str(ph.default))
        rows.append((ph.name, typ, "yes" if ph.required else "no", default,
                     "" if ph.example is None else str(ph.example), ph.description))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
    click.echo(f"\nsamples: {', '.join(info.samples) or '(none)'}")


def load_context(app: AppContext, name: str, data: str | None, sample: str | None,
                 locale: str | None = None) -> dict:
    """The context from ``--data FILE.json``, ``--sample NAME``, or the default sample (its
    values in ``locale``'s language where the manifest gives them)."""
    from .errors import TplkitError

    if data and sample:
        raise click.UsageError("use either --data or --sample, not both")
    if data:
        path = Path(data)
        try:
            ctx = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise TplkitError(f"invalid JSON: {e.msg}", file=data, line=e.lineno, column=e.colno) from None
        except (OSError, UnicodeDecodeError) as e:
            raise TplkitError(f"cannot read data file: {e}", file=data) from None
        if not isinstance(ctx, dict):
            raise TplkitError("the data file must hold a JSON object", file=data)
        return ctx
    kit = app.kit()
    info = kit.template(name)
    if sample and sample not in info.samples:
        raise TplkitError(f"template {name!r} has no sample {sample!r} "
                          f"(samples: {', '.join(info.samples)})", template=name)
    return info.sample_for(kit.negotiate(locale).locale, sample or None)


def format_preview(email, fmt: str, *, to: str | None = None, sender: str | None = None) -> bytes:
    if fmt == "json":
        return (json.dumps(email.as_dict(), ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "html":
        return email.html.encode()
    if fmt == "eml":
        return bytes(email.to_message(sender=sender, to=to or "customer@example.com"))
    head = (f"Subject:   {email.subject}\nPreheader: {email.preheader}\n"
            f"Locale:    {email.locale}\nTemplate:  {email.template}\n")
    return (head + "-" * 78 + "\n" + email.text).encode()


@main.command()
@click.argument("name")
@click.option("--locale", "-l", default=None, help="Locale, e.g. uk or uk-UA (default: the project's).")
@click.option("--data", "-d", type=click.Path(dir_okay=False), help="Context as a JSON file.")
@click.option("--sample", "-s", help="Use this named sample from the manifest.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "html", "eml", "json"]),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--open", "open_", is_flag=True, help="Open the HTML part in a browser.")
@click.pass_obj
@report_errors
def preview(app: AppContext, name: str, locale: str | None, data: str | None, sample: str | None,
            fmt: str, output: str | None, force: bool, open_: bool) -> None:
    """Render a template with sample data (or --data) and show it."""
    kit = app.kit()
    email = kit.render(name, load_context(app, name, data, sample, locale), locale=locale)
    brand = kit.brand
    out = format_preview(email, fmt, sender=f"{brand.company_name} <{brand.email}>")
    if output:
        write_output(output, out, force)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(out.decode("utf-8", errors="replace"), nl=False)
    if open_:
        import tempfile

        fd, path = tempfile.mkstemp(prefix=f"tplkit-{name}-", suffix=".html")
        with os.fdopen(fd, "wb") as f:
            f.write(email.html.encode())
        click.launch(path)
