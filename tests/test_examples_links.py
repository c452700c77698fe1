"""The Flask and Django example endpoints record ratings only from verified links:
tampering, expiry, replay of another score, and RFC 8058 one-click unsubscribe."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

import tplkit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KEY = "example-test-key-0123456789"
UNSUBSCRIBE = "https://survey.northwind.example/unsubscribe"


def _load(name: str):
    """Import examples/<name>.py (registered: Django imports its URL configuration by name)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def button_links(kit: tplkit.Kit, **ctx) -> dict[int, str]:
    """score -> path and query of the rating buttons of a rendered feedback request."""
    sample = dict(kit.template("feedback-request").sample, **ctx)
    html = kit.render("feedback-request", sample).html
    out = {}
    for href in re.findall(r'class="tplkit-rating-link" href="([^"]+)"', html):
        url = urlsplit(href.replace("&amp;", "&"))
        out[int(dict(parse_qsl(url.query))["score"])] = f"{url.path}?{url.query}"
    return out


def edited(link: str, **changes: str) -> str:
    path, _, query = link.partition("?")
    params = dict(parse_qsl(query))
    params.update(changes)
    return f"{path}?{urlencode(params)}"


def unsubscribe_link(kit: tplkit.Kit) -> str:
    """The URI of the List-Unsubscribe header, read back with Python's email parser."""
    rendered = kit.render("feedback-request", kit.template("feedback-request").sample)
    url = kit.links.unsubscribe_url(UNSUBSCRIBE, {"email": "olena@example.com", "list": "feedback"})
    msg = email.message_from_bytes(bytes(rendered.to_message(
        "support@northwind.example", "olena@example.com", list_unsubscribe=url)), policy=email.policy.default)
    uri = urlsplit(msg["List-Unsubscribe"].strip("<>"))
    return f"{uri.path}?{uri.query}"


def payload(response) -> dict:
    """The JSON body of a Flask or a Django test response."""
    return json.loads(response.get_data() if hasattr(response, "get_data") else response.content)


_DJANGO: list = []   # Django is configured once per process: the example is loaded once


@pytest.fixture(params=["flask", "django"])
def client(request, monkeypatch):
    """(kit, a test client of the framework, the ratings it recorded, the unsubscribed set)."""
    if request.param == "flask":
        module = _load("flask_app")
        kit = tplkit.Kit(link_key=KEY)
        app = module.create_app(kit)
        return kit, app.test_client(), app.config["RATINGS"], app.config["UNSUBSCRIBED"]
    if not _DJANGO:
        monkeypatch.setenv("TPLKIT_LINK_KEY", KEY)   # the example's settings read it
        _DJANGO.append(_load("django_ratings"))
    module = _DJANGO[0]
    from django.test import Client

    module.RATINGS.clear()
    module.UNSUBSCRIBED.clear()
    return module.KIT, Client(), module.RATINGS, module.UNSUBSCRIBED


def test_verified_link_records_its_score(client):
    """Clicking the "4" button records 4 for the ticket."""
    kit, http, ratings, _ = client
    links = button_links(kit)
    assert sorted(links) == [1, 2, 3, 4, 5]
    response = http.get(links[4])
    assert response.status_code == 200 and ratings == {"SR-10482": 4}


def test_replay_with_another_score_refused(client):
    """The "5" link edited to score 1 is refused; the recorded rating stays."""
    kit, http, ratings, _ = client
    link = button_links(kit)[5]
    assert http.get(link).status_code == 200
    response = http.get(edited(link, score="1"))
    assert response.status_code == 400 and "signature does not match" in payload(response)["error"]
    assert http.get(edited(link, ticket="SR-99999")).status_code == 400
    assert ratings == {"SR-10482": 5}


def test_same_link_twice_counts_once_and_second_choice_replaces(client):
    """Clicking a link again keeps one rating; clicking another button changes it."""
    kit, http, ratings, _ = client
    links = button_links(kit)
    assert http.get(links[2]).status_code == 200 and http.get(links[2]).status_code == 200
    assert ratings == {"SR-10482": 2}
    assert http.get(links[3]).status_code == 200 and ratings == {"SR-10482": 3}


def test_expired_link_is_gone(client):
    """A link signed 31 days ago (30-day lifetime) answers 410 and records nothing."""
    kit, http, ratings, _ = client
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    url = kit.links.rating_links("https://survey.example/rate", "SR-1", [5], now=old)[0]
    parts = urlsplit(url)
    response = http.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 410 and "expired" in payload(response)["error"] and ratings == {}


def test_unsigned_link_refused(client, monkeypatch):
    """The plain links of a kit without a key do not count where a key is configured."""
    _, http, ratings, _ = client
    monkeypatch.delenv("TPLKIT_LINK_KEY", raising=False)
    plain = button_links(tplkit.Kit())[5]
    assert "sig=" not in plain
    assert http.get(plain).status_code == 400 and ratings == {}


def test_one_click_unsubscribe(client):
    """POST List-Unsubscribe=One-Click to the header's URI unsubscribes; edits and GETs do not."""
    kit, http, _, unsubscribed = client
    link = unsubscribe_link(kit)
    assert http.get(link).status_code == 405
    assert http.post(edited(link, email="someone@else.example"),
                     data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert http.post(link, data={"wrong": "body"}).status_code == 400
    response = http.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and unsubscribed == {("olena@example.com", "feedback")}
