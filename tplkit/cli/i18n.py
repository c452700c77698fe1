"""``tplkit i18n``: the translation workflow (extract, init, update, stats) on Babel.

The commands work on the project selected with ``--project`` (its own ``templates/`` and
``locales/``), or on the built-in library when there is no project. The logic lives in
:mod:`tplkit.catalogs`; these commands only pick the folders and print results.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import catalogs, config
from ..errors import CatalogError, TplkitError
from .app import EXIT_ERROR, AppContext, report_errors, write_output


def _folders(app: AppContext, writing: bool = False) -> tuple[list[Path], Path]:
    """(template folders to extract from, locales folder) of the project or the built-ins.

    Writing into the built-in library is refused when it is the installed package's copy
    (a wheel install): that is nobody's source, and an upgrade would silently undo it.
    """
    project = app.kit().project
    root = project.root if project.root is not None else config.builtin_root()
    if writing and project.root is None and root == config.PACKAGE_DIR:
        raise CatalogError("no project selected, and the built-in library is part of the installed "
                           "package; run this in your project (tplkit.toml) or pass --project")
    return [root / "templates"], root / "locales"


def _pot(locales_dir: Path) -> Path:
    return locales_dir / catalogs.POT_NAME


@click.group()
def i18n() -> None:
    """Translation workflow: extract messages, start, update and check catalogs."""


@i18n.command()
@click.pass_obj
@report_errors
def extract(app: AppContext) -> None:
    """Extract every message of the templates into locales/tplkit.pot."""
    template_dirs, locales_dir = _folders(app, writing=True)
    missing = [d for d in template_dirs if not d.is_dir()]
    if missing:
        raise CatalogError(f"no templates folder {missing[0]}; nothing to extract")
    problems: list[TplkitError] = []
    catalog = catalogs.extract(template_dirs, on_error=problems.append)
    if problems:
        for err in problems:
            click.echo(f"error: {err}", err=True)
        click.echo(f"error: {len(problems)} file(s) could not be read; "
                   f"{_pot(locales_dir)} was not written", err=True)
        sys.exit(EXIT_ERROR)
    path = _pot(locales_dir)
    if catalogs.write_catalog(path, catalog, keep_if_unchanged=True):
        click.echo(f"wrote {path} ({len(catalog)} messages)")
    else:
        click.echo(f"{path} is up to date ({len(catalog)} messages)")


@i18n.command()
@click.argument("lang")
@click.option("--force", is_flag=True, help="Replace an existing catalog (its translations are lost).")
@click.pass_obj
@report_errors
def init(app: AppContext, lang: str, force: bool) -> None:
    """Start the catalog of language LANG from locales/tplkit.pot."""
    _, locales_dir = _folders(app, writing=True)
    template = catalogs.read_template(_pot(locales_dir))
    catalog = catalogs.new_catalog(template, lang)
    path = catalogs.catalog_path(locales_dir, str(catalog.locale))
    write_output(str(path), catalogs.po_bytes(catalog), force)
    click.echo(f"wrote {path} ({len(catalog)} messages to translate)")


@i18n.command()
@click.pass_obj
@report_errors
def update(app: AppContext) -> None:
    """Merge locales/tplkit.pot into every catalog: new messages untranslated, old ones obsolete."""
    _, locales_dir = _folders(app, writing=True)
    template = catalogs.read_template(_pot(locales_dir))
    locales = catalogs.catalog_locales(locales_dir)
    if not locales:
        raise CatalogError(f"no catalogs in {locales_dir}; start one with 'tplkit i18n init LANG'")
    for locale in locales:
        path = catalogs.catalog_path(locales_dir, locale)
        catalog = catalogs.read_po(path, locale)
        added, obsolete = catalogs.merge(catalog, template)
        catalogs.write_catalog(path, catalog)
        click.echo(f"{locale}: {len(added)} new, {len(obsolete)} obsolete ({path})")


@i18n.command()
@click.option("--require-complete", is_flag=True,
              help="Exit 1 when any catalog has a fuzzy or untranslated message.")
@click.pass_obj
@report_errors
def stats(app: AppContext, require_complete: bool) -> None:
    """Per locale: translated, fuzzy and untranslated messages, and the percentage done."""
    _, locales_dir = _folders(app)
    pot = _pot(locales_dir)
    template = catalogs.read_template(pot) if pot.is_file() else None
    locales = catalogs.catalog_locales(locales_dir)
    if not locales:
        raise CatalogError(f"no catalogs in {locales_dir}; start one with 'tplkit i18n init LANG'")
    rows = [catalogs.stats(catalogs.read_po(catalogs.catalog_path(locales_dir, loc), loc), template)
            for loc in locales]
    width = max(6, *(len(r.locale) for r in rows))
    click.echo(f"{'locale':<{width}}  translated  fuzzy  untranslated    done")
    for r in rows:
        click.echo(f"{r.locale:<{width}}  {r.translated:>10}  {r.fuzzy:>5}  {r.untranslated:>12}  "
                   f"{r.percent:>5.1f}%")
    incomplete = [r.locale for r in rows if not r.complete]
    if require_complete and incomplete:
        click.echo(f"error: incomplete catalogs: {', '.join(incomplete)}", err=True)
        sys.exit(EXIT_ERROR)
