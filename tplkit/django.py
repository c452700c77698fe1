"""Django integration: a rendered email as Django's ``EmailMultiAlternatives``.

::

    from tplkit.django import to_django_email

    email = KIT.render("acknowledgement", ctx, locale=request.LANGUAGE_CODE)
    to_django_email(email, to=[ticket.customer_email]).send()
    to_django_email(email, to=[...]).send(using="transactional")   # Django 6.1+ MAILERS alias

The plain text is the body and the HTML its ``text/html`` alternative, so it works with any
Django email backend (SMTP, console, locmem in tests, the ESP backends of django-anymail).
Django refuses header values with line breaks (a ``ValueError``) as tplkit does.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import EmailMultiAlternatives

from .render import RenderedEmail


def to_django_email(email: RenderedEmail, *, to: Sequence[str], from_email: str | None = None,
                    cc: Sequence[str] = (), bcc: Sequence[str] = (), reply_to: Sequence[str] = (),
                    headers: Mapping[str, str] | None = None, message_id: str | None = None,
                    connection: Any = None) -> EmailMultiAlternatives:
    """``email`` as an ``EmailMultiAlternatives`` (text body, HTML alternative) with the
    template's headers, ``Content-Language`` and, if given, a fixed ``Message-ID``.
    ``from_email`` defaults to Django's ``DEFAULT_FROM_EMAIL``.

    Which backend sends it is Django's business: ``.send()`` (the default mailer),
    ``.send(using=alias)`` on Django 6.1+ (``MAILERS``), or a backend's
    ``send_messages([message])``. ``connection`` is only passed on when given: Django 6.1
    deprecates it in favour of ``using``."""
    extra = {**email.headers, "Content-Language": email.locale.replace("_", "-"), **(headers or {})}
    if message_id:
        extra["Message-ID"] = message_id
    options = {} if connection is None else {"connection": connection}
    msg = EmailMultiAlternatives(subject=email.subject, body=email.text, from_email=from_email,
                                 to=list(to), cc=list(cc), bcc=list(bcc), reply_to=list(reply_to),
                                 headers=extra, **options)
    msg.attach_alternative(email.html, "text/html")
    return msg
