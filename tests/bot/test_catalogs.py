"""Every response and button title the bot can show has text in en and de; rendering never leaks
keys."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.lang.languages import BOT_LANGUAGES
from bot.nlg import GettextNLG
from bot.nlg.catalogs import all_catalogs, read_catalog
from bot.nlg.render import fill, render

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
LANGUAGES_WITH_NLU = sorted(p.name for p in (ROOT / "bot" / "data" / "nlu").iterdir() if p.is_dir())


def used_keys() -> set[str]:
    keys = set(DOMAIN.responses)
    for variations in DOMAIN.responses.values():
        for variation in variations:
            keys.update(button["title"] for button in variation.get("buttons") or [])
    return keys


def test_template_lists_every_key_in_the_domain():
    with open(ROOT / "locales" / "bot.pot", "rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert used_keys() <= template


@pytest.mark.parametrize("language", ["en", "de"])
def test_source_and_default_language_have_every_key(language):
    catalog = read_catalog(ROOT / "locales" / language / "LC_MESSAGES" / "bot.po")
    with open(ROOT / "locales" / "bot.pot", "rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert sorted(template - set(catalog)) == []


@pytest.mark.parametrize("language", LANGUAGES_WITH_NLU)
def test_every_language_with_nlu_data_has_complete_responses(language):
    catalog = all_catalogs()[language]
    missing = sorted(key for key in all_catalogs()["en"] if key not in catalog)
    assert missing == [], f"{language} lacks {missing[:5]}"


def test_placeholders_match_english():
    en = all_catalogs()["en"]
    for language, catalog in all_catalogs().items():
        for key, text in catalog.items():
            assert set(_fields(text)) == set(_fields(en[key])), (language, key)


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_fallback_is_visible_english_then_german_never_the_key(monkeypatch):
    # fa_AF (Dari) only overrides some keys: the rest comes from Persian, not from the raw key.
    message = render("utter_greet", "fa_AF", DOMAIN.responses["utter_greet"][0], {}, {})
    assert message["text"] == all_catalogs()["fa"]["utter_greet"]
    monkeypatch.setitem(
        all_catalogs(), "so", {}
    )  # a served language whose catalog has no texts yet
    message = render("utter_greet", "so", DOMAIN.responses["utter_greet"][0], {}, {})
    assert message["text"] == all_catalogs()["en"]["utter_greet"]
    assert all(not b["title"].startswith("button.") for b in message["buttons"])


def test_missing_placeholder_renders_empty_not_braces():
    assert fill("Hello {name}!", {}) == "Hello !"


def test_dates_are_formatted_for_the_client_locale():
    kwargs = {"start_datetime": "2026-12-01T09:30:00+01:00", "booking_code": "TB-1"}
    de = render("utter_booked", "de", None, {}, kwargs)["text"]
    ar = render("utter_booked", "ar", None, {}, kwargs)["text"]
    assert "Dezember 2026" in de and "09:30" in de
    assert "٢٠٢٦" in ar and "ديسمبر" in ar  # Arabic-Indic digits for Syrian and Iraqi clients


def test_dynamic_buttons_use_native_language_names_and_payloads():
    message = render("utter_choose_language", "en", None, {}, {"language_buttons": True})
    titles = {b["title"] for b in message["buttons"]}
    assert {"Deutsch", "العربية", "English"} <= titles
    assert len(message["buttons"]) == len(BOT_LANGUAGES)
    assert all(b["payload"].startswith("/choose_language{") for b in message["buttons"])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fa", "پنجشنبه ۳ دسامبر"),  # Persian digits and CLDR's own order, no Latin comma
        ("ar", "الخميس، ٣ ديسمبر"),
        ("de", "Donnerstag, 3. Dezember"),
        ("en", "Thursday, December 3"),
        ("ps", "۳"),
    ],
)
def test_day_buttons_are_written_as_the_client_reads_dates(language, expected):
    message = render("utter_choose_day", language, None, {}, {"days": ["2026-12-03"]})
    assert expected in message["buttons"][0]["title"]
    assert message["buttons"][0]["payload"] == '/inform{"day": "2026-12-03"}'


OFFICE = {
    "code": "solingen",
    "name": "Jobcenter Solingen",
    "street": "Mummstraße 11",
    "postcode": "42651",
    "city": "Solingen",
    "phone": None,
    "opening_hours": [
        {"weekday": 3, "opens": "14:00", "closes": "17:30"},
        {"weekday": 0, "opens": "08:00", "closes": "12:30"},
        {"weekday": 3, "opens": "08:00", "closes": "12:30"},
    ],
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Montag: 08:00–12:30\nDonnerstag: 08:00–12:30 und 14:00–17:30"),
        (
            "en",
            "Monday: 8:00\u202fAM–12:30\u202fPM\n"
            "Thursday: 8:00\u202fAM–12:30\u202fPM and 2:00\u202fPM–5:30\u202fPM",
        ),
        ("fa", "دوشنبه: ۸:۰۰–۱۲:۳۰\nپنجشنبه: ۸:۰۰–۱۲:۳۰ و ۱۴:۰۰–۱۷:۳۰"),
    ],
)
def test_the_office_is_named_with_its_address_and_opening_hours_in_the_client_locale(
    language, expected
):
    message = render("utter_site_found", language, None, {}, {"office": OFFICE})["text"]
    assert "Jobcenter Solingen\nMummstraße 11\n42651 Solingen" in message
    assert expected in message and "☎" not in message


def test_an_office_without_hours_says_to_ask_there():
    office = dict(OFFICE, opening_hours=None, phone="0212 290-0")
    message = render("utter_site_found", "de", None, {}, {"office": office})["text"]
    assert "☎ 0212 290-0" in message
    assert all_catalogs()["de"]["value.no_opening_hours"] in message


def test_site_buttons_carry_the_site_code():
    sites = [{"code": "solingen", "name": "Jobcenter Solingen"}]
    message = render("utter_choose_site", "ar", None, {}, {"sites": sites})
    assert message["buttons"] == [
        {"title": "Jobcenter Solingen", "payload": '/inform{"site_code": "solingen"}'}
    ]


def test_label_values_are_translated():
    kwargs = {
        "given_name": "Amal",
        "family_name": "X",
        "birth_date": "1990-12-31",
        "phone": "value.skipped",
        "residence_label": "residence.duldung",
        "concern": "value.skipped",
    }
    text = render("utter_intake_summary", "fr", None, {}, kwargs)["text"]
    assert (
        "non indiqué" in text
        and "Duldung" in text
        and "value." not in text
        and "31 décembre 1990" in text
    )


def _tracker(language: str | None, spoken: bool) -> DialogueStateTracker:
    events = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    if language:
        events.append(SlotSet("language", language))
    if spoken:
        events.append(BotUttered("hi"))
    return DialogueStateTracker.from_events("t", events, slots=DOMAIN.slots)


def test_nlg_says_it_is_automated_in_the_first_message_only():
    nlg = GettextNLG(domain=DOMAIN)
    first = asyncio.run(nlg.generate("utter_greet", _tracker("ar", False), "rest"))
    later = asyncio.run(nlg.generate("utter_greet", _tracker("ar", True), "rest"))
    disclosure = all_catalogs()["ar"]["utter_disclosure"].split("{")[0]
    assert first["text"].startswith(disclosure)
    assert not later["text"].startswith(disclosure)
    assert later["text"] == all_catalogs()["ar"]["utter_greet"]
    assert first["direction"] == "rtl"
    assert [b["title"] for b in later["buttons"]][0] == all_catalogs()["ar"]["button.register"]


def test_default_language_is_german():
    nlg = GettextNLG(domain=DOMAIN)
    message = asyncio.run(nlg.generate("utter_goodbye", _tracker(None, True), "rest"))
    assert message["text"] == all_catalogs()["de"]["utter_goodbye"]
