"""Native-quality checks of every built-in template × sample, rendered in each locale (issue #17)."""
from __future__ import annotations

import re

import pytest

import tplkit

NON_LATIN = {"uk", "ru", "ar"}
LOCALES = ["uk", "ru", "de", "es", "pl", "tr", "ar"]
# words of English that no sentence of these languages uses
ENGLISH = {"the", "your", "our", "we", "you", "please", "thank", "thanks", "regards", "hello", "hi",
           "with", "will", "request", "order", "within", "hours", "view", "help", "review"}
WRONG_LETTERS = {"uk": "ыэъёЫЭЪЁ", "ru": "іїєґІЇЄҐ"}
NAME_PLACEHOLDERS = ("customer_name", "contact_name")


@pytest.fixture(scope="module")
def kit() -> tplkit.Kit:
    return tplkit.Kit()


def _emails(kit: tplkit.Kit, locale: str):
    for name in kit.template_names():
        info = kit.template(name)
        for sample in info.samples:
            values = info.sample_for(locale, sample)
            email = kit.render(name, values, locale=locale)
            yield f"{name}/{sample}", values, f"{email.subject}\n{email.preheader}\n{email.text}"


def _prose(kit: tplkit.Kit, text: str) -> str:
    """``text`` without what is not prose: URLs, emails, codes, the brand's own words."""
    brand = kit.brand
    for fixed in (brand.company_name, brand.address, "Facebook", "Instagram", "X:"):
        text = text.replace(str(fixed), " ")
    text = re.sub(r"\S+@\S+|https?://\S+|\(\S+\.\S+\)", " ", text)
    return re.sub(r"\b(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*\b", " ", text)   # SR-10482, CET


def _problems(kit: tplkit.Kit, locale: str, where: str, values: dict, text: str) -> list[str]:
    """What a native reader would flag in one rendered email (subject, preheader, text)."""
    problems = []
    prose = _prose(kit, text)
    if locale in NON_LATIN:
        for ph in NAME_PLACEHOLDERS:
            if re.search(r"[A-Za-z]", str(values.get(ph) or "")):
                problems.append(f"{where}: {ph} {values[ph]!r} is in Latin script")
        latin = re.findall(r"[A-Za-z]{2,}", prose)
        if latin:
            problems.append(f"{where}: Latin-script words {sorted(set(latin))}")
    english = {w for w in re.findall(r"[^\W\d_]+", prose) if w.lower() in ENGLISH}
    if english:
        problems.append(f"{where}: English words {sorted(english)}")
    spaced = set(re.findall(r"[ \u00a0]([-–—])[ \u00a0]", prose))
    if len(spaced) > 1 or "-" in spaced:
        problems.append(f"{where}: mixed or hyphen spaced dashes {sorted(spaced)}")
    if re.search(r"\d[—-]\d\d:|\w\.?—\w", prose):
        problems.append(f"{where}: a range not written with an en dash")
    wrong = set(text) & set(WRONG_LETTERS.get(locale, ""))
    if wrong:
        problems.append(f"{where}: letters of another alphabet {sorted(wrong)}")
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_every_email_reads_natively(kit, locale):
    """Every template × sample in the locale: names in its script, one dash style, no English,
    no letters of the neighbouring alphabet (Russian in Ukrainian and the other way round)."""
    problems = [p for where, values, text in _emails(kit, locale)
                for p in _problems(kit, locale, where, values, text)]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(kit):
    """The checks fail on a Latin name, English words, mixed dashes, an em-dash range and
    Russian letters in Ukrainian (and Ukrainian ones in Russian)."""
    text = "Добрий день, Olena! Thank you — ми на зв’язку пн–пт, 09:00—18:00 – їжак, ёж"
    found = _problems(kit, "uk", "t", {"customer_name": "Olena"}, text)
    assert found == ["t: customer_name 'Olena' is in Latin script",
                     "t: Latin-script words ['Olena', 'Thank', 'you']",
                     "t: English words ['Thank', 'you']",
                     "t: mixed or hyphen spaced dashes ['–', '—']",
                     "t: a range not written with an en dash",
                     "t: letters of another alphabet ['ё']"]
    assert _problems(kit, "ru", "t", {}, "Ваш запрос і ответ") == ["t: letters of another alphabet ['і']"]
    assert _problems(kit, "de", "t", {}, "Hallo Anna, your order - bald") == [
        "t: English words ['order', 'your']", "t: mixed or hyphen spaced dashes ['-']"]


@pytest.mark.parametrize("locale, greeting", [
    ("uk", "Добрий день, Олено!"), ("pl", "Dzień dobry, Pani Olu!"), ("ru", "Здравствуйте, Ольга!"),
    ("ar", "مرحبًا أولغا،"), ("de", "Hallo Anna,"), ("es", "Hola, Lucía:"), ("tr", "Merhaba Ayşe,"),
])
def test_default_sample_greets_in_the_locale(kit, locale, greeting):
    """The default sample's greeting: a name in the locale's script, in the vocative in uk and pl."""
    info = kit.template("acknowledgement")
    email = kit.render("acknowledgement", info.sample_for(locale), locale=locale)
    assert email.text.splitlines()[0] == greeting
