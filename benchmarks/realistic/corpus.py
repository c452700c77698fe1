"""The realistic corpus: one order-update email, 37 placeholders (one a list), 6 conditions, 3 locales,
2,000 seeded contexts, and the same content built three ways.

``source/`` holds the one source of truth: ``body.mjml``, ``body.txt``, ``subject.txt``,
``preheader.txt`` (Jinja with ``{% trans %}`` blocks), ``template.toml`` (the placeholders)
and ``catalog.json`` (the de and uk translations). From it:

* :func:`make_tplkit_project` writes a tplkit project (``.po`` catalogs from catalog.json);
* :func:`jinja_templates` builds what a plain Jinja user would: the MJML through
  mjml-python and premailer once (tags protected), then Jinja's i18n extension with
  Babel filters per message;
* :func:`handlebars_templates` turns the same precompiled HTML, text and subject into one
  Handlebars template per locale (``{% trans %}`` resolved, ``x|money`` -> ``{{money x}}``)
  for ``node/bench.js`` (Handlebars + ``Intl``). The HTML is MRML + premailer output for all
  three, so the Node pipeline renders exactly the same markup.

The order lines are a real loop: ``items``, a list of 1 to 5 ``{name, qty, price}`` objects
(3 on average), ``{% for item in items %}`` in tplkit and Jinja, ``{{#each items as |item|}}``
in Handlebars.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "source"
LOCALES = ("en", "de", "uk")
CURRENCIES = ("USD", "EUR", "UAH")
TEMPLATE = "order-update"
MONEY = ("subtotal", "shipping_cost", "tax_amount", "discount_amount", "order_total", "refund_amount",
         "store_credit", "items[].price")

FIRST = ["Olena", "Jonas", "Amelia", "Taras", "Lena", "Noah", "Iryna", "Max", "Sofia", "Dmytro"]
LAST = ["Koval", "Schmidt", "Brown", "Shevchenko", "Müller", "Wilson", "Bondarenko", "Fischer"]
PRODUCTS = ["Wool scarf", "Ceramic mug", "Trail running shoes", "Desk lamp", "Notebook A5",
            "Bluetooth speaker", "Чашка «Карпати»", "Kaffeemühle", "Yoga mat", "USB-C cable 2 m"]
CITIES = [("Kyiv", "01001", "Ukraine"), ("Berlin", "10115", "Germany"), ("Leeds", "LS1 4AP", "UK"),
          ("Lviv", "79000", "Україна"), ("München", "80331", "Deutschland")]
ADVERSARIAL_ITEM = "Fish & Chips <deluxe>"
# values that must survive escaping, quoting and encoding
ADVERSARIAL = {"customer_name": "O'Brien <b>&amp; \"Ко\" 😀", "gift_message": "Love & hugs <3 — \"x\" 'y'",
               "ship_street": "Rue \"Haute\" 3 & 4 <b>",
               "agent_title": "Team lead & co <i>"}


def contexts(n: int = 2000, seed: int = 19) -> list[tuple[str, dict]]:
    """``n`` (locale, context) pairs, seeded: every amount unique per message; every 50th
    context adversarial; optional parts present in about half of the messages."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        locale = LOCALES[i % 3]
        currency = CURRENCIES[(i // 3) % 3]
        day = dt.date(2026, 11, 1) + dt.timedelta(days=rng.randint(0, 40))

        def money(lo: float, hi: float, cur: str = currency) -> dict:
            return {"amount": f"{rng.uniform(lo, hi):.2f}", "currency": cur}

        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, postcode, country = rng.choice(CITIES)
        order = f"NW-{rng.randint(10000, 99999)}"
        ticket = f"SR-{rng.randint(10000, 99999)}"
        token = f"{rng.getrandbits(48):012x}"
        ctx = {
            "customer_name": first, "customer_email": f"{first.lower()}.{i}@example.com",
            "ticket_id": ticket, "order_id": order,
            "order_url": f"https://shop.northwind.example/orders/{order}?t={token}",
            "order_date": str(day), "ship_date": str(day + dt.timedelta(days=1)),
            "delivery_date": str(day + dt.timedelta(days=rng.randint(2, 6))),
            "return_deadline": str(day + dt.timedelta(days=30)),
            "carrier": rng.choice(["DHL", "Nova Poshta", "UPS", "DPD"]),
            "tracking_number": f"{rng.randint(10**11, 10**12 - 1)}",
            "tracking_url": f"https://track.northwind.example/p/{token}?lang={locale}&utm_source=email",
            "subtotal": money(20, 900), "shipping_cost": money(0, 30), "tax_amount": money(2, 150),
            "order_total": money(25, 1200),
            "items": [{"name": rng.choice(PRODUCTS), "qty": rng.randint(1, 4), "price": money(3, 300)}
                      for _ in range(rng.randint(1, 5))],
            "ship_name": f"{first} {last}",
            "ship_street": f"{rng.choice(['Main', 'Hauptstraße', 'Хрещатик'])} {rng.randint(1, 200)}",
            "ship_city": city, "ship_postcode": postcode, "ship_country": country,
            "agent_name": rng.choice(["Maria", "Oleh", "Tom", "Anja"]), "agent_title": "Customer care",
            "support_phone": "+380 44 123 45 67", "kb_url": "https://help.northwind.example/",
            "returns_url": f"https://shop.northwind.example/returns/new?order={order}",
            "survey_url": f"https://survey.northwind.example/r/{token}?score=5",
            "loyalty_points": rng.randint(0, 25000),
            "unsubscribe_url": f"https://northwind.example/unsubscribe/{token}",
        }
        if rng.random() < 0.5:
            ctx["discount_amount"] = money(1, 50)
        if rng.random() < 0.3:
            ctx["refund_amount"] = money(5, 200)
        if rng.random() < 0.3:
            ctx["store_credit"] = money(5, 100)
        if rng.random() < 0.25:
            ctx["gift_message"] = "Happy birthday! З днем народження!"
        if rng.random() < 0.5:
            ctx["coupon_code"] = f"THANKS{rng.randint(10, 99)}"
            ctx["coupon_expires"] = str(day + dt.timedelta(days=60))
        if rng.random() < 0.3:
            ctx["delay_days"] = rng.randint(1, 5)
        if i % 50 == 0:
            ctx.update(ADVERSARIAL)
            ctx["items"][0]["name"] = ADVERSARIAL_ITEM
        out.append((locale, ctx))
    return out


# --- tplkit ----------------------------------------------------------------------------------

def make_tplkit_project(root: Path) -> Path:
    """The corpus as a tplkit project under ``root`` (its .po catalogs made by Babel)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    folder = root / "templates" / TEMPLATE
    folder.mkdir(parents=True)
    for name in ("body.mjml", "body.txt", "subject.txt", "preheader.txt", "template.toml"):
        (folder / name).write_text((SOURCE / name).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "tplkit.toml").write_text(
        'default_locale = "en"\nlocales = ["en", "de", "uk"]\n\n[brand]\n'
        'company_name = "Northwind"\nemail = "help@northwind.example"\n', encoding="utf-8")
    for locale in LOCALES[1:]:
        catalog = Catalog(locale=locale, project="tplkit-realistic-bench")
        for msgid, translations in _catalog().items():
            catalog.add(msgid, translations[locale], flags=["python-format"] if "%(" in msgid else ())
        po = root / "locales" / locale / "LC_MESSAGES" / "tplkit.po"
        po.parent.mkdir(parents=True)
        with open(po, "wb") as f:
            write_po(f, catalog)
    return root


def _catalog() -> dict[str, dict[str, str]]:
    return json.loads((SOURCE / "catalog.json").read_text(encoding="utf-8"))


# --- the precompiled HTML shared by plain Jinja and Handlebars --------------------------------

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def precompiled_html() -> str:
    """body.mjml through mjml-python and premailer once, its Jinja tags intact: each tag is
    an opaque token while premailer runs (lxml would percent-encode the spaces of a tag in
    an href)."""
    import mjml
    import premailer

    html = mjml.mjml2html((SOURCE / "body.mjml").read_text(encoding="utf-8"))
    tags: list[str] = []

    def hide(m: re.Match) -> str:
        tags.append(m.group(0))
        return f"TPLSLOT{len(tags) - 1}X"

    hidden = _TAG.sub(hide, html)
    inlined = premailer.transform(hidden, keep_style_tags=True, strip_important=False,
                                  disable_validation=True, cssutils_logging_level=50)
    out = re.sub(r"TPLSLOT(\d+)X", lambda m: tags[int(m.group(1))], inlined)
    assert len(_TAG.findall(out)) == len(tags), "a template tag did not survive mjml/premailer"
    return out


# --- plain Jinja -----------------------------------------------------------------------------

class _Translations:
    def __init__(self, locale: str) -> None:
        self.messages = {k: v[locale] for k, v in _catalog().items()} if locale != "en" else {}

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def jinja_templates(html: str) -> dict[str, dict]:
    """Per locale: Jinja templates (subject, preheader, html, text) with Babel filters, the
    way a plain Jinja application would write them (no validation, Babel on every value)."""
    import jinja2
    from babel import Locale
    from babel.dates import format_date
    from babel.numbers import format_currency, format_decimal

    out = {}
    for locale in LOCALES:
        loc = Locale.parse(locale)

        def money(v, loc=loc, locale=locale):
            text = format_currency(Decimal(v["amount"]), v["currency"], locale=loc)
            if locale == "uk" and v["currency"] == "EUR":   # what tplkit's locale style does
                text = text.replace("EUR", "€")
            return text

        def date(v, loc=loc):
            return format_date(dt.date.fromisoformat(v), "long", locale=loc).replace(" ", "\u00a0")

        def number(v, loc=loc):
            return format_decimal(v, locale=loc)

        envs = []
        for autoescape in (True, False):
            env = jinja2.Environment(autoescape=autoescape, extensions=["jinja2.ext.i18n"],
                                     keep_trailing_newline=True)
            env.install_gettext_translations(_Translations(locale), newstyle=False)  # type: ignore[attr-defined]
            env.filters.update(money=money, date=date, number=number)
            envs.append(env)
        html_env, text_env = envs
        out[locale] = {
            "html": html_env.from_string(html),
            "text": text_env.from_string((SOURCE / "body.txt").read_text(encoding="utf-8")),
            "subject": text_env.from_string((SOURCE / "subject.txt").read_text(encoding="utf-8").strip()),
            "preheader": text_env.from_string((SOURCE / "preheader.txt").read_text(encoding="utf-8").strip()),
        }
    return out


def render_jinja(templates: dict, locale: str, ctx: dict) -> tuple[str, str, str]:
    t = templates[locale]
    values = {**ctx, "lang": locale}
    return t["subject"].render(values), t["html"].render(values), t["text"].render(values)


# --- Handlebars ------------------------------------------------------------------------------

_TRANS = re.compile(r"\{%-?\s*trans\s*(.*?)-?%\}(.*?)\{%-?\s*endtrans\s*-?%\}", re.DOTALL)
_ARG = re.compile(r"(\w+)\s*=\s*([\w|]+)")


def _hbs_expr(expr: str) -> str:
    name, _, fil = expr.strip().partition("|")
    return f"{{{{{fil} {name}}}}}" if fil else f"{{{{{name}}}}}"


def _to_handlebars(source: str, locale: str) -> str:
    catalog = _catalog()

    def trans(m: re.Match) -> str:
        args = dict(_ARG.findall(m.group(1)))
        msgid = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", m.group(2).replace("%", "%%"))
        text = catalog[msgid][locale] if locale != "en" else msgid
        text = re.sub(r"%\((\w+)\)s", lambda a: _hbs_expr(args[a.group(1)]), text)
        return text.replace("%%", "%")

    out = _TRANS.sub(trans, source)
    out = out.replace("{{ lang }}", locale)
    out = re.sub(r"\{%\s*if\s+(\w+)\s*%\}", r"{{#if \1}}", out)
    out = re.sub(r"\{%\s*endif\s*%\}", "{{/if}}", out)
    # Jinja's "-" strips the white space before the tag; Handlebars' "~" does the same
    out = re.sub(r"\{%(-?)\s*for\s+(\w+)\s+in\s+(\w+)\s*%\}",
                 lambda m: f"{{{{{'~' * len(m[1])}#each {m[3]} as |{m[2]}|}}}}", out)
    out = re.sub(r"\{%(-?)\s*endfor\s*%\}", lambda m: f"{{{{{'~' * len(m[1])}/each}}}}", out)
    out = re.sub(r"\{\{\s*([\w.|]+)\s*\}\}", lambda m: _hbs_expr(m.group(1)), out)
    assert "{%" not in out, "a Jinja tag has no Handlebars form"
    return out


def handlebars_templates(html: str) -> dict[str, dict[str, str]]:
    """Per locale: Handlebars sources of subject, html and text (translations resolved)."""
    text = (SOURCE / "body.txt").read_text(encoding="utf-8")
    subject = (SOURCE / "subject.txt").read_text(encoding="utf-8").strip()
    return {locale: {"subject": _to_handlebars(subject, locale), "html": _to_handlebars(html, locale),
                     "text": _to_handlebars(text, locale)} for locale in LOCALES}


# --- the content check -----------------------------------------------------------------------

_HIDDEN = re.compile(r"<(style|head|script)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


def content(subject: str, html: str, text: str) -> tuple[str, str, str, tuple[str, ...]]:
    """What a reader gets, up to white space (CLDR data differs in its kinds of spaces and
    Babel writes no space between a currency code and its amount, Intl one): the subject,
    the HTML's visible text, the text part, and the HTML's link targets."""
    import html as htmlmod

    def squash(s: str) -> str:
        return re.sub(r"[\s\u00a0\u202f\u2066-\u2069]+", "", s)

    body = htmlmod.unescape(re.sub(r"<[^>]+>", " ", _HIDDEN.sub(" ", html)))
    links = tuple(htmlmod.unescape(h) for h in re.findall(r'href="([^"]*)"', html))
    return squash(subject), squash(body), squash(text), links
