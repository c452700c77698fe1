"""``tplkit serve``: a browser preview of a project's emails, with live reload.

:class:`PreviewApp` answers requests (fixed routes, pages rendered with an autoescaping
Jinja environment); :func:`make_server` puts it behind the standard library's threading
HTTP server; :mod:`.watch` fingerprints the files pages reload on.
"""
from .app import PreviewApp, Response
from .server import make_server

__all__ = ["PreviewApp", "Response", "make_server"]
