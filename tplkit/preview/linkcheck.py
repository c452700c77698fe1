"""The *Links & images* panel: every link and image of a rendered email that has a problem.

The checks lint already makes on rendered emails are reused, per element, from
:mod:`tplkit.lint.rendered` (unsafe, empty, ``#`` or ``http:`` URLs; images without alt text;
"click here" link text), and each element's template line comes from lint's source map
(:func:`tplkit.lint.located.locate`). The panel adds what only a reviewer needs to see:
malformed ``mailto:``/``tel:`` links, images without a width or height, URLs that look like
placeholders (``example.com``, ``localhost``, ``TODO``) and URLs repeated under different
labels. Nothing is fetched: no URL is requested, so a dead link is not detected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any
from urllib.parse import unquote, urlsplit

from ..lint.document import Link, parse_html
from ..lint.html_rules import generic_text_problem, missing_alt, scheme_problem
from ..lint.located import locate

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# hosts reserved for documentation and tests (RFC 2606, RFC 6761) and loopback
_PLACEHOLDER_HOSTS = re.compile(
    r"(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$|^127\.|^0\.0\.0\.0$|^\[::1\]$")
_PLACEHOLDER_WORDS = re.compile(r"todo|fixme|xxx|placeholder|lorem|your[-_]?(domain|site|link|url)",
                                re.IGNORECASE)
_TEL = re.compile(r"\+?[0-9()./\- ]+")


@dataclass
class Problem:
    """One problem of an element: ``error``, ``warning`` or ``info`` and what it is."""

    severity: str
    message: str


@dataclass
class Element:
    """A link or image of the email, where the template writes it, and its problems."""

    kind: str                         # "link" or "image"
    url: str
    label: str                        # a link's text, an image's alt text
    file: str | None = None
    line: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def severity(self) -> str:
        """The worst severity among the problems."""
        return min((p.severity for p in self.problems), key=SEVERITY_ORDER.__getitem__, default="info")


@dataclass
class Report:
    """What the panel shows: the elements with problems, and how many were checked."""

    elements: list[Element]
    links: int
    images: int


def mailto_problem(href: str) -> str | None:
    """A ``mailto:`` link whose addresses do not parse as addresses (``mailto:support@``)."""
    to = unquote(href.split(":", 1)[1].split("?", 1)[0]).strip()
    if not to:
        return "mailto: link without an address"
    for addr in to.split(","):
        try:
            parsed = Address(addr_spec=addr.strip())
        except (HeaderParseError, ValueError, IndexError):
            return f"mailto: address {addr.strip()!r} is not a valid email address"
        if not parsed.domain or "." not in parsed.domain:
            return f"mailto: address {addr.strip()!r} has no full domain"
    return None


def tel_problem(href: str) -> str | None:
    """A ``tel:`` link that is not a phone number (RFC 3966: digits, ``+`` and separators)."""
    number = unquote(href.split(":", 1)[1]).split(";", 1)[0].strip()
    digits = sum(c.isdigit() for c in number)
    if not _TEL.fullmatch(number) or digits < 3:
        return f"tel: link {number!r} is not a phone number (digits, + and - ( ) . only)"
    if not number.startswith("+"):
        return f"tel: number {number!r} has no country code (+…): it is dialled as a local number"
    return None


def placeholder_problem(url: str) -> str | None:
    """A URL that looks like a placeholder: a documentation or loopback host, or TODO-like words."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    if host and _PLACEHOLDER_HOSTS.search(host):
        return f"{host} looks like a placeholder, not the real site"
    if _PLACEHOLDER_WORDS.search(url):
        return f"the URL looks like a placeholder ({_PLACEHOLDER_WORDS.search(url).group(0)!r})"  # type: ignore[union-attr]
    return None


def _size_problem(img: dict[str, str | None]) -> str | None:
    """An image without a pixel width and height: blocked or slow images then collapse or jump."""
    style = img.get("style") or ""
    missing = [d for d in ("width", "height")
               if not re.fullmatch(r"\s*\d+(\.\d+)?(px)?\s*", img.get(d) or "")
               and not re.search(rf"(?<![-\w]){d}\s*:\s*\d+(\.\d+)?px", style)]
    if missing:
        return (f"image has no pixel {' or '.join(missing)}: with images off (or while they load) "
                f"its box has no size")
    return None


def _link_problems(link: Link, locale: str) -> list[Problem]:
    out = []
    scheme = scheme_problem(link.href)
    if scheme:
        out.append(Problem(scheme[1], scheme[0]))
    href = link.href.strip()
    kind = href.split(":", 1)[0].lower() if ":" in href else ""
    if kind == "mailto":
        msg = mailto_problem(href)
        if msg:
            out.append(Problem("error", msg))
    elif kind == "tel":
        msg = tel_problem(href)
        if msg:
            out.append(Problem("error" if "not a phone" in msg else "warning", msg))
    elif kind in ("http", "https"):
        msg = placeholder_problem(href)
        if msg:
            out.append(Problem("warning", msg))
    generic = generic_text_problem(link, locale)
    if generic:
        out.append(Problem("warning", generic))
    return out


def _image_problems(img: dict[str, str | None]) -> list[Problem]:
    out = []
    src = img.get("src") or ""
    scheme = scheme_problem(src, "an image", "src")
    if scheme:
        out.append(Problem(scheme[1], scheme[0]))
    for msg, severity in ((missing_alt(img), "error"), (_size_problem(img), "warning"),
                          (placeholder_problem(src) if src.startswith("http") else None, "warning")):
        if msg:
            out.append(Problem(severity, msg))
    return out


def check(kit: Any, info: Any, locale: str, values: dict | None, html: str) -> Report:
    """Check the links and images of ``html`` (``info`` rendered in ``locale`` with ``values``).

    Template lines come from lint's source map when the email can be rebuilt from ``values``
    (None: the lines are left out)."""
    doc = parse_html(html)
    located = locate(kit, info, locale, values) if values is not None else None
    elements: list[Element] = []
    labels: dict[str, set[str]] = {}    # URL -> the labels it is linked with
    targets: dict[str, set[str]] = {}   # label -> the URLs it links to
    for link in doc.links:
        label = " ".join(link.text.split())
        labels.setdefault(link.href.strip(), set()).add(label)
        if label:
            targets.setdefault(label.lower(), set()).add(link.href.strip())
    for i, link in enumerate(doc.links):
        label = " ".join(link.text.split())
        el = Element("link", link.href, label, problems=_link_problems(link, locale))
        others = labels.get(link.href.strip(), set()) - {label, ""}
        if link.href.strip() not in ("", "#") and label and others:
            el.problems.append(Problem("info", f"the same URL is also linked as "
                                               f"{', '.join(repr(o) for o in sorted(others))}"))
        if label and len(targets.get(label.lower(), ())) > 1:
            el.problems.append(Problem("warning", f"the same text {label!r} links to "
                                                  f"{len(targets[label.lower()])} different URLs"))
        if el.problems:
            pos = located.link(i, "href") if located is not None else None
            el.file, el.line = (pos.file, pos.line) if pos is not None else (None, None)
            elements.append(el)
    for i, img in enumerate(doc.images):
        el = Element("image", img.get("src") or "", img.get("alt") or "",
                     problems=_image_problems(img))
        if el.problems:
            pos = located.image(i) if located is not None else None
            el.file, el.line = (pos.file, pos.line) if pos is not None else (None, None)
            elements.append(el)
    elements.sort(key=lambda e: SEVERITY_ORDER[e.severity])
    return Report(elements, len(doc.links), len(doc.images))
