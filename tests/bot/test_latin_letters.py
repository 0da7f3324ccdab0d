"""The letter model behind Arabic, Persian, Pashto and Tigrinya typed in Latin letters: small
genuine models built here from a few lines, and the one built from the training data."""

from __future__ import annotations

from bot.lang.latin_letters import (
    LetterModel,
    latin_letter_lines,
    letter_grams,
    letter_model,
    mostly_latin,
)

TIGRINYA = ["kemey gerey yikeal", "genzeb entay iyu", "ab jobcenter kikeyd yidelye"]
GERMAN = ["wie kann ich das machen", "ich brauche einen termin", "was muss ich mitbringen"]


def test_grams_are_taken_inside_words_with_their_edges_and_keep_digits():
    assert letter_grams("Ab 3a") == [
        " ",
        "a",
        "b",
        " ",
        " a",
        "ab",
        "b ",
        " ab",
        "ab ",
        " ab ",
        " ",
        "3",
        "a",
        " ",
        " 3",
        "3a",
        "a ",
        " 3a",
        "3a ",
        " 3a ",
    ]
    assert letter_grams("? ፣ ሰላም") == []


def test_a_small_model_tells_its_languages_apart_by_letter_sequences():
    model = LetterModel({"ti": TIGRINYA, "de": GERMAN})
    # No word of these is in the lines: their letter sequences decide.
    assert model.most_likely("kemey yikealo") == "ti"
    assert model.most_likely("ich mache das") == "de"


def test_no_latin_words_no_answer():
    model = LetterModel({"ti": TIGRINYA, "de": GERMAN})
    assert model.most_likely("ሰላም") is None
    assert model.most_likely("") is None


def test_more_lines_of_a_language_do_not_make_it_more_likely():
    # German has ten times as many lines; a text of letters neither has is not given to it.
    model = LetterModel({"ti": TIGRINYA, "de": GERMAN * 10})
    assert model.most_likely("kemey") == "ti"


def test_a_language_without_latin_lines_is_left_out():
    model = LetterModel({"ti": TIGRINYA, "de": GERMAN, "ru": []})
    assert model.languages == ["de", "ti"]


def test_lines_count_as_latin_when_most_of_their_letters_are():
    assert mostly_latin("kemey jobcenter")
    assert mostly_latin("kontoauszüge لا")
    assert not mostly_latin("termin لازم 3 شهور؟")
    assert not mostly_latin("123 ?")


def test_the_model_of_the_training_data_knows_every_language_typed_in_latin_letters():
    lines = latin_letter_lines()
    assert all(line == line.lower() and mostly_latin(line) for line in lines["ti"])
    model = letter_model()
    assert {"ar", "fa", "ps", "ti", "de", "en", "fr", "ku", "so", "tr"} <= set(model.languages)
    assert letter_model() is model  # built once per process
