"""tplkit.django: a rendered email through Django's locmem backend and its SMTP backend (aiosmtpd).

The backends are Django's own, chosen the way each Django version wants: a ``MAILERS``
entry and ``send(using=...)`` on Django 6.1+, the backend class before it; never
``get_connection()`` or ``connection=``, which 6.1 deprecates. Any deprecation warning
Django raises is an error, so the glue keeps up with the newest Django.
"""
from __future__ import annotations

import email
import email.policy

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem, smtp
from django.test.utils import override_settings
from django.utils.functional import empty
from smtp_inbox import serving

from tplkit.django import to_django_email

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning",
                                        "error::PendingDeprecationWarning")

def deliver(message, backend, **options) -> int:
    """Send ``message`` through Django's ``backend`` class with ``options``."""
    if hasattr(mail, "mailers"):   # Django 6.1+: a MAILERS entry, chosen by alias
        path = f"{backend.__module__}.{backend.__name__}"
        with override_settings(MAILERS={"tplkit": {"BACKEND": path, "OPTIONS": options}}):
            return message.send(using="tplkit")
    return backend(**options).send_messages([message])


CTX = {"customer_name": "Олена", "ticket_id": "SR-9", "request_url": "https://help.example/r/9"}


@pytest.fixture
def django_settings():
    """Django configured for mail only, and unconfigured again afterwards (other tests
    configure their own settings)."""
    configured = settings.configured
    if not configured:
        settings.configure(DEFAULT_FROM_EMAIL="Northwind <help@northwind.example>")
    mail.outbox = []
    yield settings
    if not configured:
        settings._wrapped = empty


def test_locmem_backend_gets_text_body_html_alternative_and_headers(kit, django_settings):
    """The outbox holds the rendered subject, text body, HTML alternative and Content-Language."""
    rendered = kit.render("acknowledgement", CTX, locale="uk")
    message = to_django_email(rendered, to=["olena@example.com"], from_email="Help <help@shop.example>",
                              message_id="<ack-SR-9@shop.example>")
    sent = deliver(message, locmem.EmailBackend)
    assert sent == 1
    (msg,) = mail.outbox
    assert (msg.subject, msg.body, msg.to) == (rendered.subject, rendered.text, ["olena@example.com"])
    assert msg.alternatives[0][0] == rendered.html and msg.alternatives[0][1] == "text/html"
    parsed = email.message_from_bytes(msg.message().as_bytes(), policy=email.policy.default)
    assert parsed["Content-Language"] == "uk" and parsed["Message-ID"] == "<ack-SR-9@shop.example>"


def test_smtp_backend_delivers_a_message_python_parses_back(kit, django_settings):
    """Django's SMTP backend hands it to a real server; the parts read back equal the rendering."""
    with serving() as inbox:
        rendered = kit.render("acknowledgement", CTX, locale="uk")
        message = to_django_email(rendered, to=["olena@example.com"])
        assert deliver(message, smtp.EmailBackend, host="127.0.0.1", port=inbox.port, use_tls=False,
                       timeout=10) == 1
    msg = inbox.message()
    # Django folds a long encoded Subject onto its own line ("Subject:\n =?utf-8?b?...?="), which
    # Python's parser reads with the folding space in front; mail clients drop it
    assert msg["Subject"].lstrip() == rendered.subject and msg["From"] == "Northwind <help@northwind.example>"
    assert msg["Content-Language"] == "uk" and inbox.envelopes[0].rcpt_tos == ["olena@example.com"]
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert plain.rstrip("\n") == rendered.text.rstrip("\n")
    assert html.rstrip("\n") == rendered.html.rstrip("\n") and "Олено" in html   # the vocative


def test_header_injection_is_refused(kit, django_settings):
    """A header value with a line break never reaches the wire."""
    rendered = kit.render("acknowledgement", CTX, locale="uk")
    message = to_django_email(rendered, to=["olena@example.com"],
                              headers={"X-Ticket": "SR-9\r\nBcc: evil@x.example"})
    with pytest.raises(ValueError, match="newline|linefeed|carriage return"):
        deliver(message, locmem.EmailBackend)
    assert mail.outbox == []
