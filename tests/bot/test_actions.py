"""Action unit tests: JSON trackers in, messages and events out, against a real kiosk API
process."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from servers import BOT_TOKEN

from bot.actions.api import kiosk
from bot.actions.booking import (
    ActionAskCancel,
    ActionBookSlot,
    ActionCancelBooking,
    ActionOfferDays,
    ActionShowBooking,
)
from bot.actions.consent import ActionConsentNotice, ActionGiveConsent, ActionRefuseConsent
from bot.actions.info import (
    PART_CHARACTERS,
    ActionAnswerTopic,
    ActionSuggestTopics,
    ActionTopicMore,
    ActionTopicSource,
    parts,
)
from bot.actions.language import ActionLanguageChosen
from bot.actions.registration import (
    ActionIntakeSummary,
    ActionRouting,
    ActionSkipField,
    ActionSubmitIntake,
    ValidateIntakeForm,
)

BASE = json.loads((Path(__file__).parent / "trackers" / "base.json").read_text())
# The bot's calls for this chat: its token, and the conversation that made the record or booking.
AS_THE_CHAT = {"Authorization": f"Bearer {BOT_TOKEN}", "X-Lotse-Conversation": BASE["sender_id"]}


def tracker(slots: dict[str, Any] | None = None, **latest: Any) -> Tracker:
    state = copy.deepcopy(BASE)
    state["slots"].update(slots or {})
    state["latest_message"].update(latest)
    return Tracker.from_dict(state)


def run(
    action: Any, state: Tracker, domain: dict | None = None
) -> tuple[list[dict], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, domain or {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages]


@pytest.fixture(scope="module")
def consented(kiosk_api: str) -> dict[str, Any]:
    """A record created through consent, as the conversation's slots hold it (no PIN)."""
    messages, slots = run(ActionConsentNotice(), tracker())
    _, given = run(ActionGiveConsent(), tracker({"notice_version": slots["notice_version"]}))
    return {"consent": "given", **given}


def test_consent_notice_comes_from_the_api_in_the_client_language(kiosk_api):
    messages, slots = run(ActionConsentNotice(), tracker({"language": "ar"}))
    assert responses(messages) == ["utter_consent_notice"]
    notice = requests.get(
        f"{kiosk_api}/api/v1/consent/notice", params={"language": "ar"}, timeout=10
    ).json()
    assert messages[0]["notice_text"] == notice["text"]
    assert slots["notice_version"] == notice["version"]


def test_consent_creates_a_record_the_chat_can_open(kiosk_api, consented):
    assert consented == {"consent": "given", "reference_code": consented["reference_code"]}
    record = requests.get(
        f"{kiosk_api}/api/v1/intakes/{consented['reference_code']}",
        headers=AS_THE_CHAT,
        timeout=10,
    )
    assert record.status_code == 200
    assert record.json()["status"] == "draft"


def test_refusal_stores_nothing():
    messages, slots = run(ActionRefuseConsent(), tracker())
    assert responses(messages) == ["utter_consent_refused"] and slots == {"consent": "refused"}


def test_form_validation_accepts_good_and_rejects_bad_answers():
    form = ValidateIntakeForm()
    dispatcher = CollectingDispatcher()
    state = tracker()
    assert form.validate_birth_date("31.12.1990", dispatcher, state, {}) == {
        "birth_date": "1990-12-31"
    }
    assert form.validate_birth_date("yesterday", dispatcher, state, {}) == {"birth_date": None}
    assert form.validate_phone("12", dispatcher, state, {}) == {"phone": None}
    assert form.validate_phone("__skipped__", dispatcher, state, {}) == {"phone": "__skipped__"}
    assert responses(dispatcher.messages) == ["utter_invalid_date", "utter_invalid_phone"]


def test_only_optional_fields_can_be_skipped():
    messages, slots = run(ActionSkipField(), tracker({"requested_slot": "phone"}))
    assert slots == {"phone": "__skipped__"} and responses(messages) == ["utter_skipped"]
    messages, slots = run(ActionSkipField(), tracker({"requested_slot": "given_name"}))
    assert slots == {} and responses(messages) == ["utter_cannot_skip"]


ANSWERS = {
    "given_name": "Amal",
    "family_name": "Haddad",
    "birth_date": "1990-12-31",
    "phone": "__skipped__",
    "residence_status": "permit_25_2",
    "concern_text": "Erstantrag",
}


def test_summary_shows_answers_and_labels():
    messages, _ = run(ActionIntakeSummary(), tracker(ANSWERS))
    assert messages[0]["response"] == "utter_intake_summary"
    assert messages[0]["phone"] == "value.skipped"
    assert messages[0]["residence_label"] == "residence.permit_25_2"


def test_submit_stores_the_record_and_shows_code_and_pin(kiosk_api, consented):
    messages, slots = run(ActionSubmitIntake(), tracker({**consented, **ANSWERS}))
    assert responses(messages) == ["utter_intake_done"]
    pin = messages[0]["pin"]
    assert messages[0]["reference_code"] == consented["reference_code"] and len(pin) == 6
    assert slots == {"intake_submitted": True}
    # The PIN shown opens the record for the client, without the bot.
    record = requests.get(
        f"{kiosk_api}/api/v1/intakes/{consented['reference_code']}",
        headers={"X-Lotse-Pin": pin},
        timeout=10,
    ).json()
    assert record["given_name"] == "Amal" and record["birth_date"] == "1990-12-31"
    assert record["residence_status"] == "permit_25_2" and record["phone"] is None
    assert record["status"] == "submitted"


def test_routing_and_tailored_documents(kiosk_api, consented):
    run(ActionSubmitIntake(), tracker({**consented, **ANSWERS}))
    messages, _ = run(ActionRouting(), tracker({**consented, **ANSWERS, "intake_submitted": True}))
    assert responses(messages) == ["utter_routing", "utter_documents_checklist"]
    assert messages[0]["service_name"] and messages[0]["reason"]
    assert "asylum_decision" in messages[1]["documents"]


def first_day_and_slot(state: Tracker) -> tuple[str, dict]:
    messages, _ = run(ActionOfferDays(), state)
    assert responses(messages) == ["utter_choose_day"], messages
    day = messages[0]["days"][0]
    messages, slots = run(
        ActionBookSlot(),
        tracker(
            dict(state.slots),
            text=day,
            intent={"name": "inform"},
            entities=[{"entity": "day", "value": day}],
        ),
    )
    assert responses(messages) == ["utter_choose_slot"], messages
    assert slots["day"] == day
    return day, messages[0]["slots"][0]


def test_anonymous_booking_show_and_cancel(kiosk_api):
    state = tracker({"consent": "refused"}, text="Termin", intent={"name": "book_appointment"})
    day, slot = first_day_and_slot(state)
    assert date.fromisoformat(day) >= date.today()
    choose = tracker(
        {"consent": "refused", "day": day},
        text="/inform",
        intent={"name": "inform"},
        entities=[{"entity": "slot_id", "value": str(slot["id"])}],
    )
    messages, slots = run(ActionBookSlot(), choose)
    assert responses(messages) == ["utter_booked_anonymous"]
    assert slots["booking_code"] and messages[0]["start_datetime"] == slot["starts_at"]
    assert len(messages[0]["pin"]) == 6 and "booking_pin" not in slots  # shown, not kept
    booked = {"booking_code": slots["booking_code"]}
    messages, _ = run(ActionShowBooking(), tracker(booked))
    assert responses(messages) == ["utter_your_appointment"]
    messages, _ = run(ActionAskCancel(), tracker(booked))
    assert responses(messages) == ["utter_ask_confirm_cancel"]
    messages, slots = run(ActionCancelBooking(), tracker(booked))
    assert responses(messages) == ["utter_cancelled"] and slots == {"booking_code": None}
    messages, _ = run(ActionShowBooking(), tracker(booked))
    assert responses(messages) == ["utter_no_booking"]
    # Nothing booked here: cancelling means an appointment the Jobcenter set, so the client learns
    # how.
    messages, slots = run(ActionAskCancel(), tracker(booked))
    assert responses(messages) == ["utter_no_booking", "utter_topic_answer", "utter_topic_footer"]
    assert slots == {"topic": "missed_appointment"}


def test_booking_with_a_record_is_found_by_when_is_my_appointment(kiosk_api, consented):
    state = tracker({**consented}, text="Termin", intent={"name": "book_appointment"})
    day, slot = first_day_and_slot(state)
    choose = tracker(
        {**consented, "day": day},
        intent={"name": "inform"},
        entities=[{"entity": "slot_id", "value": str(slot["id"])}],
    )
    messages, slots = run(ActionBookSlot(), choose)
    assert responses(messages) == ["utter_booked"]
    # A new chat knows only the record: the booking is found through it.
    messages, _ = run(ActionShowBooking(), tracker({**consented}))
    assert responses(messages) == ["utter_your_appointment"]


def test_a_typed_relative_day_is_understood(kiosk_api):
    messages, _ = run(
        ActionBookSlot(), tracker({"language": "en"}, text="blue sky", intent={"name": "inform"})
    )
    assert responses(messages)[0] == "utter_date_not_understood"


@pytest.mark.parametrize("language", ["de", "en", "ar", "fa", "fr"])
def test_topic_answer_is_the_summary_then_what_the_text_is_with_buttons(kiosk_api, language):
    state = tracker({"language": language}, intent={"name": "ask_grundsicherungsgeld"})
    messages, slots = run(ActionAnswerTopic(), state)
    item = requests.get(
        f"{kiosk_api}/api/v1/content/grundsicherungsgeld", params={"language": language}, timeout=10
    ).json()
    assert responses(messages) == ["utter_topic_answer", "utter_topic_footer"]
    assert messages[0]["title"] == item["title"] and messages[0]["summary"] == item["summary"]
    footer = messages[1]
    assert footer["valid_as_of_date"] == item["valid_as_of"]
    # No person has reviewed the drafts yet: the client is told so, and a translation says it is
    # one.
    assert footer["notes"][0] == ("note.topic_checked" if item["reviewed"] else "note.topic_draft")
    assert ("note.machine_translated" in footer["notes"]) == item["machine_translated"]
    payloads = [choice["payload"] for choice in footer["choices"]]
    assert payloads == [
        '/topic_more{"topic": "grundsicherungsgeld"}',
        "/ask_documents",
        "/book_appointment",
        '/topic_source{"topic": "grundsicherungsgeld"}',
    ]
    assert slots == {"topic": "grundsicherungsgeld"}


def test_an_answer_the_classifier_was_unsure_of_offers_the_two_next_topics(kiosk_api):
    ranking = [
        {"name": "ask_housing_costs", "confidence": 0.6},
        {"name": "ask_moving_house", "confidence": 0.3},
        {"name": "ask_household_energy", "confidence": 0.05},
    ]
    state = tracker(
        {"language": "de"},
        intent=ranking[0],
        intent_ranking=ranking,
        text="zahlt das jobcenter meine neue miete",
    )
    messages, _ = run(
        ActionAnswerTopic(),
        state,
        {"intents": ["ask_housing_costs", "ask_moving_house", "ask_household_energy"]},
    )
    payloads = [choice["payload"] for choice in messages[-1]["choices"]]
    assert (
        len(payloads) == 6
        and payloads[4] == "/ask_moving_house"
        and payloads[5].startswith("/ask_")
    )
    assert "/ask_housing_costs" not in payloads[4:]


def test_more_gives_every_key_point_in_messenger_sized_parts(kiosk_api):
    state = tracker(
        {"language": "de", "topic": "housing_costs"}, intent={"name": "topic_more"}, entities=[]
    )
    messages, _ = run(ActionTopicMore(), state)
    item = requests.get(
        f"{kiosk_api}/api/v1/content/housing_costs", params={"language": "de"}, timeout=10
    ).json()
    points = [m["point"] for m in messages]
    assert all(m["response"] == "utter_topic_point" for m in messages)
    assert " ".join(points).split() == " ".join(item["body"]).split()
    assert max(len(p) for p in points) <= PART_CHARACTERS
    assert "choices" in messages[-1] and all("choices" not in m for m in messages[:-1])


def test_a_clients_site_adds_its_own_key_points_and_sources(kiosk_api):
    state = tracker(
        {"language": "en", "topic": "free_advice", "site": "beispielstadt"},
        intent={"name": "topic_more"},
        entities=[],
    )
    messages, _ = run(ActionTopicMore(), state)
    assert "Musterstraße 5" in messages[-1]["point"]
    sources, _ = run(ActionTopicSource(), state)
    assert "https://beispielstadt.example/beratung" in sources[0]["sources"]
    elsewhere, _ = run(ActionTopicMore(), tracker({"language": "en", "topic": "free_advice"}))
    assert all("Musterstraße" not in m["point"] for m in elsewhere)


def test_a_long_point_is_cut_after_a_sentence():
    paragraph = "Erster Satz hier. " * 30 + "Letzter Satz."
    cut = parts(paragraph, limit=100)
    assert all(len(part) <= 100 for part in cut) and all(part.endswith(".") for part in cut)
    assert " ".join(cut).split() == paragraph.split()


def test_source_names_the_official_pages_and_the_topic_page(kiosk_api, monkeypatch):
    monkeypatch.setenv("LOTSE_PUBLIC_URL", "https://lotse.jobcenter.example")
    state = tracker(
        {"language": "fa"},
        intent={"name": "topic_source"},
        entities=[{"entity": "topic", "value": "objection"}],
    )
    messages, slots = run(ActionTopicSource(), state)
    assert responses(messages) == ["utter_topic_sources"]
    assert messages[0]["page_url"] == "https://lotse.jobcenter.example/info?lang=fa&topic=objection"
    assert "https://www.gesetze-im-internet.de/" in messages[0]["sources"]
    assert slots == {"topic": "objection"}


def test_unsure_offers_the_closest_three_topics(kiosk_api):
    parse = {"name": "nlu_fallback", "confidence": 0.3}
    ranking = [
        parse,
        {"name": "ask_housing_costs", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
    ]
    state = tracker(
        {"language": "en"},
        intent=parse,
        intent_ranking=ranking,
        text="the jobcenter and my landlord and the flat",
    )
    messages, _ = run(
        ActionSuggestTopics(),
        state,
        {"intents": ["ask_housing_costs", "ask_moving_house", "greet"]},
    )
    assert responses(messages) == ["utter_did_you_mean"]
    payloads = [choice["payload"] for choice in messages[0]["choices"]]
    assert payloads[0] == "/ask_housing_costs" and len(payloads) <= 4 and payloads[-1] == "/help"


def test_out_of_scope_is_said_honestly(kiosk_api):
    state = tracker(
        {"language": "en"},
        intent={"name": "out_of_scope", "confidence": 0.9},
        text="how do I change my driving licence",
    )
    messages, _ = run(ActionSuggestTopics(), state, {"intents": ["ask_housing_costs"]})
    assert responses(messages) == ["utter_out_of_scope"]


def test_unknown_topic_is_an_honest_no(kiosk_api):
    messages, _ = run(ActionAnswerTopic(), tracker(intent={"name": "ask_unknown_thing"}))
    assert responses(messages) == ["utter_topic_unavailable"]


def test_topic_answers_are_kept_for_a_short_time(kiosk_api, monkeypatch):
    from tests.support.ports import free_port

    state = tracker({"language": "de"}, intent={"name": "ask_duties"})
    first, _ = run(ActionAnswerTopic(), state)
    assert responses(first) == ["utter_topic_answer", "utter_topic_footer"]
    monkeypatch.setenv("LOTSE_API_URL", f"http://127.0.0.1:{free_port()}")  # the API is gone
    again, _ = run(ActionAnswerTopic(), state)
    assert again == first
    other, _ = run(
        ActionAnswerTopic(), tracker({"language": "de"}, intent={"name": "ask_objection"})
    )
    assert responses(other) == ["utter_topic_unavailable"]
    monkeypatch.setattr(kiosk, "CONTENT_TTL", 0.0)
    expired, _ = run(ActionAnswerTopic(), state)
    assert responses(expired) == ["utter_topic_unavailable"]


def test_api_down_is_said_plainly(kiosk_api, monkeypatch):
    from tests.support.ports import free_port

    monkeypatch.setenv("LOTSE_API_URL", f"http://127.0.0.1:{free_port()}")
    messages, slots = run(ActionConsentNotice(), tracker())
    assert responses(messages) == ["utter_service_unavailable"] and slots == {}


def test_a_language_choice_is_confirmed_and_an_unserved_one_offers_the_languages():
    """(The `language` slot itself is set inside Rasa: tests/bot/test_runtime.py.)"""
    chosen = tracker(
        {"language": "ar"},
        text="English please",
        intent={"name": "choose_language"},
        entities=[{"entity": "language", "value": "en"}],
    )
    messages, _ = run(ActionLanguageChosen(), chosen)
    assert responses(messages) == ["utter_language_set"]
    messages, _ = run(
        ActionLanguageChosen(), tracker(text="Chinese please", intent={"name": "choose_language"})
    )
    assert (
        responses(messages) == ["utter_choose_language"] and messages[0]["language_buttons"] is True
    )
