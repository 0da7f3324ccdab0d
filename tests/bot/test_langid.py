"""Language identification: accuracy on one-sentence messages and the script and letter cues."""

from __future__ import annotations

import pytest

from bot.lang.detect import detect
from bot.scripts.langid_accuracy import evaluate


def test_accuracy_on_one_sentence_messages_is_at_least_97_percent():
    per_language, _ = evaluate(min_words=3)
    right = sum(r for r, _ in per_language.values())
    total = sum(t for _, t in per_language.values())
    assert total > 1000
    assert right / total >= 0.97
    for language, (r, t) in per_language.items():
        assert r / t >= 0.93, f"{language}: {r}/{t}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ሰላም፣ ቆጸራ ክሕዝ እደሊ", "ti"),  # Ethiopic script
        ("زه غواړم ځان ثبت کړم", "ps"),  # ړ ځ are Pashto letters
        ("دەمەوێت خۆم تۆمار بکەم", "ckb"),  # ێ ۆ: Sorani, not served: the bot asks
        ("میخواهم یک وقت بگیرم", "fa"),  # Persian letters
        ("أريد أن أحجز موعدا", "ar"),
        ("كيف يُسدَّد هذا القرض، وكم يُقتطع من الإعانة كل شهر؟", "ar"),  # harakat split no word
        ("من استم و تشکر از کمک تان", "fa_AF"),  # Dari wording
        ("Ez dixwazim xwe qeyd bikim", "ku"),
        ("Kayıt olmak istiyorum", "tr"),
        ("Я хочу записатися на прийом", "uk"),
        ("Je voudrais prendre un rendez-vous", "fr"),
        ("Was ist Bürgergeld?", "de"),
        ("What is Bürgergeld?", "en"),
        ("Що таке Bürgergeld?", "uk"),
        ("mafi masari hal shahr shu a3mel", "ar"),  # Arabizi: Arabic in Latin letters
        ("ana 3ayez a3raf el floos hatenzel emta", "ar"),
        ("kifash ndir demande dyal kindergeld l wlidi", "ar"),  # Moroccan Arabizi, no digits
        ("rani dayir bach nkhdem, kayn chi khedma?", "ar"),  # Algerian Arabizi, not French
        ("salam man chetor mitoonam dar jobcenter darkhast bedam", "fa"),  # Finglish
        ("madarek chi bayad biyaram", "fa"),
        ("hazine madrese bacha ro ki pardakht mikone", "fa"),  # Finglish cue words of Dec 2026
        ("zma paisey tsok warkawi", "ps"),  # Pashto in Latin letters
        ("paise me na dee raghali, sa okram", "ps"),
        ("سلام، چطور ده کورس زبان نام نویسی کنم", "fa"),  # Dari "ده" (in) is not Pashto
        ("الكلام ده صح ولا لا", "ar"),  # nor is Egyptian "ده" (this)
        ("شلون اگدر احچي وياهم باچر", "ar"),  # Iraqi گ چ: Arabic words decide, not letters
        ("شنو يعني البورگرگلد", "ar"),  # a German word written with گ
        # Gulf "برا" (outside) is not Persian "for" when Arabic words are there.
        ("نبي نروح العمرة ثلاث اسابيع، الجوب سنتر يظل يدفع لي وانا برا", "ar"),
        # Iraqi "وي" (with) is not Pashto.
        ("الموبايل انباك، شلون اضل على تواصل وي الجوب سنتر", "ar"),
        ("کار لرم خو پیسې نه لرم", "ps"),
        ("what does regelbedarf mean in my bescheid", "en"),  # office words say nothing
        ("selam kemey aleka, genzeb entay iyu", "ti"),  # Tigrinya in Latin letters
        ("kira gezey jobcenter kulu ykfelo do", "ti"),
        ("hji ab hamburg ale, nab kurs kikeyd yikealu do?", "ti"),
        # The question particle "do" after a verb counts; English "do" after a function word not.
        ("widerspruch ketsihf bla termin ykeal do?", "ti"),
        ("anwalt kostenlos abey alo", "ti"),  # "where is there …": cue words of the night
        # One cue word, and letter sequences that fit the language's Latin-letter lines best.
        ("krankenkasse kemey yirekb", "ti"),
        ("kemey gerey ab jobcenter yitsaHaf", "ti"),
        ("pa jobcenter ki mi kaghaz warkre", "ps"),
        ("my bescheid came today, what should i do?", "en"),
        ("bukra lazem aroo7 3a termin", "ar"),  # "aroo7": the digit after the letters
        ("Ana sayfa nerede", "tr"),  # one Arabizi-looking word is not enough
        # A long German word does not make an English or French sentence German: function words
        # decide.
        ("my landlord sent the Betriebskostenabrechnung, who has to pay it", "en"),
        ("they told me to bring my Schulbescheinigung, where do i get it", "en"),
        ("le Vermieter veut une Mietschuldenfreiheitsbescheinigung, je fais comment", "fr"),
        ("schulbescheinigung ne kadar gerek", "tr"),  # Turkish question words decide too
        # A town with umlauts and no German function word: English words and letters decide.
        ("they live in mönchengladbach", "en"),
        ("nebenkostenabrechnung bekommen, muss ich zahlen", "de"),
        ("sorry ich habe meine Email nicht bekommen, online Account Problem", "de"),
        ("kaarka ma hayo, gargaar ma helayaa", "so"),  # Somali "ma" is no French "ma"
        ("cima ew du mehan pas pere dixwazin", "ku"),  # nor Kurmanji "du" (two)
        ("pereye mehe hat kem, cima?", "ku"),  # Kurmanji typed without ê î û ç ş, not Turkish
        # lingua says German for a German word with umlauts: a Kurmanji cue word and letters decide.
        ("kündigung ji kar hat, niha çi dibe", "ku"),
        ("schülerausweis ji ku bistînim", "ku"),
    ],
)
def test_cues(text, expected):
    assert detect(text).language == expected


def test_button_payloads_and_empty_texts_are_not_identified():
    assert detect('/choose_language{"language":"ar"}').language is None
    assert detect("  ").language is None
    assert detect("12345").language is None
