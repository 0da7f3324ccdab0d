"""content/terms: how clients write office and benefit words, mapped to one German key before the
classifier and the topic search compare texts (lotse_shared.text)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from lotse_shared.files import read_yaml
from lotse_shared.text import TERMS_DIR, fold, normalize, rasm, vocabulary

FILES = sorted(TERMS_DIR.glob("*.yml"))


def spellings(path: Path) -> dict[str, list[str]]:
    return {key: [key, *(variants or [])] for key, variants in read_yaml(path)["terms"].items()}


def test_every_language_lists_the_same_german_keys() -> None:
    keys = {path.stem: set(spellings(path)) for path in FILES}
    german = keys["de"]
    assert {language: sorted(k ^ german) for language, k in keys.items() if k != german} == {}


def test_no_spelling_stands_for_two_office_words() -> None:
    """The vocabulary is shared by all languages: one written form, or one Arabic-script skeleton
    matched despite misplaced dots, must mean one German word."""
    meanings: dict[str, set[str]] = defaultdict(set)
    for path in FILES:
        for key, forms in spellings(path).items():
            for form in forms:
                folded = fold(form)
                meanings[folded].add(key)
                joined = folded.replace(" ", "")
                if len(joined) >= 6 and any("\u0600" <= ch <= "\u06ff" for ch in joined):
                    meanings["skeleton:" + rasm(joined)].add(key)
    assert {form: keys for form, keys in meanings.items() if len(keys) > 1} == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سلام، جابسنتر پول میده؟", "سلام jobcenter پول میده"),  # Persian, written together
        ("حابسنتز", "jobcenter"),  # Arabic, dots misplaced
        ("jobsenter", "jobcenter"),  # one letter replaced
        ("jobcentr", "jobcenter"),  # one letter missing
        # Arabic script, a long word one letter off: "Grundsicherung" without its d, "Wohnsitz" with
        # an extra h
        ("الغرونزيشرونغ", "grundsicherungsgeld"),
        ("ووهنزيتساوفلاغه", "wohnsitzauflage"),
        ("Джобцентр", "jobcenter"),
        ("ጆብሰንተርዶ", "jobcenter"),  # Tigrinya, with the question suffix
        ("Hartz IV, ALG 2", "grundsicherungsgeld grundsicherungsgeld"),  # old names of the benefit
        ("درخواست بورگرگلد", "درخواست grundsicherungsgeld"),
        # "Heizung" typed in Persian, Pashto and Tigrinya script: heating costs
        ("هزینه هایتسونگ زیاد است", "هزینه heizkosten زیاد است"),
        ("د هایتسونګ بل راغلی", "د heizkosten بل راغلی"),
        ("ሕሳብ ሃይትሱንግ መጺኡኒ", "ሕሳብ heizkosten መጺኡኒ"),
        ("کرایه خانه ام زیاد شد", "miete ام زیاد شد"),  # everyday words that mean only the rent
        ("الجوب سنتر بيدفع الإيجار كله", "jobcenter بیدفع miete کله"),
        ("el jobcenter bydfa3 el ajar", "el jobcenter bydfa3 el miete"),  # Arabizi
        # Bank statements are papers to bring, not the account: "Konto" inside "Kontoauszug" (and
        # the bank words of a statement) must not make it the Basiskonto.
        ("بدهم كونتو اوسسوغ لتلات شهور", "بدهم kontoauszug لتلات شهور"),
        ("kashf el 7sab kam shahr", "kontoauszug kam shahr"),
        ("Kontoauszüge von drei Monaten", "kontoauszug von drei monaten"),
        ("صورتحساب بانکی سه ماه", "kontoauszug سه ماه"),
        ("ኮንቶ ኣውስዙግ ናይ ሰለስተ ወርሒ", "kontoauszug ናይ ሰለስተ ወርሒ"),
        ("بدي افتح كونتو", "بدی افتح basiskonto"),
    ],
)
def test_office_words_become_their_german_key(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dari "میته" (gives) is not Miete.
        ("جاب سنتر کرایه ره میته", "jobcenter کرایه ره میته"),
        # "Arbeitslosengeld" alone is the Agentur's benefit, not "Arbeitslosengeld 2".
        ("Arbeitslosengeld", "arbeitslosengeld"),
        ("Termin", "termin"),
        # Arabic everyday words whose letter skeleton is one letter off an office word's:
        # "Germany" (~ المیته, rent), "the confession" (~ الانتراغ) and "and the subscription",
        # one letter replaced
        ("المانيا", "المانیا"),
        ("الاعتراف", "الاعتراف"),
        ("والاشتراك", "والاشتراک"),
        # One letter off both Pashto "کرانکن کاسی" (Krankenkasse) and "کرانکن کارت"
        # (Gesundheitskarte): it could be either, so it is neither.
        ("کرانکنکات", "کرانکنکات"),
    ],
)
def test_ordinary_words_and_near_names_stay(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_arabic_letter_variants_tatweel_and_joiners_are_one_form() -> None:
    assert fold("كيف") == fold("کیف")
    assert fold("مـرحـبـا") == fold("مرحبا")
    assert fold("می\u200cخواهم") == "میخواهم"
    assert fold("مَرْحَبًا") == fold("مرحبا")
    assert fold("١٢ ۱۲") == "12 12"


def test_office_words_in_latin_letters_are_left_out_before_identifying_the_language() -> None:
    kept = vocabulary().without_office_words("I got a Bescheid from the Jobcenter about my Miete")
    assert kept == "I got a from the about my"


def test_a_greeting_before_a_question_is_cut_off() -> None:
    assert vocabulary().without_greeting("سلام، پول بیکاری چیست؟") == "پول بیکاری چیست"
    assert vocabulary().without_greeting("Hallo") is None
    # Greetings in a row, one of them two words long, and a preamble; a question of two words stays.
    assert vocabulary().without_greeting("ሰላም ከመይ ኣለኹም ሓንቲ ሕቶ ኣለትኒ ክራይ መን ይኸፍል") == "ክራይ መን ይኸፍል"
    assert vocabulary().without_greeting("hallo wie geht") == "wie geht"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("مين بيدفع الإيجار؟ الله يعطيك العافية", "مین بیدفع الایجار"),
        ("کرایه خانه را کی میده؟ مرسی از کمکتون", "کرایه خانه را کی میده"),
        ("кто платит за квартиру? заранее спасибо", "кто платит за квартиру"),
        ("Wer zahlt die Miete? Danke im Voraus, liebe Grüße", "wer zahlt die miete"),
        ("ክራይ መን ይኸፍል የቐንየለይ", "ክራይ መን ይኸፍል"),
        ("سهمیه کرایه چقدره؟ لطفا راهنمایی کنید با تشکر", "سهمیه کرایه چقدره"),
    ],
)
def test_closing_thanks_and_pleas_after_a_question_are_cut_off(text: str, question: str) -> None:
    assert vocabulary().without_closing(text) == question


def test_thanks_alone_or_after_one_word_stay() -> None:
    assert vocabulary().without_closing("Vielen Dank") is None
    assert vocabulary().without_closing("Kindergeld danke") is None
    assert vocabulary().without_closing("Wer zahlt die Miete?") is None


def test_every_language_lists_greetings_and_closings() -> None:
    for path in FILES:
        data = read_yaml(path)
        assert data.get("greetings") and data.get("closings"), path.name
