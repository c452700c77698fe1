"""What a preview route answers: :class:`Response` with the site's security headers, and the
two refusals a route raises (:class:`NotFound`, :class:`BadRequest`) for :class:`~.app.PreviewApp`
to turn into error pages."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_POST = 256 * 1024   # bytes of a test-send form; the server refuses a larger body unread

# The app's own pages: scripts and styles only from this server, framed by nobody.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
# A rendered email: no scripts, no forms, no plugins; remote images are allowed (logos).
# ``sandbox allow-same-origin`` repeats the iframe's sandbox for anyone opening the URL
# directly: without ``allow-scripts`` nothing in the email runs, and the same origin lets
# the preview page (never the email) measure the email's height to fit the frame to it.
EMAIL_CSP = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
             "font-src https: data:; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'self'; sandbox allow-same-origin")
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "Cache-Control": "no-store"}
TEXT = "text/plain; charset=utf-8"


@dataclass
class Response:
    """What a route answers: status, body and headers (Content-Type included)."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        """Content-Type, the headers every answer carries, then the route's own."""
        return {"Content-Type": self.content_type, **COMMON_HEADERS, **self.headers}


class NotFound(Exception):
    """An unknown route, template, locale, sample or asset (answered with 404)."""


class BadRequest(Exception):
    """A request the server will not process, such as a context nested too deeply (400)."""
