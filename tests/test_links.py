"""Signed one-click links: signing, verification (tampering, expiry, replay of another
score, purpose, key rotation), the feedback request's rating buttons, and the
List-Unsubscribe headers as Python's email parser reads them."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

import tplkit
from tplkit import links
from tplkit.errors import LinkError, LinkExpiredError, LinkSignatureError

FIX = Path(__file__).parent / "fixtures" / "hours"
KEY = "test-key-0123456789abcdef"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
RATE = "https://survey.example/rate"


def edit(url: str, **changes: str) -> str:
    """``url`` with query parameters replaced (what someone editing a link would do)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_sign_and_verify_round_trip():
    """A signed link verifies and gives back exactly its parameters."""
    url = links.sign(RATE, KEY, {"ticket": "SR-1", "score": 5}, purpose="rating", now=NOW)
    assert url.startswith(RATE + "?ticket=SR-1&score=5&exp=")
    assert links.verify(url, KEY, purpose="rating", now=NOW) == {"ticket": "SR-1", "score": "5"}


def test_replay_with_another_score_is_refused():
    """The link for score 5 edited to score 1 (or the ticket edited) no longer verifies."""
    url = links.sign(RATE, KEY, {"ticket": "SR-1", "score": 5}, purpose="rating", now=NOW)
    for changed in (edit(url, score="1"), edit(url, ticket="SR-2")):
        with pytest.raises(LinkSignatureError, match="signature does not match"):
            links.verify(changed, KEY, purpose="rating", now=NOW)


def test_extended_expiry_or_missing_signature_refused():
    """Pushing exp later breaks the signature; a link without sig is not signed."""
    url = links.sign(RATE, KEY, {"ticket": "SR-1", "score": 5}, now=NOW)
    exp = int(dict(parse_qsl(urlsplit(url).query))["exp"])
    with pytest.raises(LinkSignatureError):
        links.verify(edit(url, exp=str(exp + 86400 * 365)), KEY, now=NOW)
    with pytest.raises(LinkSignatureError, match="not signed"):
        links.verify(RATE + "?ticket=SR-1&score=5", KEY, now=NOW)
    with pytest.raises(LinkSignatureError, match="two signatures"):
        links.verify(url + "&sig=x", KEY, now=NOW)


def test_expired_link_refused():
    """A link is good until its expiry and refused from then on, as LinkExpiredError."""
    url = links.sign(RATE, KEY, {"ticket": "SR-1"}, expires=dt.timedelta(days=30), now=NOW)
    assert links.verify(url, KEY, now=NOW + dt.timedelta(days=29, hours=23))
    with pytest.raises(LinkExpiredError, match="expired at 2026-12-20T12:00:00"):
        links.verify(url, KEY, now=NOW + dt.timedelta(days=30))
    assert issubclass(LinkExpiredError, tplkit.TplkitError)


def test_purpose_and_key_are_bound():
    """A rating link is no unsubscribe link, and another key does not verify it."""
    url = links.sign(RATE, KEY, {"ticket": "SR-1", "score": 5}, purpose="rating", now=NOW)
    with pytest.raises(LinkSignatureError):
        links.verify(url, KEY, purpose="unsubscribe", now=NOW)
    with pytest.raises(LinkSignatureError):
        links.verify(url, "another-key-0123456789abcdef", purpose="rating", now=NOW)


def test_key_rotation_and_reordered_query():
    """Any of several keys verifies; a proxy reordering the query does not break the link."""
    old = links.sign(RATE, KEY, {"ticket": "SR-1", "score": 5}, now=NOW)
    keys = ["new-key-0123456789abcdef0", KEY]
    assert links.verify(old, keys, now=NOW)["score"] == "5"
    query = parse_qsl(urlsplit(old).query)
    assert links.verify("?" + urlencode(list(reversed(query))), keys, now=NOW)["ticket"] == "SR-1"


def test_parameters_of_the_base_url_are_signed_too():
    """A query already in the base URL (?src=email) is covered by the signature."""
    url = links.sign(RATE + "?src=email", KEY, {"score": 3}, now=NOW)
    assert links.verify(url, KEY, now=NOW) == {"src": "email", "score": "3"}
    with pytest.raises(LinkSignatureError):
        links.verify(edit(url, src="web"), KEY, now=NOW)


def test_bad_keys_and_links_refused():
    """Short keys, unsafe schemes and reserved or repeated parameters are LinkErrors."""
    with pytest.raises(LinkError, match="at least 16 bytes"):
        links.sign(RATE, "short", {})
    with pytest.raises(LinkError, match="only http"):
        links.sign("javascript:alert(1)", KEY, {})
    with pytest.raises(LinkError, match="reserved"):
        links.sign(RATE, KEY, {"sig": "x"})
    with pytest.raises(LinkError, match="repeat"):
        links.sign(RATE + "?score=1", KEY, {"score": 2})


def test_key_in_config_file_refused():
    """A signing key written into tplkit.toml is a ConfigError, not a key."""
    with pytest.raises(tplkit.ConfigError, match="a signing key never goes in a config file") as err:
        _ = tplkit.Kit(FIX / "key-in-config").links
    assert err.value.file.endswith("key-in-config/tplkit.toml")


def test_kit_key_from_environment(monkeypatch):
    """[links] key_env names the variable holding the key; max_age_days sets the lifetime."""
    monkeypatch.delenv("ACME_LINK_KEY", raising=False)
    assert tplkit.Kit(FIX / "shop").links is None
    monkeypatch.setenv("ACME_LINK_KEY", KEY)
    signer = tplkit.Kit(FIX / "shop").links
    assert signer.max_age == dt.timedelta(days=7) and KEY not in repr(signer)
    url = signer.sign(RATE, {"score": 1}, now=NOW)
    assert links.verify(url, KEY, now=NOW + dt.timedelta(days=6)) == {"score": "1"}
    with pytest.raises(LinkExpiredError):
        links.verify(url, KEY, now=NOW + dt.timedelta(days=7))


# --- the feedback request --------------------------------------------------------------------

class _Links(HTMLParser):
    """The rating buttons' hrefs, as an HTML parser reads them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.rating: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "tplkit-rating-link" in (a.get("class") or ""):
            self._href = a["href"]

    def handle_data(self, data):
        if self._href is not None and data.strip():
            self.rating.append((data.strip(), self._href))
            self._href = None


def rating_links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.rating


@pytest.mark.parametrize("sample,scores", [("default", range(1, 6)), ("nps-order", range(11))])
def test_feedback_buttons_carry_signed_links(sample, scores):
    """With a key, each button's link verifies as a rating of exactly its own score."""
    kit = tplkit.Kit(link_key=KEY)
    ctx = kit.template("feedback-request").samples[sample]
    email_ = kit.render("feedback-request", ctx, locale="de")
    found = rating_links(email_.html)
    assert [label for label, _ in found] == [str(n) for n in scores]
    for label, href in found:
        params = links.verify(href, KEY, purpose="rating")
        assert params["score"] == label and params["ticket"] == ctx["ticket_id"]
        assert href in email_.text     # the text part carries the same signed link


def test_feedback_buttons_unchanged_without_key(kit):
    """Without a key the buttons keep their plain ?ticket=...&score=N links."""
    email_ = kit.render("feedback-request", kit.template("feedback-request").sample)
    hrefs = [href for _, href in rating_links(email_.html)]
    assert hrefs == [f"https://survey.northwind.example/rate?ticket=SR-10482&score={n}" for n in range(1, 6)]


def test_feedback_signed_links_equal_in_naive_pipeline():
    """Given rating_links, the compiled and the naive pipelines print the same links."""
    kit = tplkit.Kit(link_key=KEY)
    ctx = dict(kit.template("feedback-request").sample)
    ctx["rating_links"] = kit.links.rating_links(ctx["rating_url"], ctx["ticket_id"], range(1, 6), now=NOW)
    fast, naive = kit.render("feedback-request", ctx), kit.render_naive("feedback-request", ctx)
    assert rating_links(fast.html) == rating_links(naive.html)
    assert [h for _, h in rating_links(fast.html)] == ctx["rating_links"]


def test_rating_links_need_one_link_per_score(kit):
    """Four links for a 1-5 scale (or five for NPS 0-10) are a placeholder problem, not a crash."""
    ctx = dict(kit.template("feedback-request").sample, rating_links=["https://x.example/r"] * 4)
    with pytest.raises(tplkit.PlaceholderError, match="needs 5 links, one per score from 1 to 5, got 4"):
        kit.render("feedback-request", ctx)
    ctx.update(rating_scale="nps", rating_links=["https://x.example/r"] * 5)
    with pytest.raises(tplkit.PlaceholderError, match="needs 11 links, one per score from 0 to 10, got 5"):
        kit.render("feedback-request", ctx)


def test_rating_links_must_be_safe_urls(kit):
    """rating_links passed by the caller are validated like any url (no javascript:)."""
    ctx = dict(kit.template("feedback-request").sample, rating_links=["javascript:alert(1)"] * 5)
    with pytest.raises(tplkit.PlaceholderError) as err:
        kit.render("feedback-request", ctx)
    # each bad item is a problem at its path (rating_links[0] ... rating_links[4])
    assert [p.name for p in err.value.problems] == [f"rating_links[{i}]" for i in range(5)]
    assert "javascript:" in err.value.problems[0].message


# --- List-Unsubscribe ----------------------------------------------------------------------

def parsed(msg) -> email.message.EmailMessage:
    return email.message_from_bytes(bytes(msg), policy=email.policy.default)


def test_list_unsubscribe_one_click_headers_parse():
    """The signed URL and a mailto survive the wire as RFC 8058 headers, unencoded."""
    kit = tplkit.Kit(link_key=KEY)
    rendered = kit.render("feedback-request", kit.template("feedback-request").sample)
    url = kit.links.unsubscribe_url("https://survey.example/unsubscribe",
                                    {"email": "olena@example.com", "list": "feedback"})
    msg = parsed(rendered.to_message("support@northwind.example", "olena@example.com",
                                     list_unsubscribe=[url, "mailto:leave@northwind.example"]))
    assert msg["List-Unsubscribe"] == f"<{url}>, <mailto:leave@northwind.example>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    uri = msg["List-Unsubscribe"].split(",")[0].strip()[1:-1]
    assert kit.links.verify(uri, purpose="unsubscribe") == {"email": "olena@example.com", "list": "feedback"}
    assert b"=?utf-8?" not in bytes(rendered.to_message("a@b.example", "c@d.example", list_unsubscribe=url))
    assert msg.get_body(("plain",)).get_content().startswith("Hi Olena,")


def test_list_unsubscribe_without_one_click():
    """one_click=False gives List-Unsubscribe alone (a mailto is then enough)."""
    rendered = tplkit.Kit().render("feedback-request", tplkit.Kit().template("feedback-request").sample)
    msg = parsed(rendered.to_message("a@b.example", "c@d.example",
                                     list_unsubscribe="mailto:leave@b.example", one_click=False))
    assert msg["List-Unsubscribe"] == "<mailto:leave@b.example>" and "List-Unsubscribe-Post" not in msg
    assert "List-Unsubscribe" not in parsed(rendered.to_message("a@b.example", "c@d.example"))


@pytest.mark.parametrize("uris,message", [
    ("mailto:leave@b.example", "needs an https URL"),
    ("javascript:alert(1)", r"not an http\(s\) or mailto URI"),
    ("https://x.example/u>, <https://evil.example", r"not an http\(s\) or mailto URI"),
    ("https://x.example/u\r\nBcc: victim@example.com", "line break"),
])
def test_list_unsubscribe_refuses_unsafe_values(uris, message):
    """One-click without https, other schemes, <> breakouts and header injection are HeaderErrors."""
    rendered = tplkit.Kit().render("feedback-request", tplkit.Kit().template("feedback-request").sample)
    with pytest.raises(tplkit.HeaderError, match=message):
        rendered.to_message("a@b.example", "c@d.example", list_unsubscribe=uris)
