"""A one-file Django app recording ratings from signed one-click links.

    TPLKIT_LINK_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))') \\
        python3 examples/django_ratings.py runserver

``GET /rate?ticket=...&score=...&exp=...&sig=...`` (the links of the feedback request's
rating buttons, see ``tplkit.links``) records the score of a verified link: one rating per
ticket, a second click replaces it; an edited link (another score or ticket) answers 400,
an expired one 410. ``POST /unsubscribe?...`` is the RFC 8058 one-click target of the
``List-Unsubscribe`` header. The key comes from the Django setting ``TPLKIT_LINK_KEY``
(here read from the environment), never from a template.
"""
from __future__ import annotations

import os
import sys

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import tplkit
from tplkit.errors import LinkError, LinkExpiredError

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret"),
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        INSTALLED_APPS=[],
        TPLKIT_LINK_KEY=os.environ.get("TPLKIT_LINK_KEY"),
    )
    django.setup()

KIT = tplkit.Kit(link_key=settings.TPLKIT_LINK_KEY or None)
RATINGS: dict[str, int] = {}                 # ticket -> score; a real app uses a model
UNSUBSCRIBED: set[tuple[str | None, str | None]] = set()


def _verified(request: HttpRequest, purpose: str) -> dict[str, str] | JsonResponse:
    if KIT.links is None:
        return JsonResponse({"error": "no link key configured"}, status=404)
    try:
        return KIT.links.verify(request.META.get("QUERY_STRING", ""), purpose=purpose)
    except LinkError as e:
        return JsonResponse({"error": str(e)}, status=410 if isinstance(e, LinkExpiredError) else 400)


@require_GET
def rate(request: HttpRequest) -> JsonResponse:
    """Record the rating a verified link carries."""
    params = _verified(request, "rating")
    if isinstance(params, JsonResponse):
        return params
    try:
        ticket, score = params["ticket"], int(params["score"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "a rating link needs a ticket and a numeric score"}, status=400)
    RATINGS[ticket] = score
    return JsonResponse({"ticket": ticket, "score": score, "message": "Thank you for your rating!"})


@csrf_exempt   # the mailbox provider posts it, with no session: the signature is the check
@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    """RFC 8058 one-click unsubscribe from a verified List-Unsubscribe URL."""
    params = _verified(request, "unsubscribe")
    if isinstance(params, JsonResponse):
        return params
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return JsonResponse({"error": "expected the RFC 8058 body List-Unsubscribe=One-Click"}, status=400)
    UNSUBSCRIBED.add((params.get("email"), params.get("list")))
    return JsonResponse({"unsubscribed": params.get("email"), "list": params.get("list")})


urlpatterns = [path("rate", rate), path("unsubscribe", unsubscribe)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
