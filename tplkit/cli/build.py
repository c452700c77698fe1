"""``tplkit build``: every template x locale compiled once, for workers (:mod:`tplkit.build`)."""
from __future__ import annotations

import click

from ..build import write_build
from ..kit import Kit
from .app import AppContext, report_errors


@click.command("build")
@click.argument("project", required=False, type=click.Path(file_okay=False))
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder to write the build to.")
@click.option("--force", is_flag=True, help="Replace an existing build in --output.")
@click.pass_obj
@report_errors
def build(app: AppContext, project: str | None, output: str, force: bool) -> None:
    """Compile every template x locale once, for workers (Kit.from_build(DIR))."""
    kit = Kit(project) if project else app.kit()
    manifest = write_build(kit, output, force=force)
    n_templates = len(manifest["templates"])
    click.echo(f"built {len(manifest['artifacts'])} compiled templates ({n_templates} "
               f"templates x {len(manifest['locales'])} locales) into {output}", err=True)
    click.echo(f"inputs sha256 {manifest['inputs_sha256']}", err=True)
