"""The footer's social links reach the brand's profiles, and no email loads anything from a
third party by default (no share dialogs, no hotlinked icons, no web fonts)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
import pytest
from oracles import combinations

import tplkit

# every network MJML's mj-social knows (share mode or not), plus networks it does not know
MJML_NETWORKS = ["facebook", "twitter", "x", "google", "pinterest", "linkedin", "tumblr", "xing",
                 "github", "instagram", "web", "snapchat", "youtube", "vimeo", "medium",
                 "soundcloud", "dribbble"]
CUSTOM = {"mastodon": "Mastodon", "bluesky": "Bluesky", "ourforum": "Ourforum"}
SHARE = re.compile(r"sharer|intent/tweet|shareArticle|pinterest\.com/pin/create|tumblr\.com/widgets/share|"
                   r"xing\.com/app/user\?op=share|mailjet", re.IGNORECASE)


def _social(html: str) -> list[tuple[str, str, list[str]]]:
    """(label, href, icon srcs) of each footer social link."""
    tree = lxml.html.fromstring(html)
    return [(a.text_content().strip(), a.get("href"), [i.get("src") for i in a.iter("img")])
            for a in tree.xpath('//a[contains(concat(" ", @class, " "), " tplkit-social-link ")]')]


def _brand_project(tmp_path, **brand) -> tplkit.Kit:
    social = {n: f"https://{n}.example/northwind-{n}" for n in [*MJML_NETWORKS, *CUSTOM]}
    lines = ["[brand]", 'company_name = "Every Network Ltd"']
    brand = {"logo_url": "", **brand}   # unset keys keep the built-in values: no demo logo
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in brand.items()]
    lines += ["[brand.social]"] + [f'{n} = "{u}"' for n, u in social.items()]
    (tmp_path / "tplkit.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tplkit.Kit(tmp_path)


def test_builtin_emails_link_to_the_brand_profiles(kit):
    """Every built-in combination: footer links are exactly brand.social's URLs, in HTML and text."""
    profiles = list(kit.brand.social.items())
    for name, locale, sample, ctx in combinations(kit):
        email = kit.render(name, ctx, locale=locale)
        links = _social(email.html)
        assert [href for _, href, _ in links] == [url for _, url in profiles], (name, locale, sample)
        assert [icons for *_, icons in links] == [[]] * len(profiles)   # no icon location configured
        assert not SHARE.search(email.html) and not SHARE.search(email.text)
        for (label, _href, _), (_, url) in zip(links, profiles, strict=True):
            assert f"{label}: {url}" in email.text.replace("\u2066", "").replace("\u2069", "")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_mjml_network_and_custom_ones_reach_the_profile(tmp_path, locale):
    """A brand listing all of MJML's networks and unknown ones gets plain profile links."""
    kit = _brand_project(tmp_path)
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample_for(locale), locale=locale)
    links = _social(email.html)
    assert [href for _, href, _ in links] == [f"https://{n}.example/northwind-{n}"
                                              for n in [*MJML_NETWORKS, *CUSTOM]]
    labels = dict(zip([*MJML_NETWORKS, *CUSTOM], [label for label, *_ in links], strict=True))
    assert (labels["linkedin"], labels["x"], labels["github"], labels["ourforum"]) == \
        ("LinkedIn", "X", "GitHub", "Ourforum")
    text = email.text.replace("\u2066", "").replace("\u2069", "")
    for network, label in labels.items():
        assert f"{label}: https://{network}.example/northwind-{network}\n" in text + "\n"
    assert not SHARE.search(email.html)
    assert "<img" not in lxml.html.tostring(lxml.html.fromstring(email.html).xpath(
        '//*[contains(@class, "tplkit-social")]')[0]).decode()


def test_icons_come_from_the_brand_location(tmp_path):
    """brand.social_icons gives each link an icon from the brand's own host, alt="" beside the label."""
    kit = _brand_project(tmp_path, social_icons="https://cdn.every.example/icons/{network}.png")
    email = kit.render("acknowledgement", kit.template("acknowledgement").sample)
    for label, href, icons in _social(email.html):
        network = urlsplit(href).hostname.split(".")[0]
        assert icons == [f"https://cdn.every.example/icons/{network}.png"] and label


def _external_loads(html: str) -> set[str]:
    """Hosts the HTML makes a client fetch on open: src attributes, stylesheets, @import, url()."""
    tree = lxml.html.fromstring(html)
    urls = [el.get("src") for el in tree.iter() if isinstance(el.tag, str) and el.get("src")]
    urls += [el.get("href") for el in tree.iter("link")]
    urls += re.findall(r"@import\s+url\(([^)]+)\)", html) + re.findall(r"url\(['\"]?(https?:[^)'\"]+)", html)
    return {urlsplit(u.strip()).hostname for u in urls}


def test_no_third_party_request_and_no_web_font_by_default(kit):
    """The only thing any built-in email loads is the brand's logo; no font, no icon host."""
    logo_host = urlsplit(kit.brand.logo_url).hostname
    for name, locale, _, ctx in combinations(kit):
        html = kit.render(name, ctx, locale=locale).html
        assert _external_loads(html) == {logo_host}, (name, locale)
        assert "<link" not in html and "@import" not in html and "googleapis" not in html


def test_a_configured_web_font_is_the_one_font_request(tmp_path):
    """brand.web_font_url adds exactly that stylesheet, with its family first in the stack."""
    kit = _brand_project(tmp_path, font_family="Inter, Arial, sans-serif",
                         web_font_url="https://fonts.every.example/inter.css")
    html = kit.render("acknowledgement", kit.template("acknowledgement").sample).html
    assert _external_loads(html) == {"fonts.every.example"}   # no logo_url: the name, no image
    assert "font-family:Inter, Arial, sans-serif" in html
