"""RenderedEmail.to_message: a ready multipart/alternative EmailMessage."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tplkit import HeaderError


@pytest.fixture
def email(kit):
    ctx = dict(kit.template("acknowledgement").sample, customer_name="Олена")
    return kit.render("acknowledgement", ctx, locale="uk")


def test_message_structure_and_encoding(email):
    """text/plain then text/html, UTF-8, non-ASCII subject encoded and round-tripping."""
    msg = email.to_message(sender="Support <help@shop.example>", to="olena@example.com")
    raw = bytes(msg)
    assert all(b < 128 for b in raw)  # everything is transfer-encoded
    assert "Ми отримали".encode() not in raw.split(b"\r\n\r\n")[0]  # subject is an encoded word
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == "utf-8"
    assert parsed["Subject"] == email.subject
    assert text.get_content() .replace("\r\n", "\n") == email.text
    assert html.get_content().replace("\r\n", "\n") == email.html
    assert parsed["Content-Language"] == "uk"
    assert parsed["Message-ID"].endswith("@shop.example>")


def test_thread_headers(email):
    """in_reply_to and references put the reply in the customer's thread."""
    msg = email.to_message(sender="help@shop.example", to="o@example.com",
                           in_reply_to="<abc@mail.example>", references=["<root@mail.example>"])
    assert msg["In-Reply-To"] == "<abc@mail.example>"
    assert msg["References"] == "<root@mail.example> <abc@mail.example>"


@pytest.mark.parametrize("kwargs", [
    {"to": "a@example.com\r\nBcc: victim@example.com"},
    {"to": "not an address"},
    {"sender": "x@example.com\nX-Evil: 1"},
    {"in_reply_to": "<a@b>\r\nBcc: x@y.z"},
    {"headers": {"X-Note": "line\r\nBcc: x@y.z"}},
    {"headers": {"Bad Name": "x"}},
])
def test_header_injection_is_refused(email, kwargs):
    """CR/LF or malformed values in any header raise HeaderError."""
    args = {"sender": "help@shop.example", "to": "o@example.com", **kwargs}
    with pytest.raises(HeaderError):
        email.to_message(**args)


def test_subject_never_carries_line_breaks(kit):
    """A line feed in a value reaching the subject is collapsed; a CR is refused outright."""
    from tplkit import PlaceholderError

    with pytest.raises(PlaceholderError, match="ticket_id: contains control"):
        sample = kit.template("acknowledgement").sample
        kit.render("acknowledgement", dict(sample, ticket_id="SR-1\r\nBcc: x@y.z"))
    ctx = dict(kit.template("acknowledgement").sample, ticket_id="SR-1\nBcc: x@y.z")
    email = kit.render("acknowledgement", ctx)
    assert "\n" not in email.subject and "\r" not in email.subject
    msg = email.to_message(sender="help@shop.example", to="o@example.com")
    assert "Bcc" not in set(msg.keys())


def test_rendered_email_is_an_ordinary_frozen_dataclass(email):
    """Kit.render builds its RenderedEmail by a shortcut; it is the one the constructor makes."""
    import copy
    import dataclasses
    import pickle

    from tplkit.render import RenderedEmail

    fields = {f.name: getattr(email, f.name) for f in dataclasses.fields(email)}
    assert RenderedEmail(**fields) == email and repr(RenderedEmail(**fields)) == repr(email)
    with pytest.raises(dataclasses.FrozenInstanceError):
        email.subject = "changed"
    assert pickle.loads(pickle.dumps(email)) == email == copy.deepcopy(email)
    assert dataclasses.replace(email, subject="x").subject == "x" and email.subject != "x"


def test_bodies_survive_quoted_printable_exactly():
    """Trailing spaces, '=', long lines, a leading 'From ' or '.', tabs and non-ASCII all
    come back unchanged from the quoted-printable parts, and no raw line exceeds 78."""
    from tplkit.render import RenderedEmail

    text = ("Hi Ольга, a=b ==\nTrailing spaces   \n\tTabbed\n.dot line\nFrom the team\n"
            + "x" * 200 + "\n" + "é" * 90 + " \n\nend\n")
    html = "<p style=\"a:b\">" + "ü" * 300 + "</p>\n<p>=3D literal</p>  \n"
    email = RenderedEmail(template="t", locale="uk", subject="S", preheader="", html=html, text=text)
    raw = bytes(email.to_message(sender="a@shop.example", to="b@example.com"))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    parsed = message_from_bytes(raw, policy=policy.default)
    plain, rich = parsed.iter_parts()
    assert plain["Content-Transfer-Encoding"] == rich["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n") == html
    assert parsed["MIME-Version"] == "1.0" and parsed["Content-Language"] == "uk"


@pytest.mark.parametrize("kwargs, named", [
    ({"message_id": "<ключ@shop.example>"}, "Message-ID"),
    ({"message_id": "<a@shöp.example>"}, "Message-ID"),
    ({"in_reply_to": "<é@shop.example>"}, "In-Reply-To"),
    ({"references": ["<a@shop.example>", "<é@shop.example>"]}, "References"),
    ({"list_unsubscribe": "https://shop.example/відписка"}, "List-Unsubscribe"),
    ({"headers": {"MIME-Version": "1.0"}}, "MIME-Version"),
    ({"headers": {"mime-version": "2.0é"}}, "mime-version"),
    ({"headers": {"Content-Type": "text/plain"}}, "Content-Type"),
    ({"headers": {"Content-Transfer-Encoding": "8bit"}}, "Content-Transfer-Encoding"),
])
def test_non_ascii_ids_and_structure_headers_are_header_errors(email, kwargs, named):
    """A non-ASCII message id or List-Unsubscribe URI, or a custom
    MIME-Version/Content-Type/Content-Transfer-Encoding,
    is a HeaderError naming the header, from to_message and to_bytes alike (it was a bare
    UnicodeEncodeError or ValueError from the email package, or a broken structure)."""
    args = {"sender": "help@shop.example", "to": "olena@example.com"} | kwargs
    with pytest.raises(HeaderError) as theirs:
        bytes(email.to_message(**args))
    with pytest.raises(HeaderError) as ours:
        email.to_bytes(**args)
    assert str(theirs.value) == str(ours.value)
    assert str(theirs.value).startswith((f"{named}: ", f"invalid {named} header: "))
    assert "non-ASCII" in str(theirs.value) or "tplkit writes the message's" in str(theirs.value)
