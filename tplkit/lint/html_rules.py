"""Rendered rules on the HTML and how mail clients and readers meet it: Gmail clipping, image
alt text, ``<html lang dir>``, link schemes, button contrast, generic link text, the text
part's links and the brand's contacts. Each is ``(RenderContext) -> Iterable[Hit]``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .. import formatting
from .document import Link
from .model import Hit
from .rendered import RenderContext

GMAIL_CLIP = 102 * 1024  # Gmail hides everything after ~102 KB of HTML behind "View entire message"
GMAIL_WARN = 90 * 1024
MIN_CONTRAST = 4.5      # WCAG 2.x AA for normal-size text


def gmail_clipping(ctx: RenderContext) -> Iterable[Hit]:
    """HTML over 102 KB is clipped by Gmail (an error); over 90 KB is close to it (a warning)."""
    size = len(ctx.email.html.encode("utf-8"))
    if size > GMAIL_WARN:
        over = size > GMAIL_CLIP
        yield Hit(f"the HTML is {size / 1024:.1f} KB; Gmail clips messages over 102 KB"
                  + ("" if over else " (keep a margin)"), ctx.part_file("html"),
                  severity="error" if over else "warning")


def missing_alt(img: dict[str, str | None]) -> str | None:
    """The problem of an image without an alt attribute, else None."""
    if "alt" in img:
        return None
    name = (img.get("src") or "").rsplit("/", 1)[-1][:60]
    return f"image {name!r} has no alt attribute (alt=\"\" if decorative)"


def image_alt(ctx: RenderContext) -> Iterable[Hit]:
    """An image without an alt attribute (use alt="" for decorative images)."""
    for i, img in enumerate(ctx.doc.images):
        msg = missing_alt(img)
        if msg:
            yield Hit(msg, **ctx.place(ctx.where("image", i), "html"))


def lang_dir(ctx: RenderContext) -> Iterable[Hit]:
    """``<html lang dir>`` must match the locale (screen readers and RTL layout depend on it)."""
    attrs = ctx.doc.html_attrs
    want_lang, want_dir = formatting.html_lang(ctx.locale), formatting.text_direction(ctx.locale)
    lang = attrs.get("lang", "")
    if lang.replace("_", "-").split("-")[0].lower() != want_lang.split("-")[0].lower():
        yield Hit(f'<html lang="{lang}"> does not match the locale (write lang="{{{{ lang }}}}", '
                  f'which each locale fills in)', **ctx.place(ctx.where("root", "lang"), "html"))
    if attrs.get("dir", "ltr").lower() != want_dir:
        yield Hit(f'<html dir="{attrs.get("dir", "")}"> does not match the locale\'s direction '
                  f'{want_dir} (write dir="{{{{ dir }}}}")',
                  **ctx.place(ctx.where("root", "dir"), "html"))


def scheme_problem(href: str, what: str = "a link", attr: str = "href") -> tuple[str, str] | None:
    """``(message, severity)`` for an empty or ``#`` URL or an unsafe scheme (errors) or plain
    ``http:`` (a warning); None for a URL without such a problem."""
    href = href.strip()
    scheme = href.split(":", 1)[0].lower() if ":" in href else ""
    # the label is left out of the message: it differs per locale, the defect does not
    if not href or href == "#":
        return f"{what} has an empty {attr} {href!r}", "error"
    if scheme in ("javascript", "data", "vbscript"):
        return f"{what} uses the unsafe {scheme}: scheme", "error"
    if scheme == "http":
        return f"{what} uses http: ({href[:60]}); use https:", "warning"
    return None


def link_scheme(ctx: RenderContext) -> Iterable[Hit]:
    """Links to ``javascript:``, ``data:``, empty or ``#`` are errors; plain ``http:`` a warning."""
    for i, link in enumerate(ctx.doc.links):
        problem = scheme_problem(link.href)
        if problem:
            yield Hit(problem[0], severity=problem[1],
                      **ctx.place(ctx.where("link", i, "href"), "html"))


_NAMED = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "blue": "#0000ff",
          "green": "#008000", "gray": "#808080", "grey": "#808080", "yellow": "#ffff00",
          "orange": "#ffa500"}


def parse_color(value: str | None) -> tuple[float, float, float] | None:
    """#rgb, #rrggbb, rgb(r, g, b) or a few colour names as 0..255 floats."""
    if not value:
        return None
    v = value.strip().lower().split()[0] if value.strip() else ""
    v = _NAMED.get(v, v)
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", v)
    if m:
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return tuple(float(int(h[i:i + 2], 16)) for i in (0, 2, 4))  # type: ignore[return-value]
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,[^)]*)?\)", value.strip().lower())
    if m:
        return tuple(float(x) for x in m.groups())  # type: ignore[return-value]
    return None


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2.x contrast ratio between two sRGB colours."""
    def lum(c: tuple[float, float, float]) -> float:
        ch = [x / 255 for x in c]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _buttons(ctx: RenderContext) -> list[tuple[int, Link]]:
    """Links drawn as buttons (with a background), with their index among all links."""
    return [(i, link) for i, link in enumerate(ctx.doc.links) if link.background]


def button_contrast(ctx: RenderContext) -> Iterable[Hit]:
    """Button text against its background below WCAG AA (4.5:1)."""
    seen = set()
    for i, link in _buttons(ctx):
        fg, bg = parse_color(link.color), parse_color(link.background)
        if fg is None or bg is None or (fg, bg) in seen:
            continue
        seen.add((fg, bg))
        ratio = contrast_ratio(fg, bg)
        if ratio < MIN_CONTRAST:
            yield Hit(f"button text {link.color} on {link.background} has contrast {ratio:.2f}:1 "
                      f"(WCAG AA needs {MIN_CONTRAST}:1)",
                      **ctx.place(ctx.where("link", i, "background-color", "color"), "html"))


GENERIC_LINK_TEXT = {
    "en": {"click here", "here", "click", "read more", "more", "link", "this link", "learn more"},
    "de": {"hier klicken", "hier", "klicken sie hier", "mehr", "weiter", "link"},
    "fr": {"cliquez ici", "ici", "en savoir plus", "plus", "lien"},
    "es": {"haga clic aquí", "haz clic aquí", "aquí", "más", "enlace"},
    "it": {"clicca qui", "qui", "di più", "link"},
    "pt": {"clique aqui", "aqui", "mais", "link"},
    "nl": {"klik hier", "hier", "meer", "link"},
    "pl": {"kliknij tutaj", "tutaj", "tu", "więcej", "link"},
    "ru": {"нажмите здесь", "здесь", "тут", "по ссылке", "ссылка", "подробнее"},
    "uk": {"натисніть тут", "тут", "тут.", "за посиланням", "посилання", "детальніше"},
    "tr": {"buraya tıklayın", "burada", "tıklayın", "daha fazla"},
    "ar": {"انقر هنا", "اضغط هنا", "هنا", "المزيد", "رابط"},
}


def generic_text_problem(link: Link, locale: str) -> str | None:
    """The problem of a link whose text ("click here") does not say where it leads, else None."""
    generic = GENERIC_LINK_TEXT.get(locale.split("_")[0], set()) | GENERIC_LINK_TEXT["en"]
    label = " ".join(link.text.split())
    if label.lower().strip(" .!:…»›→") in generic:
        return f"link text {label!r} does not say where it leads"
    return None


def generic_link_text(ctx: RenderContext) -> Iterable[Hit]:
    """Link text such as "click here" says nothing out of context (and to screen readers)."""
    for i, link in enumerate(ctx.doc.links):
        msg = generic_text_problem(link, ctx.locale)
        if msg:
            yield Hit(msg, **ctx.place(ctx.where("link_text", i), "html"))


def text_part(ctx: RenderContext) -> Iterable[Hit]:
    """The plain-text part is missing, or lacks a call-to-action URL that the HTML has."""
    text = ctx.email.text
    if not text.strip():
        yield Hit("the plain-text part is empty", ctx.part_file("text"))
        return
    written = ctx.info.has_text_body()
    for i, link in _buttons(ctx):
        if link.href.startswith(("http:", "https:")) and link.href not in text:
            label = " ".join(link.text.split())
            # a written text part lacks it; a derived one lost the button: point at the button
            where = {"file": ctx.part_file("text")} if written else \
                ctx.place(ctx.where("link", i), "html")
            yield Hit(f"the button {label!r} links to {link.href[:80]} but the text part does not "
                      f"have that URL", **where)


def contacts_missing(ctx: RenderContext) -> Iterable[Hit]:
    """The brand's phone or email is missing from the HTML or the text part."""
    brand = ctx.kit.brand
    for attr in ("phone", "email"):
        value = getattr(brand, attr, "")
        if not value:
            continue
        for part, text in (("html", ctx.doc.visible), ("text", ctx.email.text)):
            if value not in text:
                yield Hit(f"the brand {attr} {value!r} is missing from the {part} part",
                          ctx.part_file(part))
