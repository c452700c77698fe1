"""``tplkit serve``: a browser preview of a project's emails, with live reload.

:class:`PreviewApp` (:mod:`.app`) routes requests to pages rendered with an autoescaping
Jinja environment; :mod:`.selection` reads what a page shows from its query,
:mod:`.rendering` renders it, :mod:`.live` keeps the Kit and lint current as :mod:`.watch`
sees files change, :mod:`.sending` does the test send, :mod:`.response` is what a route
answers; :func:`make_server` (:mod:`.server`) puts the app behind the standard library's
threading HTTP server. The panels: :mod:`.views`, :mod:`.compat`, :mod:`.linkcheck`,
:mod:`.spam`, :mod:`.height`, :mod:`.untranslated`.
"""
from .app import PreviewApp
from .response import Response
from .server import make_server

__all__ = ["PreviewApp", "Response", "make_server"]
