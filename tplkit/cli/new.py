"""``tplkit new``: thin click commands over :mod:`tplkit.scaffold`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ConfigError
from ..i18n import SOURCE_LOCALE
from ..scaffold import plan_import, plan_project, plan_template, write_plan
from .app import AppContext, report_errors


def _confirm(force: bool):
    """Overwrite existing files: with --force yes; in a terminal ask; otherwise no."""
    def ask(paths: list[Path]) -> bool:
        if force:
            return True
        if not sys.stdin.isatty():
            return False
        listing = "\n".join(f"  {p}" for p in paths)
        return click.confirm(f"These files exist:\n{listing}\nOverwrite them?", default=False, err=True)
    return ask


def _report(plan, root: Path) -> None:
    for path in plan.written:
        click.echo(f"wrote {path}")
    if not plan.written:
        click.echo("nothing to write: every file is already as it would be")
    for loc, n in sorted(plan.to_translate.items()):
        click.echo(f"translate {n} message(s) in {root / 'locales' / loc / 'LC_MESSAGES' / 'tplkit.po'} "
                   f"(tplkit lint lists them)")


@click.group()
def new() -> None:
    """Start a project or a template that lints clean and previews at once."""


@new.command("project")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--company", default="My Shop", show_default=True, help="brand.company_name.")
@click.option("--locale", "-l", "locales", multiple=True,
              help="A locale to support (repeat it; the first is the default). Default: en.")
@click.option("--template", "template", default="request-received", show_default=True,
              help="Name of the starter template.")
@click.option("--force", is_flag=True, help="Overwrite existing files without asking.")
@report_errors
def new_project(directory: Path, company: str, locales: tuple[str, ...], template: str,
                force: bool) -> None:
    """Create DIRECTORY with tplkit.toml, a starter template and its catalogs."""
    plan = plan_project(directory, company=company, locales=locales or ("en",), template=template)
    _report(write_plan(plan, _confirm(force)), directory)
    click.echo(f"next: tplkit --project {directory} preview {template}")


@new.command("template")
@click.argument("name")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An existing MJML file to import as the template's body.")
@click.option("--force", is_flag=True, help="Overwrite existing files without asking.")
@click.pass_obj
@report_errors
def new_template(app: AppContext, name: str, source: Path | None, force: bool) -> None:
    """Create templates/NAME in the project (and add its messages to the catalogs)."""
    project = app.kit().project
    if project.root is None:
        raise ConfigError("no project selected: run it inside a project (tplkit.toml), pass "
                          "--project, or start one with 'tplkit new project DIR'")
    locales = [str(x) for x in project.settings.get("locales", [])] or [project.default_locale]
    if source is None:
        _report(write_plan(plan_template(project.root, name, locales), _confirm(force)), project.root)
        click.echo(f"next: tplkit preview {name}")
        return

    imported = plan_import(project.root, name, source, app.kit().environment(SOURCE_LOCALE), locales)
    _report(write_plan(imported.plan, _confirm(force)), project.root)
    if imported.placeholders:
        click.echo(f"placeholders declared as text: {', '.join(imported.placeholders)} "
                   f"(set their types in templates/{name}/template.toml)")
    for line, tag in imported.other_tags:
        click.echo(f"warning: {source}:{line}: {tag} is another tool's merge tag; write it as "
                   f"{{{{ name }}}} and declare the name", err=True)
    click.echo(f"next: tplkit lint {name}  (marks the text to translate), tplkit preview {name}")
