"""Native-quality checks of every built-in template × sample, rendered in each locale (issue #17)."""
from __future__ import annotations

import re

import pytest

import tplkit
from tplkit.config import builtin_root
from tplkit.lint.rendered import longest_values

NON_LATIN = {"uk", "ru", "ar"}
LOCALES = ["uk", "ru", "de", "es", "pl", "tr", "ar"]
# words of English that no sentence of these languages uses
ENGLISH = {"the", "your", "our", "we", "you", "please", "thank", "thanks", "regards", "hello", "hi",
           "with", "will", "request", "order", "within", "hours", "view", "help", "review"}
WRONG_LETTERS = {"uk": "ыэъёЫЭЪЁ", "ru": "іїєґІЇЄҐ"}
NAME_PLACEHOLDERS = ("customer_name", "contact_name")
# what the #17 review flagged as jargon or a calque, per locale (lower case)
JARGON = {"uk": ("особливий контроль",), "ru": ("особый контроль",), "de": ("eskalier", "eskalation"),
          "es": ("escalad",), "pl": ("eskal", "(a)"), "tr": ("dönüş yap",),
          "ar": ("مُصعَّد", "تصعيد", "حالتك")}


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
    jargon = [j for j in JARGON.get(locale, ()) if j in text.lower()]
    if jargon:
        problems.append(f"{where}: jargon {jargon}")
    if re.search(r"(?<!\.)\.\.(?!\.)", text):
        problems.append(f"{where}: a doubled full stop (a sentence ending in an abbreviation)")
    if re.search(r"^[–—] ", text, re.MULTILINE):
        problems.append(f"{where}: a line starts with a dash (a no-break space belongs before it)")
    wrong = set(text) & set(WRONG_LETTERS.get(locale, ""))
    if wrong:
        problems.append(f"{where}: letters of another alphabet {sorted(wrong)}")
    if locale == "pl":
        problems += _register_problems(where, values.get("customer_gender"), text)
    return problems


# Polish: the words that address the reader, by form of address (customer_gender)
REGISTER = {None: ("Państwo", "Państwa", "Państwu", "Państwem"), "female": ("Pani", "Panią"),
            "male": ("Pan", "Pana", "Panu", "Panem", "Panie")}
GREETING = {None: r"Dzień dobry,", "female": r"Dzień dobry,(?: Pani \w+,)?",
            "male": r"Dzień dobry,(?: Panie \w+,)?"}


def _register_problems(where: str, gender: str | None, text: str) -> list[str]:
    """A Polish email speaks to one reader in one register: the greeting and every sentence
    say «Państwo» (no form of address given), or «Pani», or «Pan», and a verb next to «Pani»
    or «Pan» is singular («znajdzie Pani», not «znajdą Pani»)."""
    problems = []
    lines = text.splitlines()
    greeting = next((line for line in lines if line.startswith("Dzień dobry")), "")
    if not re.fullmatch(GREETING[gender], greeting):
        problems.append(f"{where}: greeting {greeting!r} in the {gender or 'neutral'} register")
    words = set(re.findall(r"\b\w+\b", text))
    for other, forms in REGISTER.items():
        found = sorted(words & set(forms))
        if other != gender and found:
            problems.append(f"{where}: {found} in an email to {REGISTER[gender][0]}")
    # «znajdą Pani», «mają Pan», «Pani otrzymali»: the verb before its subject is 3rd plural in -ą
    plural = re.findall(r"\b\w+ą\s+Pan(?:i)?\b|\bPan(?:i)?\s+\w+li\b", text)
    if plural:
        problems.append(f"{where}: a plural verb with Pan/Pani {plural}")
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_every_email_reads_natively(kit, locale):
    """Every template × sample in the locale: names in its script, one dash style, no English,
    no letters of the neighbouring alphabet (Russian in Ukrainian and the other way round),
    none of the review's jargon, one register (Polish)."""
    problems = [p for where, values, text in _emails(kit, locale)
                for p in _problems(kit, locale, where, values, text)]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(kit):
    """The checks fail on a Latin name, English words, mixed dashes, an em-dash range, a line
    starting with a dash, Russian letters in Ukrainian (and Ukrainian ones in Russian), the
    review's jargon, a doubled full stop, and a Polish email whose greeting and sentences
    address the reader in different registers."""
    text = "Добрий день, Olena! Thank you — ми на зв’язку пн–пт, 09:00—18:00 – їжак, ёж\n— ну"
    found = _problems(kit, "uk", "t", {"customer_name": "Olena"}, text)
    assert found == ["t: customer_name 'Olena' is in Latin script",
                     "t: Latin-script words ['Olena', 'Thank', 'you']",
                     "t: English words ['Thank', 'you']",
                     "t: mixed or hyphen spaced dashes ['–', '—']",
                     "t: a range not written with an en dash",
                     "t: a line starts with a dash (a no-break space belongs before it)",
                     "t: letters of another alphabet ['ё']"]
    assert _problems(kit, "ru", "t", {}, "Ваш запрос і ответ") == ["t: letters of another alphabet ['і']"]
    assert _problems(kit, "de", "t", {}, "Ihre eskalierte Anfrage. Bis 25. Nov..") == [
        "t: jargon ['eskalier']", "t: a doubled full stop (a sentence ending in an abbreviation)"]
    mixed = "Dzień dobry, Pani Aleksandro,\nOtrzymaliśmy Państwa zgłoszenie. Znajdą Pani odpowiedź."
    assert _problems(kit, "pl", "t", {"customer_gender": "female"}, mixed) == [
        "t: ['Państwa'] in an email to Pani", "t: a plural verb with Pan/Pani ['Znajdą Pani']"]
    assert _problems(kit, "pl", "t", {}, "Dzień dobry, Panie Marku,\nDamy Panu znać.") == [
        "t: greeting 'Dzień dobry, Panie Marku,' in the neutral register",
        "t: ['Panie', 'Panu'] in an email to Państwo"]
    assert _problems(kit, "de", "t", {}, "Hallo Anna, your order - bald") == [
        "t: English words ['order', 'your']", "t: mixed or hyphen spaced dashes ['-']"]


@pytest.mark.parametrize("locale, greeting", [
    ("uk", "Добрий день, Олено!"), ("pl", "Dzień dobry, Pani Aleksandro,"), ("ru", "Здравствуйте, Ольга!"),
    ("ar", "مرحبًا أولغا،"), ("de", "Hallo Anna,"), ("es", "Hola, Lucía:"), ("tr", "Merhaba Ayşe,"),
])
def test_default_sample_greets_in_the_locale(kit, locale, greeting):
    """The default sample's greeting: a name in the locale's script, in the vocative in uk and pl."""
    info = kit.template("acknowledgement")
    email = kit.render("acknowledgement", info.sample_for(locale), locale=locale)
    assert email.text.splitlines()[0] == greeting


# The greeting each Polish sample name gets per form of address (None: not given)
PL_GREETING = {
    ("Aleksandra", "female"): "Dzień dobry, Pani Aleksandro,",
    ("Zofia", "female"): "Dzień dobry, Pani Zofio,",
    ("Katarzyna", "female"): "Dzień dobry, Pani Katarzyno,",
    ("Marek", "male"): "Dzień dobry, Panie Marku,",
    ("Jan", "male"): "Dzień dobry, Panie Janie,",
}


def _pl_cases():
    kit = tplkit.Kit()
    for name in kit.template_names():
        for sample in kit.template(name).samples:
            for gender in (None, "female", "male"):
                yield name, sample, gender


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


@pytest.mark.parametrize("template, sample, gender", list(_pl_cases()))
def test_polish_register_follows_the_form_of_address(kit, template, sample, gender):
    """Every Polish template × sample × form of address: the expected greeting, and every
    sentence of the templates and the catalog (the sample's free text left out) in its
    register: «Państwo» without customer_gender, «Pani» for female, «Pan» for male; and the
    subject within 60 characters with the longest values allowed, in every register."""
    info = kit.template(template)
    values = {**info.sample_for("pl", sample), "customer_gender": gender}
    if gender is None:
        del values["customer_gender"]
    email = kit.render(template, values, locale="pl")
    greeting = email.text.splitlines()[0]
    assert greeting == PL_GREETING.get((values.get("customer_name"), gender), "Dzień dobry,")
    text = " ".join(f"{email.subject} {email.preheader} {email.text}".split())   # unwrapped
    for free in sorted(_strings({k: v for k, v in values.items() if k != "customer_name"}), key=len,
                       reverse=True):
        text = text.replace(" ".join(free.split()), " ")
    assert _register_problems(f"{template}/{sample}", gender, f"{greeting}\n{text}") == []
    longest, _ = longest_values(info, values)   # as lint's subject-length: every form of address
    assert len(kit.render(template, longest, locale="pl").subject) <= 60


@pytest.mark.parametrize("locale", LOCALES)
def test_a_spaced_dash_never_starts_a_line(locale):
    """Every spaced dash in a translation has a no-break space before it, so that wrapping the
    text part at any value's length never puts the dash at the start of a line."""
    from babel.messages.pofile import read_po

    path = builtin_root() / "locales" / locale / "LC_MESSAGES" / "tplkit.po"
    with open(path, "rb") as f:
        catalog = read_po(f, locale=locale)
    bad = [m.id for m in catalog if m.id
           for s in ([m.string] if isinstance(m.string, str) else m.string) if re.search(r" [–—] ", s)]
    assert bad == []


def test_arabic_plural_slots_are_in_cldr_order():
    """Arabic msgstr[0..5] are CLDR's zero, one, two, few, many, other for every number
    (#17: 3–10 few, 11–99 many, 100–102 other), as Babel's CLDR data says."""
    from babel import Locale

    from tplkit.i18n import load_catalog

    catalog = load_catalog("ar", [builtin_root() / "locales"])
    order = ["zero", "one", "two", "few", "many", "other"]
    rule = Locale.parse("ar").plural_form
    assert [catalog.plural_index(n) for n in range(0, 1112)] == [order.index(rule(n)) for n in range(0, 1112)]
    assert [catalog.plural_index(n) for n in (3, 10, 11, 99, 100, 102, 103, 111)] == [3, 3, 4, 4, 5, 5, 3, 4]
