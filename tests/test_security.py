"""Security (issue 7): the template sandbox, escaping, header injection and URL safety."""
from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

import tplkit
from tplkit.filters import with_query

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
LEAKS = ("<module", "<function", "<built-in", "<class", "__builtins__", "0x7f")

UNSAFE = "is unsafe"
BOUNDED = "bounded work"
UNDEFINED = "is undefined"
NOT_FOUND = "not found"
# template in fixtures/hostile/ssti -> (file holding the payload, its line, message fragment)
PAYLOADS = {
    "mro": ("body.mjml", 3, UNSAFE),
    "subclasses": ("body.mjml", 3, UNSAFE),
    "cycler-globals": ("body.mjml", 3, UNSAFE),
    "self-context": ("body.mjml", 3, UNSAFE),
    "lipsum-globals": ("body.mjml", 3, UNDEFINED),
    "request-probe": ("body.mjml", 3, UNDEFINED),
    "config-probe": ("body.mjml", 3, UNDEFINED),
    "attr-filter": ("body.mjml", 3, UNSAFE),
    "format-string": ("body.mjml", 3, "reaches into a value"),
    "format-filter": ("body.mjml", 3, UNSAFE),
    "map-attribute": ("body.mjml", 3, UNSAFE),
    "map-attribute-join": ("body.mjml", 3, UNSAFE),
    "globals-namespace": ("body.mjml", 3, UNSAFE),
    "dict-mutate": ("body.mjml", 3, UNSAFE),
    "brand-mutate": ("body.mjml", 3, UNSAFE),
    "include-escape": ("body.mjml", 3, NOT_FOUND),
    "include-abs": ("body.mjml", 3, NOT_FOUND),
    "import-escape": ("body.mjml", 3, NOT_FOUND),
    "subject-ssti": ("subject.txt", 1, UNSAFE),
    "text-ssti": ("body.txt", 3, UNSAFE),
    "runtime-if-dunder": ("body.mjml", 3, UNSAFE),
    "runtime-if-global": ("body.mjml", 3, "mixes a placeholder"),
    "runtime-getitem": ("body.mjml", 3, UNSAFE),
    "runtime-attr-filter": ("body.mjml", 3, UNSAFE),
    "runtime-map-attribute": ("body.mjml", 3, UNSAFE),
    "runtime-if-attr": ("body.mjml", 3, UNSAFE),
    "runtime-if-getitem": ("body.mjml", 3, UNSAFE),
    "runtime-if-map": ("body.mjml", 3, UNSAFE),
    # resource bombs
    "range-bomb": ("body.mjml", 3, BOUNDED),
    "pow-bomb": ("body.mjml", 3, BOUNDED),
    "str-repeat-bomb": ("body.mjml", 3, BOUNDED),
    "nested-for-bomb": ("body.mjml", 3, BOUNDED),
    "string-loop-bomb": ("body.mjml", 3, BOUNDED),
    "ljust-bomb": ("body.mjml", 3, BOUNDED),
    "format-width-bomb": ("body.mjml", 3, BOUNDED),
    "percent-width-bomb": ("body.mjml", 3, BOUNDED),
    "format-filter-bomb": ("body.mjml", 3, BOUNDED),
    "center-bomb": ("body.mjml", 3, BOUNDED),
    "replace-bomb": ("body.mjml", 3, BOUNDED),
    "indent-bomb": ("body.mjml", 3, BOUNDED),
    "join-bomb": ("body.mjml", 3, BOUNDED),
    "concat-doubling": ("body.mjml", 3, BOUNDED),
    "macro-doubling": ("body.mjml", 3, BOUNDED),
    "int-squaring": ("body.mjml", 3, BOUNDED),
    "recursion": ("body.mjml", 3, "recursion too deep"),
    # a function, macro or class printed by mistake would put its repr (addresses) in the email
    "print-method": ("body.mjml", 3, "prints a function instead of a value"),
    "print-macro": ("body.mjml", 3, "prints a macro instead of a value"),
    "print-class": ("body.mjml", 3, "prints a class instead of a value"),
}
RUNTIME_ONLY = {"runtime-if-repeat", "runtime-print-method"}   # decided per message: no line


def assert_only_problem(kit: tplkit.Kit, template: str, name: str, value: str) -> None:
    """Rendering the template's sample with ``name=value`` fails on that placeholder alone."""
    ctx = kit.template(template).sample | {name: value}
    with pytest.raises(tplkit.PlaceholderError) as info:
        kit.render(template, ctx)
    assert [p.name for p in info.value.problems] == [name]


@pytest.fixture(scope="module")
def ssti_kit() -> tplkit.Kit:
    return tplkit.Kit(HOSTILE / "ssti")


def test_every_hostile_template_has_an_expectation(ssti_kit):
    """The fixture project and the expectation table list the same payload templates."""
    hostile = {n for n in ssti_kit.template_names() if ssti_kit.template(n).category == "hostile"}
    assert hostile - RUNTIME_ONLY == set(PAYLOADS)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_template_payload_fails_with_location(ssti_kit, name):
    """An SSTI or resource-bomb payload in a template file is a tplkit error naming template,
    file and line, and its message leaks no Python internals."""
    file, line, fragment = PAYLOADS[name]
    with pytest.raises(tplkit.TemplateSourceError) as info:
        ssti_kit.render(name, {"customer_name": "Olena"})
    err = info.value
    assert err.template == name and err.locale == "en"
    assert err.file == str(HOSTILE / "ssti" / "templates" / name / file)
    assert err.line == line
    assert fragment in err.message
    if fragment in (UNSAFE, BOUNDED):
        assert isinstance(err, tplkit.SecurityError)
    assert not any(leak in str(err) for leak in LEAKS), str(err)


def test_runtime_condition_is_bounded_per_message(ssti_kit):
    """A condition only decidable per message runs in the bounded runtime sandbox, which refuses
    a value repeated 10**8 times (with the template named; the line is not known at runtime)."""
    with pytest.raises(tplkit.SecurityError, match=BOUNDED) as info:
        ssti_kit.render("runtime-if-repeat", {"customer_name": "Olena"})
    assert info.value.template == "runtime-if-repeat"


def test_printing_a_method_of_a_value_is_refused_per_message(ssti_kit):
    """``{{ customer_name.upper }}`` (no parentheses) is an error naming the template, never
    a ``<built-in method … at 0x…>`` in the email; the runtime fast path refuses it too."""
    with pytest.raises(tplkit.TemplateSourceError, match="prints a function") as info:
        ssti_kit.render("runtime-print-method", {"customer_name": "Olena"})
    assert info.value.template == "runtime-print-method"
    assert not any(leak in str(info.value) for leak in LEAKS)


def test_hostile_templates_do_not_stop_the_others(ssti_kit):
    """After every payload has failed, a built-in template of the same kit still renders."""
    for name in PAYLOADS:
        with pytest.raises(tplkit.TplkitError):
            ssti_kit.render(name, {"customer_name": "Olena"})
    email = ssti_kit.render("acknowledgement", ssti_kit.template("acknowledgement").sample)
    assert "Olena" in email.text


def test_build_and_runtime_environments_are_immutable_sandboxes(kit):
    """The build environment the public API exposes is Jinja's immutable sandbox."""
    assert isinstance(kit.environment("en"), ImmutableSandboxedEnvironment)
    assert "lipsum" not in kit.environment("en").globals


def test_catalog_payloads_render_literally():
    """A msgstr holding Jinja syntax, sandbox escapes and forged slot tokens is shown as text."""
    kit = tplkit.Kit(HOSTILE / "catalog")
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample_for("uk"), locale="uk")
    first = email.text.splitlines()[0]
    assert first.startswith("{{ 7*7 }} {{ ''.__class__.__mro__ }} {% raw %} TPLSLOT0X TPLSLOT999X")
    assert "{% endraw %}{{ cycler.__init__.__globals__ }} З повагою," in email.text
    assert "{{ 7*7 }}" in email.html and "TPLSLOT0X" in email.html
    assert "49" not in first
    assert not any(leak in email.html + email.text for leak in LEAKS)


def test_catalog_text_that_cannot_be_filled_in_names_the_catalog():
    """A msgstr with a stray % or an unknown %(name)s is a clear error naming the catalog file
    and the template line using the message, in that locale only."""
    kit = tplkit.Kit(HOSTILE / "catalog")
    sample = kit.template("acknowledgement").sample
    with pytest.raises(tplkit.TemplateSourceError) as info:
        kit.render("acknowledgement", sample, locale="de")
    err = info.value
    assert (err.locale, err.line) == ("de", 9) and err.file.endswith("acknowledgement/body.mjml")
    assert "the de text of 'Hi %(name)s,' cannot be filled in" in err.message
    assert str(HOSTILE / "catalog" / "locales" / "de" / "LC_MESSAGES" / "tplkit.po") in err.message
    assert kit.render("acknowledgement", sample, locale="en").locale == "en"


@pytest.mark.parametrize("value", ["{{ 7*7 }}", "{% raw %}x", "{% endraw %}", "TPLSLOT0X", "{# c #}",
                                   "${7*7}", "%(name)s", "{0.__class__}"])
def test_template_syntax_in_values_renders_literally(kit, value):
    """A customer-supplied value that looks like template syntax is shown as it is, everywhere."""
    ctx = kit.template("acknowledgement").sample | {"customer_name": value, "ticket_id": value}
    email = kit.render("acknowledgement", ctx)
    assert value in email.subject
    assert value in email.text
    assert f"Hi {value}," in email.text


def test_values_are_escaped_in_html_text_and_attributes():
    """Markup in values is escaped in HTML text nodes and attributes, verbatim in the text part."""
    kit = tplkit.Kit(HOSTILE / "values")
    name = "\"><script>alert(1)</script>'"
    email = kit.render("attrs", {"customer_name": name, "profile_url": "https://x.example/p",
                                 "note": "<b onclick='x'>bold</b> & co"})
    assert "<script>" not in email.html and "<b onclick" not in email.html
    escaped = "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;"
    assert f'title="{escaped}"' in email.html                    # attribute
    assert f"Hi {escaped}," in email.html                         # text node
    assert "&lt;b onclick=&#39;x&#39;&gt;bold&lt;/b&gt; &amp; co" in email.html
    assert f"Hi {name}," in email.text                            # text part: never escaped
    assert "<b onclick='x'>bold</b> & co" in email.text
    assert email.subject == f"Hello {name}"


def test_values_in_url_queries_are_encoded():
    """with_query URL-encodes values (no breaking out of the query or the attribute)."""
    kit = tplkit.Kit(HOSTILE / "values")
    email = kit.render("attrs", {"customer_name": "A&B=C#D \"x\"", "profile_url": "https://x.example/p"})
    assert 'href="https://x.example/p?name=A%26B%3DC%23D+%22x%22"' in email.html
    assert "https://x.example/p?name=A%26B%3DC%23D+%22x%22" in email.text


def test_rating_links_encode_the_ticket(kit):
    """The built-in rating buttons carry an encoded ticket id in every link."""
    ctx = kit.template("feedback-request").sample | {"ticket_id": "SR 1&score=5#x"}
    email = kit.render("feedback-request", ctx)
    assert "ticket=SR+1%26score%3D5%23x&amp;score=1" in email.html
    assert "ticket=SR+1%26score%3D5%23x&score=1" in email.text
    assert not re.search(r'href="[^"]*score=5#x', email.html)


def test_with_query_keeps_query_and_fragment():
    """Parameters join an existing query and go before the fragment."""
    assert with_query("https://x.example/r?a=1#top", t="x y", n=None) == \
        "https://x.example/r?a=1&t=x+y&n=#top"
    assert with_query("https://x.example/r", t="ä/&") == "https://x.example/r?t=%C3%A4%2F%26"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
                                 "\tjavascript:alert(1)", "data:text/html,<script>x</script>",
                                 "vbscript:msgbox", "file:///etc/passwd", "//evil.example/x",
                                 "https:evil", "https://x.example/a\"onmouseover=\"x",
                                 "https://x.example/<script>", "java\nscript:alert(1)"])
def test_unsafe_urls_are_rejected(kit, url):
    """URL placeholders accept only https, http, mailto and tel, and nothing that breaks quotes."""
    assert_only_problem(kit, "acknowledgement", "request_url", url)


@pytest.mark.parametrize("url", ["https://x.example/r?a=1&b=2", "http://x.example", "mailto:help@x.example",
                                 "tel:+15550100", "HTTPS://X.EXAMPLE/it's"])
def test_safe_urls_are_accepted(kit, url):
    """Ordinary https/http/mailto/tel URLs pass and end up in the link."""
    ctx = kit.template("acknowledgement").sample | {"request_url": url}
    email = kit.render("acknowledgement", ctx)
    assert url in email.text


@pytest.mark.parametrize("address", ["a@b.example?bcc=evil@x.example", "a@b.example#x", "a@b",
                                     "a@b.example\nBcc: x@y.example", "a&cc=x@b.example"])
def test_email_placeholders_reject_mailto_tricks(kit, address):
    """An email placeholder (shown in a mailto: link) refuses queries, fragments and line breaks."""
    assert_only_problem(kit, "escalation", "contact_email", address)


@pytest.mark.parametrize("value", ["SR-1\r\nBcc: evil@x.example", "SR-1\rBcc: evil@x.example",
                                   "SR-1\x00", "SR-1\x1b[2J", "SR-1\u202eevil"])
def test_control_characters_in_values_are_rejected(kit, value):
    """CR, NUL, escape and bidi overrides in a value that reaches the subject are refused."""
    assert_only_problem(kit, "acknowledgement", "ticket_id", value)


# ticket numbers allow 16 characters: the payloads fit
@pytest.mark.parametrize("value", ["1\nBcc: evil@x.io", "1\u2028Bcc: evil@x.io", "1\u2029Bcc: evil@x.io"])
def test_line_breaks_in_values_never_reach_headers(kit, value):
    """A line break in a value is folded into the one-line subject; the message has no new header."""
    ctx = kit.template("acknowledgement").sample | {"ticket_id": value}
    email = kit.render("acknowledgement", ctx)
    assert "\n" not in email.subject and "\u2028" not in email.subject and "\u2029" not in email.subject
    raw = bytes(email.to_message(sender="Help <help@shop.example>", to="olena@example.com"))
    msg = message_from_bytes(raw, policy=default_policy)
    assert msg["Bcc"] is None
    assert "Bcc: evil@x.io" in msg["Subject"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(not line.lower().startswith(b"bcc:") for line in head.splitlines())


@pytest.mark.parametrize("kwargs", [
    {"to": "olena@example.com\r\nBcc: evil@x.example"},
    {"to": "olena@example.com\nBcc: evil@x.example"},
    {"to": "not an address"},
    {"to": ["olena@example.com", "evil"]},
    {"to": []},
    {"sender": "\"Help\r\nBcc: evil@x.example\" <help@shop.example>"},
    {"cc": "x@y.example\u2028Bcc: evil@x.example"},
    {"reply_to": "a@b.example, c@d.example"},
    {"in_reply_to": "<a@b.example>\r\nBcc: evil@x.example"},
    {"references": ["<a@b.example>", "<x@y.example> Bcc: evil"]},
    {"message_id": "<a@b.example>\nX: y"},
    {"headers": {"X-Ticket": "1\r\nBcc: evil@x.example"}},
    {"headers": {"X-Ticket": "1\x85Bcc: evil@x.example"}},
    {"headers": {"Bcc: evil@x.example\r\nX": "1"}},
])
def test_to_message_refuses_header_injection(kit, kwargs):
    """Addresses, message ids and extra headers with line breaks or bad syntax raise HeaderError."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    args = {"sender": "Help <help@shop.example>", "to": "olena@example.com"} | kwargs
    with pytest.raises(tplkit.HeaderError):
        email.to_message(**args)


def test_to_message_accepts_unicode_display_names(kit):
    """A valid non-ASCII display name is encoded, not refused."""
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    msg = email.to_message(sender="Служба підтримки <help@shop.example>", to="Олена <olena@example.com>")
    parsed = message_from_bytes(bytes(msg), policy=default_policy)
    assert parsed["To"].addresses[0].display_name == "Олена"
    assert parsed["To"].addresses[0].addr_spec == "olena@example.com"


def test_builtin_templates_never_concatenate_values_into_urls():
    """No built-in template builds a URL query by pasting a value (``{{ url }}?x={{ v }}``):
    values reach queries only through ``with_query``, which encodes them."""
    root = Path(tplkit.__file__).resolve().parent.parent / "templates"
    if not root.is_dir():   # installed wheel: the templates live inside the package
        root = Path(tplkit.__file__).resolve().parent / "templates"
    pasted = re.compile(r"""(?:href|src)="[^"]*\{\{[^"]*[?&][^"]*\{\{|[?&][\w-]+=\{\{""")
    files = sorted(root.rglob("*.mjml")) + sorted(root.rglob("*.txt"))
    assert files
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            assert not pasted.search(line), f"{f}:{n}: {line.strip()}"


def test_bounds_do_not_refuse_ordinary_large_numbers():
    """Large numbers as data (not as widths or counts) pass the sandbox's bounds."""
    from tplkit.sandbox import LimitedSandbox

    env = LimitedSandbox()
    src = "{{ '%d'|format(12345678) }} {{ 1500000|string }} {{ [2500000, 3]|max }} {{ 10**12 }}"
    assert env.from_string(src).render() == "12345678 1500000 2500000 1000000000000"


def _with_query_reference(url, **params):
    from urllib.parse import urlencode, urlsplit, urlunsplit

    parts = urlsplit(str(url))
    added = urlencode({k: '' if v is None else v for k, v in params.items()})
    return urlunsplit(parts._replace(query="&".join(q for q in (parts.query, added) if q)))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["https://x.example/r", "https://x.example/r?", "https://x.example/r?a=1#top",
                        "https://x.example", "http://x.example/p#", "mailto:a@b.example",
                        "https://x.example/r?a=b&c", "//x.example/p", "https://x.example/%7Ex"]),
       st.dictionaries(st.sampled_from(["t", "score", "ä k", "a&b"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=12), st.binary(max_size=4)),
                       max_size=3))
def test_with_query_equals_urlencode_and_urlunsplit(url, params):
    """The cached with_query builds exactly what urlencode + urlunsplit build."""
    assert with_query(url, **params) == _with_query_reference(url, **params)
