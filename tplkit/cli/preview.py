"""``tplkit preview`` (one email in the terminal or a file) and ``tplkit serve`` (the
browser preview with live reload)."""
from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from pathlib import Path

import click

from ..errors import TplkitError
from ..preview.app import PreviewApp
from ..preview.server import is_loopback, make_server
from ..render import RenderedEmail
from .app import AppContext, load_context, report_errors, write_output

DEFAULT_PORT = 8470


# `preview -o FILE` without --format: the format its extension names
OUTPUT_FORMATS = {".html": "html", ".htm": "html", ".txt": "text", ".eml": "eml", ".json": "json"}


def format_preview(email: RenderedEmail, fmt: str, *, sender: str, to: str | None = None) -> bytes:
    """The email as ``tplkit preview --format`` shows it."""
    if fmt == "json":
        return (json.dumps(email.as_dict(), ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "html":
        return email.html.encode()
    if fmt == "eml":
        return bytes(email.to_message(sender=sender, to=to or "customer@example.com"))
    head = (f"Subject:   {email.subject}\nPreheader: {email.preheader}\n"
            f"Locale:    {email.locale}\nTemplate:  {email.template}\n")
    return (head + "-" * 78 + "\n" + email.text).encode()


@click.command()
@click.argument("name")
@click.option("--locale", "-l", default=None, help="Locale, e.g. uk or uk-UA (default: the project's).")
@click.option("--data", "-d", type=click.Path(dir_okay=False), help="Context as a JSON file.")
@click.option("--sample", "-s", help="Use this named sample from the manifest.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "html", "eml", "json"]), default=None,
              help="Default: from the extension of --output (.html, .txt, .eml, .json), else text.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--open", "open_", is_flag=True, help="Open the HTML part in a browser.")
@click.pass_obj
@report_errors
def preview(app: AppContext, name: str, locale: str | None, data: str | None, sample: str | None,
            fmt: str | None, output: str | None, force: bool, open_: bool) -> None:
    """Render a template with sample data (or --data) and show it."""
    kit = app.kit()
    fmt = fmt or (OUTPUT_FORMATS.get(Path(output).suffix.lower(), "text") if output else "text")
    email = kit.render(name, load_context(app, name, data, sample, locale), locale=locale)
    for note in email.warnings[1 if kit.negotiate(locale).note else 0:]:  # that one is warned
        click.echo(f"warning: {note}", err=True)
    brand = kit.brand
    out = format_preview(email, fmt, sender=f"{brand.company_name} <{brand.email}>")
    if output:
        write_output(output, out, force)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(out.decode("utf-8", errors="replace"), nl=False)
    if open_:
        fd, path = tempfile.mkstemp(prefix=f"tplkit-{name}-", suffix=".html")
        with os.fdopen(fd, "wb") as f:
            f.write(email.html.encode())
        click.launch(path)


@click.command()
@click.argument("project", required=False, type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default: only this computer).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port).")
@click.option("--open", "open_", is_flag=True, help="Open the preview in the default browser.")
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests.")
@click.pass_obj
@report_errors
def serve(app: AppContext, project: str | None, host: str, port: int, open_: bool, quiet: bool) -> None:
    """Preview templates in a browser; pages reload when a file changes. Ctrl-C stops it."""
    preview = PreviewApp(project or app.project)
    if preview.root is not None and not preview.root.is_dir():
        raise TplkitError(f"project folder does not exist: {preview.root}")
    _, _, problem = preview.state()
    if problem is not None:
        click.echo(f"warning: {problem} (shown in the browser until it is fixed)", err=True)
    try:
        server = make_server(preview, host, port, quiet=quiet)
    except OSError as e:
        raise TplkitError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    where = preview.root or "built-in templates"
    click.echo(f"tplkit preview of {where} at {server.url}  (Ctrl-C stops it)")
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this address can see "
                   f"your templates", err=True)
    threading.Thread(target=preview.warm, name="tplkit-warm", daemon=True).start()
    if open_:
        click.launch(server.url)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


def _stop(signum, frame) -> None:
    """SIGTERM (``kill``, service managers) stops the server like Ctrl-C does."""
    raise KeyboardInterrupt
