"""``tplkit serve``: the browser preview with live reload."""
from __future__ import annotations

import signal
import threading

import click

from ..cli import AppContext, report_errors
from ..errors import TplkitError

DEFAULT_PORT = 8470


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
    from .app import PreviewApp
    from .server import is_loopback, make_server

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
