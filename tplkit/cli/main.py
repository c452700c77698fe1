"""The ``tplkit`` command line: thin commands over the library.

Each command group lives in its own module of this package and is imported only when used
(:class:`LazyGroup`), so ``tplkit --help`` starts fast. A user mistake prints one ``error:``
line and exits non-zero, never a traceback (:func:`~tplkit.cli.app.report_errors`).
"""
from __future__ import annotations

import gc
import importlib
from typing import Any

import click

from .app import AppContext, default_project

# name -> ("module:attribute" of the click command, one-line summary for `tplkit --help`);
# listing the commands imports none of them
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("tplkit.cli.templates:list_cmd", "Templates with category and description, and the locales."),
    "show": ("tplkit.cli.templates:show", "A template's placeholders and samples (--compiled: its code)."),
    "preview": ("tplkit.cli.preview:preview", "Render a template with sample data (or --data) and show it."),
    "serve": ("tplkit.cli.preview:serve", "Preview templates in a browser, with live reload."),
    "lint": ("tplkit.cli.lint:lint", "Check templates, catalogs and rendered emails (CI and pre-commit)."),
    "send": ("tplkit.cli.send:send", "Send a rendered template to a real SMTP server (test sends)."),
    "build": ("tplkit.cli.build:build", "Compile every template x locale ahead of time for workers."),
    "batch": ("tplkit.cli.batch:batch_group", "Render (or --send) one message per record of JSONL/CSV."),
    "i18n": ("tplkit.cli.i18n:i18n", "Translation workflow: extract, init, update, stats."),
    "new": ("tplkit.cli.new:new", "Start a project or a template that lints clean and previews at once."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (see :data:`LAZY_COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name][0].split(":")
            try:
                command: click.Command = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as e:
                raise click.ClickException(f"command {name!r} is unavailable: {e}") from None
            return command
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][1]))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "-p", type=click.Path(file_okay=False), default=None,
              help="Project folder (tplkit.toml, templates/, locales/). Default: $TPLKIT_PROJECT, "
                   "or the current folder if it has a tplkit.toml.")
@click.version_option(package_name="tplkit", prog_name="tplkit")
@click.pass_context
def main(ctx: click.Context, project: str | None) -> None:
    """Multilingual customer-service email templates: list, preview, lint, serve, send."""
    ctx.obj = AppContext(project or default_project())


def run() -> None:
    """The ``tplkit`` program (the console script and ``python -m tplkit``): :func:`main`,
    then, as the process ends, ``gc.freeze()``. The interpreter's last full collection at
    exit otherwise walks every object a command loaded (for a batch, the build and the
    records: about 30 ms of a 20,000-record batch's 1.5 s, all of it serial) only for the
    process to free them anyway. Not part of :func:`main`, which tests and embedding
    programs call in a process that goes on."""
    try:
        main(prog_name="tplkit")
    finally:
        gc.freeze()
