"""Names in the vocative: how a greeting addresses a person in languages that decline names.

Ukrainian and Polish address people in the vocative case («Добрий день, Олено!»,
«Dzień dobry, Pani Aleksandro,»); a nominative placeholder cannot give that. The forms come from
dictionaries, not suffix rules of our own:

- Ukrainian: ``pymorphy3`` with ``pymorphy3-dicts-uk`` (the VESUM dictionary of the
  Ukrainian language). Its tags mark first names (``Name``) and patronymics (``Patr``), so
  a word it does not know as a name is *not recognised* instead of declined by guesswork.
- Polish: ``morfeusz2``, the Polish morphological analyser and generator of IPI PAN with the
  SGJP dictionary, whose interpretations mark first names (``imię``) and their gender.

A name the dictionary does not know as a first name gives ``""``: the template then uses its
name-less greeting («Добрий день!»), which is always grammatical. Languages without a
vocative in greetings get the name unchanged. An explicit value wins over all of this.

Polish puts «Pani»/«Panie» before the name, and the whole email then speaks to «Pani»/«Pan»
instead of the neutral «Państwo»: that needs the customer's form of address, which a first
name does not reliably give (Andrea, Maria as a man's second name, a customer who signs
with a name of the other gender). So a Polish name is shown only when the sender says how
to address the customer (``gender``); without it the greeting is «Dzień dobry,» and the
body says «Państwo». The gender also picks the dictionary's reading of the name.

What a locale does is data (:data:`ADDRESS`), not code branches.
"""
from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ADDRESS", "Address", "vocative"]


@dataclass(frozen=True)
class Address:
    """How a language addresses a person by name in a greeting.

    ``declines``: the name takes the vocative (looked up with the language's analyser).
    ``honorific``: words put before the name by the customer's form of address (``female``/
    ``male``) where a bare first name would be too familiar for the register of the emails
    (Polish «Pani Aleksandro»). A language with honorifics shows a name only when the form
    of address is known: the honorific and the body's sentences depend on it.
    """

    declines: bool = False
    honorific: dict[str, str] = field(default_factory=dict)


# Per language: Ukrainian and Polish decline names; Polish customer service writes
# «Pani/Panie» + the vocative (a bare «Aleksandro» is too familiar for the formal register).
ADDRESS: dict[str, Address] = {
    "uk": Address(declines=True),
    "pl": Address(declines=True, honorific={"female": "Pani", "male": "Panie"}),
}
# Morfeusz's genders of a form of address: f, and the three masculine genders (m1 for persons)
_PL_GENDERS = {"female": {"f"}, "male": {"m1", "m2", "m3"}}

_WORD = re.compile(r"[^\W\d_]+(?:[-'’ʼ][^\W\d_]+)*")
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _uk_analyzer() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="uk")


@functools.lru_cache(maxsize=1)
def _pl_analyzer() -> Any:
    import morfeusz2

    return morfeusz2.Morfeusz()


def _match_case(form: str, original: str) -> str:
    """``form`` (lower case from the dictionary) spelt with ``original``'s capitals."""
    if original.isupper() and len(original) > 1:
        return form.upper()
    parts = re.split(r"([-'’ʼ])", form)
    return "".join(p[:1].upper() + p[1:] if i % 2 == 0 else p for i, p in enumerate(parts))


def _uk_word(word: str, gender: str | None = None) -> tuple[str, str] | None:
    """(vocative, gender) of a Ukrainian first name or patronymic, or None."""
    parses = _uk_analyzer().parse(word)
    # a declinable reading first: «Марко» is also listed as an indeclinable (foreign) name
    for p in sorted(parses, key=lambda p: "Fixd" in p.tag):
        tag = p.tag
        if ("Name" in tag or "Patr" in tag) and tag.case == "nomn" and tag.number != "plur":
            form = p.inflect({"voct"})
            if form is not None:
                return _match_case(form.word, word), "female" if tag.gender == "femn" else "male"
    return None


def _pl_word(word: str, gender: str | None = None) -> tuple[str, str] | None:
    """(vocative, gender) of a Polish first name (of ``gender``'s reading when given), or
    None. Tags are read as Morfeusz gives them, with alternatives joined by dots
    (``subst:sg:nom.voc:f``): expanding them costs five times the lookup."""
    def has(tag: list[str], i: int, value: str) -> bool:
        return len(tag) > i and value in tag[i].split(".")

    with _lock:  # one Morfeusz object, not documented as thread-safe
        morf = _pl_analyzer()
        for _, _, (_, lemma, tag, names, _) in morf.analyse(word):
            fields = tag.split(":")
            if "imię" not in names or fields[0] != "subst" or not has(fields, 1, "sg") \
                    or not has(fields, 2, "nom") or len(fields) < 4:
                continue
            genders = set(fields[3].split("."))
            if gender in _PL_GENDERS:
                genders &= _PL_GENDERS[gender]
            forms = [(form, g) for form, _, gtag, gnames, _ in morf.generate(lemma)
                     if "imię" in gnames and (g := gtag.split(":"))[0] == "subst"
                     and has(g, 1, "sg") and has(g, 2, "voc") and genders & set(g[3].split("."))]
            if forms:   # a form for the vocative alone before one shared by every case
                form, g = min(forms, key=lambda f: len(f[1][2]))
                return form, "female" if "f" in g[3].split(".") else "male"
    return None


_ANALYSERS: dict[str, Callable[[str, str | None], tuple[str, str] | None]] = {
    "uk": _uk_word, "pl": _pl_word}


@functools.lru_cache(maxsize=4096)
def _declined(name: str, language: str, gender: str | None) -> str:
    rule = ADDRESS[language]
    if rule.honorific and gender not in rule.honorific:
        return ""   # «Pani» or «Pan»: only the sender knows
    words = _WORD.findall(name)
    if not words or "".join(words) != re.sub(r"[\s]+", "", name):
        return ""   # digits, initials with dots, emoji...: not a name we can decline
    out = []
    for word in words:
        found = _ANALYSERS[language](word, gender)
        if found is None:
            return ""
        out.append(found[0])
    address = " ".join(out)
    prefix = rule.honorific.get(gender or "", "")
    return f"{prefix} {address}" if prefix else address


def vocative(value: Any, explicit: Any = None, locale: str = "en", gender: Any = None) -> str:
    """The form of address for a greeting: ``Олена`` -> ``Олено`` (uk), ``Aleksandra`` ->
    ``Pani Aleksandro`` (pl, ``gender="female"``); the name itself in languages without a
    vocative.

    ``explicit`` (a value the sender gives, e.g. a ``customer_name_vocative`` placeholder)
    wins when set. ``gender`` (``female``/``male``, e.g. the ``customer_gender``
    placeholder) is the customer's form of address: Polish shows a name only with it. Returns
    ``""`` when the language declines names and the dictionary does not know ``value`` as a
    first name (of that gender), or when the language needs the form of address and it is
    not given: templates show their name-less greeting then.
    """
    if explicit:
        return str(explicit).strip()
    if not value:
        return ""
    language = locale.split("_")[0].split("-")[0]
    rule = ADDRESS.get(language)
    if rule is None or not rule.declines:
        return str(value)   # as given, line breaks and all
    return _declined(" ".join(str(value).split()), language,
                     str(gender) if gender in ("female", "male") else None)
