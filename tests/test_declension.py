"""Names in the vocative for greetings (tplkit.declension), through the real dictionaries."""
from __future__ import annotations

import re

import pytest

import tplkit
from tplkit.declension import vocative


@pytest.mark.parametrize("name, expected", [
    ("Олена", "Олено"), ("Ольга", "Ольго"), ("Марко", "Марку"), ("Іван", "Іване"),
    ("Андрій", "Андрію"), ("Микола", "Миколо"), ("Любов", "Любове"), ("Ігор", "Ігорю"),
    ("Олена Петрівна", "Олено Петрівно"), ("ОЛЕНА", "ОЛЕНО"),
])
def test_ukrainian_first_names_take_the_vocative(name, expected):
    """pymorphy3's Ukrainian dictionary gives the vocative; a declinable reading wins over a
    foreign indeclinable one («Марко» -> «Марку»)."""
    assert vocative(name, locale="uk") == expected


@pytest.mark.parametrize("name, gender, expected", [
    ("Ola", "female", "Pani Olu"), ("Aleksandra", "female", "Pani Aleksandro"),
    ("Kasia", "female", "Pani Kasiu"), ("Marek", "male", "Panie Marku"), ("Jan", "male", "Panie Janie"),
    ("Paweł", "male", "Panie Pawle"), ("Kuba", "male", "Panie Kubo"),
])
def test_polish_first_names_take_pan_pani_and_the_vocative(name, gender, expected):
    """Morfeusz 2 (SGJP) gives the vocative; the customer's form of address picks «Pani»/«Panie»
    (a man's name ending in -a, «Kuba», declines as a man's)."""
    assert vocative(name, locale="pl", gender=gender) == expected


@pytest.mark.parametrize("name, gender", [("Marek", None), ("Aleksandra", None), ("Aleksandra", "male"),
                                          ("Marek", "female"), ("Marek", "other")])
def test_polish_shows_no_name_without_the_form_of_address(name, gender):
    """Pani or Pan is the customer's to say, not the name's: without a gender (or with one the
    dictionary has no such name for) the greeting is name-less."""
    assert vocative(name, locale="pl", gender=gender) == ""


@pytest.mark.parametrize("name, locale", [
    ("Olena", "uk"), ("Стіл", "uk"), ("Aylin", "pl"), ("Stół", "pl"), ("R2-D2", "uk"), ("", "pl"),
    (None, "uk"),
])
def test_a_word_the_dictionary_does_not_know_as_a_name_gives_nothing(name, locale):
    """Latin script in Ukrainian, a common noun, an unknown or empty name: no guessed form."""
    assert vocative(name, locale=locale) == ""


@pytest.mark.parametrize("locale, name", [("ru", "Ольга"), ("de", "Anna"), ("ar", "أولغا"),
                                          ("es", "Lucía"), ("tr", "Ayşe")])
def test_languages_without_a_vocative_keep_the_name(locale, name):
    """Greetings in ru, de, ar, es and tr use the name as it is."""
    assert vocative(name, locale=locale) == name


def test_an_explicit_vocative_wins():
    """A value the sender gives is used as it is, even for a name the dictionary knows."""
    assert vocative("Олена", "Оленко", locale="uk") == "Оленко"
    assert vocative("Aylin", "Pani Aylin", locale="pl") == "Pani Aylin"


@pytest.mark.parametrize("locale, context, first_line", [
    ("uk", {"customer_name": "Олена"}, "Добрий день, Олено!"),
    ("uk", {"customer_name": "Olena"}, "Добрий день!"),
    ("uk", {"customer_name": "Олена", "customer_name_vocative": "пані Олено"}, "Добрий день, пані Олено!"),
    ("pl", {"customer_name": "Marek", "customer_gender": "male"}, "Dzień dobry, Panie Marku,"),
    ("pl", {"customer_name": "Marek"}, "Dzień dobry,"),
    ("pl", {"customer_name": "Aylin", "customer_gender": "female"}, "Dzień dobry,"),
    ("pl", {"customer_name": "Olga", "customer_name_vocative": "Pani Oleńko", "customer_gender": "female"},
     "Dzień dobry, Pani Oleńko,"),
    ("ru", {"customer_name": "Ольга"}, "Здравствуйте, Ольга!"),
])
def test_greeting_in_a_rendered_email(locale, context, first_line):
    """The compiled email and the naive pipeline greet alike: vocative, fallback, explicit value."""
    kit = tplkit.Kit()
    values = {"ticket_id": "SR-1", "request_url": "https://help.example/r/1", **context}
    for email in (kit.render("acknowledgement", values, locale=locale),
                  kit.render_naive("acknowledgement", values, locale=locale)):
        assert email.text.splitlines()[0] == first_line
        assert re.search(rf"<p[^>]*>\s*{re.escape(first_line)}\s*</p>", email.html)
