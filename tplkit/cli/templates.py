"""``tplkit list`` and ``tplkit show``: what templates there are, and what one holds."""
from __future__ import annotations

from typing import Any

import click

from .app import AppContext, report_errors


@click.command("list")
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


@click.command()
@click.argument("name")
@click.option("--compiled", "compiled_locale", default=None, metavar="LOCALE", is_flag=False,
              flag_value="", help="Print the compiled form for LOCALE (default: the project's): "
                                  "the four runtime sources and the generated Python function.")
@click.pass_obj
@report_errors
def show(app: AppContext, name: str, compiled_locale: str | None) -> None:
    """A template's placeholders and sample names."""
    kit = app.kit()
    if compiled_locale is not None:
        compiled = kit.compile(name, compiled_locale or None)
        for part, src in compiled.sources.items():
            click.echo(f"--- {part} ({compiled.template}/{compiled.locale}) ---")
            click.echo(src.rstrip("\n"))
        click.echo(f"--- generated Python ({compiled.code_name}) ---")
        click.echo(compiled.code.rstrip("\n"))
        return
    info = kit.template(name)
    click.echo(f"{info.name} ({info.category}): {info.description}")
    click.echo(f"folder: {info.folder}\n")
    rows = [("placeholder", "type", "required", "default", "example", "description")]

    def add(ph: Any, path: str) -> None:
        typ = ph.type + (f" [{'|'.join(map(str, ph.choices))}]" if ph.choices else "")
        typ += f" of {ph.item_type}" if ph.type == "list" else ""
        default = ph.default_from or ("" if ph.default is None else str(ph.default))
        rows.append((path, typ, "yes" if ph.required else "no", default,
                     "" if ph.example is None else str(ph.example), ph.description))
        for field in ph.fields:   # an object's fields, or a list's items' (lines[].name)
            add(field, f"{path}{'[]' if ph.type == 'list' else ''}.{field.name}")

    for ph in info.placeholders.values():
        add(ph, ph.name)
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[5])
    click.echo(f"\nsamples: {', '.join(info.samples) or '(none)'}")
