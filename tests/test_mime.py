"""RenderedEmail.to_bytes (tplkit/mime.py): the message to_message builds, written directly.

Read back by Python's parser and by npm mailparser, signed and verified by dkimpy, compared
header by header and body byte by byte with ``bytes(to_message(...))``.
"""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import combinations, mailparser
from test_mail_parsers import EXTRA_SUBJECTS

import tplkit
from tplkit.render import RenderedEmail

SENDER = "Northwind Support <help@northwind.example>"
TO = ["Олена Коваль <olena@example.com>", '"Smith, John (VIP)" <john@example.com>',
      "plain@example.org"]
NAMES = ["Служба підтримки «Нордвінд» — відділ повернень та обміну товарів у Києві",
         "Übergrößenträger Straßenbahn", "أحمد", "Zoë O'Brien-Smith", "😀 Team 👍🏽", "A. B. Example"]
ODD_HEADERS = {
    "X-Literal-Encoded-Word": "=?utf-8?q?not_encoded?= stays literal",
    "X-Long-Ascii": "token " * 40 + "x" * 200,
    "X-Unbreakable": "y" * 1200,
    "X-Spaces": "two  spaces   three    four     " * 4,
    "X-Edge-Blanks": "  leading and trailing  ",
    "X-Very-Long-Header-Name-That-Leaves-Little-Room-For-The-Value-Of-It": "значення " * 5,
    "Keywords": "tab\tinside",
}
BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def _emails(kit) -> list[RenderedEmail]:
    emails = [kit.render(name, ctx, locale=locale) for name, locale, _, ctx in combinations(kit)]
    return emails + [RenderedEmail(template="extra", locale="uk", subject=s.strip(), preheader="",
                                   html="<p>x</p>\n", text="x\n") for s in EXTRA_SUBJECTS]


@pytest.fixture(scope="module")
def pairs(kit, tmp_path_factory) -> list[tuple[RenderedEmail, Path, bytes]]:
    """(email, .eml written by to_bytes, bytes of to_message) for every built-in combination,
    the hard subjects, varied display names and awkward custom headers."""
    folder = tmp_path_factory.mktemp("mime")
    out = []
    for i, email in enumerate(_emails(kit)):
        name = NAMES[i % len(NAMES)]
        kwargs = {"sender": f"{name} <help@northwind.example>", "to": TO[: 1 + i % 3],
                  "message_id": f"<{i}.tplkit@northwind.example>",
                  "headers": {"X-Tplkit-Subject-Copy": email.subject,
                              **({"X-Name": name} if i % 2 else ODD_HEADERS)}}
        if i % 4 == 0:
            kwargs |= {"cc": "Ян <jan@example.com>", "reply_to": "Desk <desk@northwind.example>",
                       "in_reply_to": "<root@mail.example>", "references": ["<a@mail.example>"],
                       "list_unsubscribe": ["https://northwind.example/u?t=" + "a" * 120,
                                            "mailto:unsub@northwind.example"]}
        raw = email.to_bytes(**kwargs)
        path = folder / f"{i:03}.eml"
        path.write_bytes(raw)
        out.append((email, path, bytes(email.to_message(**kwargs))))
    return out


def test_headers_and_bodies_mean_what_to_message_means(pairs):
    """Python's parser reads the same header values, in the same order, and the same parts
    from to_bytes as from to_message (Date and the boundary aside); the text part is the
    same bytes, the HTML part decodes to the same bytes (it is encoded piece by piece)."""
    assert len(pairs) > 136
    for email, path, reference in pairs:
        raw = path.read_bytes()
        ours = message_from_bytes(raw, policy=policy.default)
        theirs = message_from_bytes(reference, policy=policy.default)
        names = [k for k in theirs if k != "X-Literal-Encoded-Word"]  # to_message decodes it (see below)
        assert [k for k in ours if k != "X-Literal-Encoded-Word"] == names, path.name
        for k in names:
            if k in ADDRESS_HEADERS:
                assert _strict(raw, k) == _strict(reference, k), (path.name, k)
            elif k not in ("Date", "Content-Type"):
                assert ours.get_all(k) == theirs.get_all(k), (path.name, k)
        assert ours["Subject"] == email.subject
        assert ours.get_content_type() == "multipart/alternative"
        assert [p.get_content().replace("\r\n", "\n") for p in ours.iter_parts()] == [email.text, email.html]
        assert [_decoded(p) for p in ours.iter_parts()] == [_decoded(p) for p in theirs.iter_parts()]
        assert [_raw(p) for p in ours.iter_parts()][0] == [_raw(p) for p in theirs.iter_parts()][0]
        assert email.html_pieces or email.template == "extra"  # the piecewise HTML path ran


def _decoded(part) -> tuple:
    """A part's headers and its body as bytes, decoded from its transfer encoding."""
    return part.items(), part.get_payload(decode=True)


def _raw(part) -> str:
    """A part's body as written (still quoted-printable)."""
    return part.get_payload(decode=False)


def _qp_lines_ok(raw: bytes, html_only: bool = False) -> None:
    """Every line of the quoted-printable parts of ``raw`` is at most 76 characters (RFC 2045
    rule 5) and none ends in a blank (rule 3: a blank at the end of a line is encoded)."""
    head, body = raw.split(b"\r\n\r\n", 1)
    boundary = BOUNDARY.search(head)[1]
    for chunk in body.split(b"--" + boundary)[2 if html_only else 1:-1]:
        part_head, content = chunk.split(b"\r\n\r\n", 1)
        assert b"quoted-printable" in part_head
        for line in content.split(b"\r\n"):
            assert len(line) <= 76, line
            assert not line.endswith((b" ", b"\t")), line


# Python's modern parser puts a space between adjacent encoded-words of a display name
# (RFC 2047 6.2 says to drop it), wherever the writer split them: addresses are compared
# through the strict decoder, and through npm mailparser below
ADDRESS_HEADERS = ("From", "To", "Cc", "Reply-To")


def _strict(raw: bytes, name: str) -> list[str]:
    """The values of header ``name``, unfolded and decoded by the strict RFC 2047 decoder."""
    values = message_from_bytes(raw, policy=policy.compat32).get_all(name)
    return [str(make_header(decode_header(v.replace("\r\n", "").replace("\n", "")))) for v in values]


def test_lines_and_encoded_words_follow_the_rfcs(pairs):
    """Every line ends in CRLF and is at most 998 octets; header lines at most 78 (a
    too-long run is encoded rather than left long; List-Unsubscribe URLs are never encoded,
    one a line); every encoded-word is at most 75
    characters, and the strict RFC 2047 decoder (white space between words ignored) gives
    each subject back with every space."""
    for email, path, _ in pairs:
        raw = path.read_bytes()
        assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
        head, body = raw.split(b"\r\n\r\n", 1)
        lines = head.replace(b",\r\n <", b", <").split(b"\r\n")
        assert max(len(x) for x in lines if not x.startswith(b"List-Unsubscribe:")) <= 78, path.name
        assert max(map(len, lines)) <= 998
        assert max(map(len, body.split(b"\r\n"))) <= 998, path.name
        assert raw.isascii()
        _qp_lines_ok(raw)
        for word in re.findall(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=", head):
            assert len(word) <= 75, (path.name, word)
        legacy = message_from_bytes(raw, policy=policy.compat32)
        assert str(make_header(decode_header(legacy["Subject"]))) == email.subject, path.name
        assert str(make_header(decode_header(legacy["X-Tplkit-Subject-Copy"]))) == email.subject


def test_mailparser_reads_every_message_exactly(pairs):
    """npm mailparser reads subject, custom headers, addresses and both bodies back exactly."""
    parsed = mailparser([p for _, p, _ in pairs])
    for i, (email, path, _) in enumerate(pairs):
        got = parsed[str(path)]
        assert got["subject"] == email.subject, path.name
        assert got["headers"]["x-tplkit-subject-copy"] == email.subject, path.name
        name = NAMES[i % len(NAMES)]
        assert got["from"] in (f"{name} <help@northwind.example>", f'"{name}" <help@northwind.example>')
        assert got["to"].startswith(('"Олена Коваль" <olena@example.com>',
                                     "Олена Коваль <olena@example.com>"))
        if i % 2:
            assert got["headers"]["x-name"] == name
        else:
            for k, v in ODD_HEADERS.items():
                assert got["headers"][k.lower()] in (v, v.strip()), (path.name, k)
        assert got["text"].replace("\r\n", "\n").rstrip("\n") == email.text.rstrip("\n"), path.name
        assert got["html"].replace("\r\n", "\n").rstrip("\n") == email.html.rstrip("\n"), path.name


def test_a_literal_encoded_word_reads_back_literally(pairs):
    """A value that looks like an encoded-word is encoded itself, so every reader shows it
    as written (to_message passes it through, and readers decode it)."""
    _, path, reference = pairs[0]
    ours = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert ours["X-Literal-Encoded-Word"] == ODD_HEADERS["X-Literal-Encoded-Word"]
    theirs = message_from_bytes(reference, policy=policy.default)
    assert theirs["X-Literal-Encoded-Word"] == "not encoded stays literal"


def test_dkim_signatures_verify(pairs, dkim_key):
    """dkimpy signs to_bytes' output (simple and relaxed) and verifies it, also after a relay
    prepends a header; a changed subject fails."""
    import dkim

    private, record = dkim_key
    heads = [b"from", b"to", b"subject", b"date", b"message-id", b"content-type", b"mime-version",
             b"list-unsubscribe", b"x-tplkit-subject-copy"]
    for _, path, _ in pairs[::5]:
        raw = path.read_bytes()
        for canon in ((b"simple", b"simple"), (b"relaxed", b"relaxed")):
            signed = dkim.sign(raw, b"sel", b"northwind.example", private, canonicalize=canon,
                               include_headers=heads) + raw
            assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: record), (path.name, canon)
            relayed = b"Received: from mx.example by mx2.example; Tue, 1 Dec 2026 10:00:00 +0000\r\n" + signed
            assert dkim.verify(relayed, dnsfunc=lambda name, timeout=5: record)
            tampered = signed.replace(b"\r\nSubject: ", b"\r\nSubject: Re: ", 1)
            assert tampered != signed
            assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


def test_rfc2231_parameters_of_a_custom_structured_header(kit):
    """A structured custom header (Content-Disposition with a non-ASCII filename) is written
    by the email package itself: RFC 2231 parameters that read back as to_message's do."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample, locale="uk")
    headers = {"Content-Disposition": 'inline; filename="звіт про повернення коштів за замовлення.txt"'}
    raw = email.to_bytes(sender=SENDER, to="olena@example.com", headers=headers)
    assert b"filename*0*=utf-8''" in raw   # RFC 2231: charset, percent-encoding, continuations
    ours = message_from_bytes(raw, policy=policy.default)
    theirs = message_from_bytes(bytes(email.to_message(sender=SENDER, to="olena@example.com",
                                                       headers=headers)), policy=policy.default)
    assert ours["Content-Disposition"].params == theirs["Content-Disposition"].params
    assert ours.get_filename() == "звіт про повернення коштів за замовлення.txt"


REFUSED = [
    {"to": "olena@example.com\r\nBcc: evil@x.example"},
    {"to": "olena@example.com\nBcc: evil@x.example"},
    {"to": "not an address"},
    {"to": ["olena@example.com", "evil"]},
    {"to": []},
    {"to": "a@b"},
    {"sender": "\"Help\r\nBcc: evil@x.example\" <help@shop.example>"},
    {"sender": "a@b.example, c@d.example"},
    {"cc": "x@y.example\u2028Bcc: evil@x.example"},
    {"reply_to": "a@b.example, c@d.example"},
    {"in_reply_to": "<a@b.example>\r\nBcc: evil@x.example"},
    {"references": ["<a@b.example>", "<x@y.example> Bcc: evil"]},
    {"message_id": "<a@b.example>\nX: y"},
    {"message_id": "no-at-sign"},
    {"headers": {"X-Ticket": "1\r\nBcc: evil@x.example"}},
    {"headers": {"X-Ticket": "1\x85Bcc: evil@x.example"}},
    {"headers": {"Bcc: evil@x.example\r\nX": "1"}},
    {"headers": {"Bad Name": "x"}},
    {"headers": {"Subject": "a second subject"}},
    {"headers": {"to": "second@example.com"}},
    {"headers": {"Date": "Tue, 01 Dec 2026 10:00:00 +0000"}},
    {"list_unsubscribe": "javascript:alert(1)"},
    {"list_unsubscribe": "http://x.example/u", "one_click": True},
    {"list_unsubscribe": "https://x.example/u>, <https://evil.example"},
]


@pytest.mark.parametrize("kwargs", REFUSED)
def test_refusals_are_those_of_to_message(kit, kwargs):
    """Each input to_message refuses is refused by to_bytes with the same HeaderError message."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    args = {"sender": "Help <help@shop.example>", "to": "olena@example.com"} | kwargs
    with pytest.raises(tplkit.HeaderError) as theirs:
        email.to_message(**args)
    with pytest.raises(tplkit.HeaderError) as ours:
        email.to_bytes(**args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("headers", [{"MIME-Version": "1.0"}, {"Content-Type": "text/plain"},
                                     {"content-type": "text/html"},
                                     {"Content-Transfer-Encoding": "8bit"}])
def test_a_custom_mime_header_is_a_header_error(kit, headers):
    """A custom MIME-Version, Content-Type or Content-Transfer-Encoding (the structure tplkit
    writes itself) is refused by the header-name check, by to_bytes and to_message alike,
    before anything is written (to_message alone let the email package's ValueError out)."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    args = {"sender": "a@shop.example", "to": "b@example.com", "headers": headers}
    with pytest.raises(tplkit.HeaderError, match="tplkit writes the message's") as ours:
        email.to_bytes(**args)
    with pytest.raises(tplkit.HeaderError) as theirs:
        email.to_message(**args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [{"message_id": "<ключ@example.com>"},
                                    {"in_reply_to": "<ключ@example.com>"},
                                    {"references": ["<a@b.example>", "<ключ@example.com>"]},
                                    {"list_unsubscribe": "https://x.example/відписка"}])
def test_non_ascii_ids_and_uris_are_header_errors(kit, kwargs):
    """A non-ASCII message id or List-Unsubscribe URI is a HeaderError (to_message raises
    UnicodeEncodeError for some and writes an encoded-word id for others)."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    with pytest.raises(tplkit.HeaderError, match="non-ASCII"):
        email.to_bytes(sender="a@shop.example", to="b@example.com", **kwargs)


@pytest.mark.parametrize("to", ["олена@example.com", "olena@приклад.укр"])
def test_a_non_ascii_address_is_refused(kit, to):
    """A non-ASCII address needs SMTPUTF8: refused (to_message writes encoded-words into the
    address, which no reader resolves)."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    with pytest.raises(tplkit.HeaderError, match="not an ASCII address"):
        email.to_bytes(sender="a@shop.example", to=to)


_TEXT = st.lists(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
    [" ", "\t", ".", "=", "\n", " \n", ".\n", "\r\n", "\r", "x" * 75, "é" * 30]), max_size=200).map("".join)
_HEADER = st.lists(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(
    [" ", "  ", "\t", "=?", "?=", "x" * 80, "word "]), max_size=120).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, html=_TEXT, subject=_HEADER, extra=_HEADER)
def test_any_content_survives(text, html, subject, extra):
    """For any bodies and header text, the bodies are to_message's bytes and the headers read
    back exactly (Python's parser, and the strict RFC 2047 decoder)."""
    email = RenderedEmail(template="t", locale="en", subject=subject, preheader="", html=html, text=text)
    args = {"sender": SENDER, "to": "o@example.com", "headers": {"X-Extra": extra}}
    raw = email.to_bytes(**args)
    reference = bytes(email.to_message(**args))
    body = raw.split(b"\r\n\r\n", 1)[1].replace(BOUNDARY.search(raw)[1], b"B")
    assert body == reference.split(b"\r\n\r\n", 1)[1].replace(BOUNDARY.search(reference)[1], b"B")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(map(len, head.split(b"\r\n"))) <= 998
    legacy = message_from_bytes(raw, policy=policy.compat32)
    for name, value in (("Subject", subject), ("X-Extra", extra)):
        decoded = str(make_header(decode_header(legacy[name])))
        # the parser drops the blanks that follow "Name:"; a value that starts with a blank loses them
        assert decoded.lstrip(" \t") == value.lstrip(" \t")


@settings(max_examples=300, deadline=None)
@given(local=st.from_regex(r"[A-Za-z0-9_+-]{1,8}(\.[A-Za-z0-9_+-]{1,5}){0,2}", fullmatch=True),
       domain=st.from_regex(r"[A-Za-z0-9-]{1,8}(\.[A-Za-z0-9-]{1,6}){1,3}", fullmatch=True))
def test_plain_addresses_are_written_as_the_parser_writes_them(local, domain):
    """A bare address skips the address parser: it is refused, or written, exactly as
    the shared validation (getaddresses + Address) refuses or writes it."""
    from tplkit.mimeheaders import address_list, addresses_line, format_addresses

    value = f"{local}@{domain}"
    try:
        expected = format_addresses("To", address_list("To", value))
    except tplkit.HeaderError as e:
        expected = str(e)
    try:
        got = addresses_line("To", value)
    except tplkit.HeaderError as e:
        got = str(e)
    assert got == expected


_PIECE = st.lists(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
    [" ", "\t", ".", "=", "\n", " \n", ".\n", "\n.", "x" * 75, "é" * 30, "<td style=\"a:b\">"]),
    max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECE, min_size=2, max_size=12), again=st.booleans())
def test_html_encoded_piece_by_piece_decodes_to_the_same_bytes(pieces, again):
    """The HTML of a rendered email is encoded from the pieces it was joined from (static
    chunks once, values per message): Python's parser decodes it to the bytes to_message's
    HTML part decodes to, and its lines keep RFC 2045's rules; also when the pieces were
    seen before (their encodings then come from the kept ones)."""
    html = "".join(pieces)
    assume("\r" not in html)   # a CR takes to_message's own path (test_any_content_survives)
    email = RenderedEmail.from_fields(RenderedEmail.fields("t", "en", None, (), {}),
                                      ("S", "", html, "x\n", pieces))
    assert email.html_pieces == pieces
    args = {"sender": SENDER, "to": "o@example.com"}
    if again:
        email.to_bytes(**args)
    raw = email.to_bytes(**args)
    ours = message_from_bytes(raw, policy=policy.default)
    theirs = message_from_bytes(bytes(email.to_message(**args)), policy=policy.default)
    assert [_decoded(p) for p in ours.iter_parts()] == [_decoded(p) for p in theirs.iter_parts()]
    _qp_lines_ok(raw, html_only=True)   # b2a_qp (to_message, and the text part) may write 78


def test_a_rendered_emails_html_pieces_are_what_its_html_was_joined_from(kit):
    """Kit.render keeps the pieces of the HTML, static chunks and values in order (the
    static ones the same objects message after message)."""
    ctx = kit.template("acknowledgement").sample
    one = kit.render("acknowledgement", ctx, locale="uk")
    two = kit.render("acknowledgement", {**ctx, "customer_name": "Тарас"}, locale="uk")
    pieces1, pieces2 = one.html_pieces, two.html_pieces
    assert "".join(pieces1) == one.html and "".join(pieces2) == two.html
    first = {id(p) for p in pieces1}
    shared = [p for p in pieces2 if id(p) in first]   # the same string objects
    assert len(pieces2) > 2 and len(shared) > len(pieces2) / 2
    assert "".join(shared) != two.html and any("Тарас" in p for p in pieces2)


def test_pieces_of_another_html_are_never_used(kit):
    """An email copied with another HTML (dataclasses.replace, the constructor from its
    fields) carries the old pieces along: to_bytes sees they are not its HTML's and writes
    the new HTML."""
    import dataclasses

    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    for other in (dataclasses.replace(email, html=email.html.replace("<p", "<p title=\"new\"")),
                  type(email)(**{**email.__dict__, "html": "<p>other</p>\n"})):
        assert other.html_pieces == ()
        raw = other.to_bytes(sender=SENDER, to="o@example.com")
        html = message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
        assert html.replace("\r\n", "\n") == other.html != email.html
