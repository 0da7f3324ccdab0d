"""Telegram end to end: Lotse's Telegram channel (bot/channels/telegram.py) in the session's real
Rasa server, with the real action server and kiosk API, against a local stand-in of the Bot API
(tests/support/standins/telegram.py) that records what Lotse sends; updates arrive as Telegram
delivers them, with the webhook secret.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests
import yaml
from servers import BOT_TOKEN, JWT_SECRET, handover_response, stored_strings

from bot.channels import telegram as channel
from bot.channels.text import MEDIA_NOT_SUPPORTED
from bot.lang.languages import BOT_LANGUAGES
from bot.nlg.catalogs import all_catalogs
from bot.scripts import write_config
from tests.support.processes import ROOT
from tests.support.standins.telegram import (
    WEBHOOK_URL,
    TelegramChat,
    TelegramStandIn,
    post_update,
    texts,
    utf16_length,
)

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
ADMIN = {
    "Authorization": "Bearer "
    + jwt.encode({"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256")
}


@pytest.fixture(scope="module")
def telegram(rasa_server: str, servers: Any) -> TelegramStandIn:
    return servers.messengers.running["telegram"]


def lead(key: str, language: str) -> str:
    """The catalog text of a response up to its first placeholder."""
    return all_catalogs()[language][key].split("{")[0].strip()


def data(payload: str) -> Callable[[dict[str, Any]], bool]:
    """A button by its callback data."""
    return lambda button: button["callback_data"] == payload


def data_starting(prefix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda button: button["callback_data"].startswith(prefix)


def slots(rasa: str, chat: TelegramChat) -> dict[str, Any]:
    tracker = requests.get(
        f"{rasa}/conversations/{chat.chat_id}/tracker", headers=ADMIN, timeout=30
    )
    tracker.raise_for_status()
    return tracker.json()["slots"]


def call(method: str, url: str, **kwargs: Any) -> Any:
    response = requests.request(method, url, timeout=120, **kwargs)
    assert response.status_code < 400, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def inbox_id(api: str, desk: dict[str, str], conversation_id: str) -> int:
    listed = [
        c
        for c in call("GET", f"{api}/api/v1/staff/inbox", headers=desk)
        if c["conversation_id"] == conversation_id
    ]
    assert listed, "the conversation is not in the desk's inbox"
    return listed[0]["id"]


# --- whole conversations -------------------------------------------------------------------------


PHRASES = {
    "ar": {
        "register": "أريد التسجيل في الجوب سنتر",
        "concern": "أحتاج مساعدة في طلب الإعانة",
        "book": "أحتاج موعدا من فضلك",
        "question": "ما هو البورغرغيلد بالضبط؟",
        "person": "أريد التحدث مع موظف",
        "to_desk": "أحتاج موعدا جديدا شكرا",
    },
    "de": {
        "register": "Ich möchte mich beim Jobcenter anmelden",
        "concern": "Ich möchte Grundsicherungsgeld beantragen",
        "book": "Ich hätte gern einen Termin",
        "question": "Was genau ist das Bürgergeld?",
        "person": "Ich möchte mit einem Menschen sprechen",
        "to_desk": "Ist noch jemand da?",
    },
}


def converse(
    telegram: TelegramStandIn,
    rasa: str,
    api: str,
    desk: dict[str, str],
    language: str,
    staff_reply: str,
) -> tuple[TelegramChat, str]:
    """/start in the client's Telegram language, consent, pre-registration, booking, an SGB II
    question, the hand-over and a staff reply pushed from the desk; returns the chat and the
    text the reply arrived as."""
    say = PHRASES[language]
    chat = TelegramChat(telegram, rasa, language_code=language)

    started = texts(chat.start())
    assert lead("utter_disclosure", language) in started
    assert lead("utter_language_set", language) in started
    assert slots(rasa, chat)["language"] == language

    notice = chat.say(say["register"])
    keyboard = notice[-1]["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [["/affirm"], ["/deny"]]
    assert lead("utter_ask_given_name", language) in texts(chat.tap(data("/affirm")))
    assert lead("utter_ask_family_name", language) in texts(chat.say("Amal"))
    assert lead("utter_ask_birth_date", language) in texts(chat.say("Haddad"))
    assert lead("utter_ask_phone", language) in texts(chat.say("31.12.1990"))
    residence = chat.tap(data("/skip"))
    assert lead("utter_ask_residence_status", language) in texts(residence)
    shown = [b["text"] for row in residence[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert all_catalogs()[language]["residence.permit_25_2"] in shown  # one button per row
    asked = chat.tap(data('/inform{"residence_status":"permit_25_2"}'))
    assert lead("utter_ask_concern_text", language) in texts(asked)
    assert "Amal" in texts(chat.say(say["concern"]))
    done = texts(chat.tap(data("/affirm")))
    reference = slots(rasa, chat)["reference_code"]
    assert reference and reference in done and re.search(r"PIN: \S+", done)

    days = chat.say(say["book"])
    assert days[-1]["reply_markup"]["inline_keyboard"]
    assert chat.tap(data_starting('/inform{"day":'))[-1]["reply_markup"]["inline_keyboard"]
    booked = texts(chat.tap(data_starting('/inform{"slot_id":')))
    booking_code = slots(rasa, chat)["booking_code"]
    assert booking_code and booking_code in booked.replace("-", "")  # shown as TB-J6E4-P24D

    answer = chat.say(say["question"])
    footer = all_catalogs()[language]["utter_topic_footer"].split("\n", 1)[1].split("{")[0]
    assert footer.strip() in texts(answer)
    assert "https://" in texts(chat.tap(data_starting("/topic_source")))

    opening = call("GET", f"{api}/api/v1/opening-status")
    assert lead(handover_response(opening), language) in texts(chat.say(say["person"]))
    conversation_id = str(chat.chat_id)
    assert call("GET", f"{api}/api/v1/handovers/{conversation_id}", headers=BOT)["status"] == "open"
    assert chat.say(say["to_desk"]) == []  # for the desk, and the bot stays quiet
    inbox = inbox_id(api, desk, conversation_id)
    conversation = call("GET", f"{api}/api/v1/staff/inbox/{inbox}", headers=desk)
    assert [m["german"]["original"] for m in conversation["messages"]] == [say["to_desk"]]

    # The desk's reply is pushed through trigger_intent?output_channel=telegram into this chat.
    replied = call(
        "POST",
        f"{api}/api/v1/staff/inbox/{inbox}/reply",
        headers=desk,
        json={"text": staff_reply},
    )
    in_client_language = replied["messages"][-1]["client_language"]["text"]
    arrived = chat.wait_for_text(lambda text: in_client_language[-200:] in text, timeout=120)
    call("POST", f"{api}/api/v1/staff/inbox/{inbox}/close", headers=desk)
    chat.wait_for_text(lambda text: lead("utter_handover_ended", language) in text)
    return chat, arrived


def test_an_arabic_conversation_on_telegram_with_a_long_staff_reply_split(
    telegram, rasa_server, kiosk_api, desk, translation
):
    # A long German reply, machine-translated, is shown with its original: over 4,096 characters.
    long_reply = " ".join(["Bitte Ausweis mitbringen."] * 150)
    chat, arrived = converse(telegram, rasa_server, kiosk_api, desk, "ar", long_reply)
    assert lead("utter_staff_reply_machine_translated", "ar") in arrived
    pushed = [
        m for m in telegram.sent_to(chat.chat_id) if "Ausweis" in m["text"] or "هوية" in m["text"]
    ]
    assert len(pushed) >= 2 and all(utf16_length(m["text"]) <= 4096 for m in pushed)
    assert "\n".join(m["text"] for m in pushed).count("Bitte Ausweis mitbringen.") == 150
    assert telegram.calls_of("answerCallbackQuery")


def test_a_german_conversation_on_telegram_with_check_in_and_turn_reminder(
    telegram, rasa_server, kiosk_api, desk
):
    chat, arrived = converse(
        telegram, rasa_server, kiosk_api, desk, "de", "Bitte bringen Sie Ihren Ausweis mit."
    )
    assert lead("utter_staff_reply", "de") in arrived and "Ausweis" in arrived

    # Check-in from the chat (this chat's own registration), then the desk calls: pushed here.
    for entry in call("GET", f"{kiosk_api}/api/v1/staff/queue", headers=desk):
        if entry["status"] in ("waiting", "called", "handed_over"):  # earlier tests' arrivals
            call("POST", f"{kiosk_api}/api/v1/staff/tickets/{entry['id']}/no-show", headers=desk)
    assert lead("utter_checked_in", "de") in texts(chat.say("Ich bin jetzt im Jobcenter"))
    reference = slots(rasa_server, chat)["reference_code"]
    [entry] = [
        e
        for e in call("GET", f"{kiosk_api}/api/v1/staff/queue", headers=desk)
        if (e.get("intake") or {}).get("reference_code") == reference
    ]
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "7", "service_code": entry["service_code"]},
    )
    called = chat.wait_for_text(lambda text: lead("utter_ticket_called", "de") in text)
    assert entry["display_number"] in called and "Schalter 7" in called


def test_a_reply_refused_by_flood_control_is_sent_after_the_wait(telegram, rasa_server):
    chat = TelegramChat(telegram, rasa_server, language_code="en")
    chat.start()
    refused = len(telegram.calls_of("sendMessage"))
    telegram.flood[chat.chat_id] = 1
    assert all_catalogs()["en"]["utter_greet"] in texts(chat.say("/greet"))
    assert chat.chat_id not in telegram.flood  # the first try was refused, the second sent
    assert len(telegram.calls_of("sendMessage")) - refused == 2


def test_an_update_telegram_delivers_again_is_handled_once(telegram, rasa_server, servers):
    chat = TelegramChat(telegram, rasa_server, language_code="en")
    chat.start()
    update = chat.message(text="Hello")
    assert chat.deliver(update)
    assert chat.deliver(update) == []
    with sqlite3.connect(servers.workdir / "rasa" / "tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'",
            (str(chat.chat_id),),
        ).fetchall()
    assert [json.loads(event)["text"] for (event,) in rows].count("Hello") == 1


# --- the door: secret, size, shape ---------------------------------------------------------------


def test_the_webhook_is_registered_with_its_secret_at_start(telegram, rasa_server):
    assert telegram.webhook["url"] == WEBHOOK_URL
    assert telegram.webhook["secret_token"] == telegram.webhook_secret
    assert json.loads(telegram.webhook["allowed_updates"]) == list(channel.ALLOWED_UPDATES)


def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_kept(telegram, rasa_server, servers):
    chat = TelegramChat(telegram, rasa_server, language_code="de")
    for secret in (None, "", "wrong-secret", telegram.webhook_secret + "x"):
        refused = post_update(rasa_server, chat.message(text="Hallo"), secret)
        assert refused.status_code == 403
    assert stored_strings(servers.workdir / "rasa" / "tracker.db", str(chat.chat_id)) == []
    assert telegram.sent_to(chat.chat_id) == []

    right = telegram.webhook_secret
    for body in (b"not json", b"[1, 2]", b'{"message": {"text": "no update id"}}'):
        malformed = requests.post(
            f"{rasa_server}/webhooks/telegram/webhook",
            data=body,
            headers={channel.SECRET_HEADER: right, "Content-Type": "application/json"},
            timeout=30,
        )
        assert malformed.status_code == 400
    huge = chat.message(text="x", entities=[{"type": "bold", "offset": 0, "length": 1}] * 4000)
    assert post_update(rasa_server, huge, right).status_code == 413
    assert stored_strings(servers.workdir / "rasa" / "tracker.db", str(chat.chat_id)) == []


def test_group_chats_are_not_served(telegram, rasa_server, servers):
    chat = TelegramChat(telegram, rasa_server, language_code="de")
    update = chat.message(text="Hallo")
    update["message"]["chat"]["type"] = "group"
    assert post_update(rasa_server, update, telegram.webhook_secret).status_code == 200
    assert stored_strings(servers.workdir / "rasa" / "tracker.db", str(chat.chat_id)) == []


# --- buttons, languages, media -------------------------------------------------------------------


def test_a_language_lotse_does_not_serve_gets_the_language_buttons_and_a_tap_is_answered(
    telegram, rasa_server
):
    chat = TelegramChat(telegram, rasa_server, language_code="pt-br")
    [offer] = chat.start()
    assert lead("utter_choose_language", "de") in offer["text"]  # the site's default language
    assert len(offer["reply_markup"]["inline_keyboard"]) == len(BOT_LANGUAGES)
    answered = len(telegram.calls_of("answerCallbackQuery"))

    switched = chat.tap(data('/choose_language{"language":"fa"}'))
    assert lead("utter_language_set", "fa") in texts(switched)
    [tapped] = telegram.calls_of("answerCallbackQuery")[answered:]
    assert telegram.callback_queries[tapped.params["callback_query_id"]] is True
    # The keyboard of the question answered is gone, so it cannot be answered twice.
    assert "reply_markup" not in telegram.messages[offer["message_id"]]
    assert slots(rasa_server, chat)["language"] == "fa"


def test_voice_notes_pictures_and_places_are_answered_in_the_client_language_and_not_kept(
    telegram, rasa_server, servers
):
    chat = TelegramChat(telegram, rasa_server, language_code="fa")
    chat.start()
    sent = {
        "voice": {"file_id": "VOICE-FILE-ID-1", "file_unique_id": "v1", "duration": 4},
        "photo": [{"file_id": "PHOTO-FILE-ID-1", "file_unique_id": "p1", "width": 9, "height": 9}],
        "sticker": {"file_id": "STICKER-FILE-ID-1", "file_unique_id": "s1", "type": "regular"},
        "location": {"latitude": 51.5136, "longitude": 7.4653},
        "contact": {"phone_number": "+4915112345678", "first_name": "Amal"},
        "document": {"file_id": "DOCUMENT-FILE-ID-1", "file_unique_id": "d1"},
    }
    for kind, content in sent.items():
        replies = chat.deliver(chat.message(**{kind: content}))
        assert texts(replies) == all_catalogs()["fa"]["utter_media_not_supported"], kind
    stored = " ".join(stored_strings(servers.workdir / "rasa" / "tracker.db", str(chat.chat_id)))
    assert MEDIA_NOT_SUPPORTED in stored
    for secret in ("FILE-ID", "+4915112345678", "51.5136"):
        assert secret not in stored


# --- the channel's pieces ------------------------------------------------------------------------


def every_button_payload() -> list[str]:
    """Every payload a Lotse button can carry: the domain's, and the data-made ones (days, times,
    languages, topics) at their longest."""
    payloads = [
        button["payload"]
        for path in (ROOT / "bot" / "domain").glob("*.yml")
        for variations in (yaml.safe_load(path.read_text()) or {}).get("responses", {}).values()
        for variation in variations
        for button in variation.get("buttons") or []
    ]
    topics = [path.name for path in (ROOT / "content" / "topics").iterdir()]
    payloads += ["/topic_more" + json.dumps({"topic": t}) for t in topics]
    payloads += ["/topic_source" + json.dumps({"topic": t}) for t in topics]
    payloads += [f"/ask_{t}" for t in topics]
    payloads += ["/inform" + json.dumps({"day": "2026-12-31"})]
    payloads += ["/inform" + json.dumps({"slot_id": str(2**63 - 1)})]
    payloads += ["/choose_language" + json.dumps({"language": c}) for c in BOT_LANGUAGES]
    return payloads


def test_every_lotse_button_fits_in_telegram_callback_data():
    payloads = every_button_payload()
    assert len(payloads) > 100
    for payload in payloads:
        assert channel.callback_data(payload) is not None, payload


def test_callback_data_is_compact_json_and_an_oversized_payload_is_refused():
    assert channel.callback_data('/inform{"day": "2026-12-05"}') == '/inform{"day":"2026-12-05"}'
    assert channel.callback_data("/affirm") == "/affirm"
    assert channel.callback_data("/inform" + json.dumps({"x": "y" * 60})) is None


def test_parts_are_counted_as_telegram_counts_them():
    emoji = "😀" * 3000  # 6,000 UTF-16 units
    parts = channel.message_parts(emoji)
    assert len(parts) == 2 and all(utf16_length(part) <= 4096 for part in parts)
    assert channel.message_parts("  ") == []


def test_updates_are_read_as_telegram_sends_them():
    private = {"id": 5, "type": "private"}
    start = {"update_id": 1, "message": {"chat": private, "text": "/start", "from": {}}}
    assert channel.read_update(start).text == "/choose_language"
    start["message"]["from"] = {"language_code": "uk"}
    assert channel.read_update(start).text == '/choose_language{"language": "uk"}'
    edited = {"update_id": 2, "edited_message": {"chat": private, "text": "Haddad"}}
    assert channel.read_update(edited) is None  # an edited answer is not the next answer
    pinned = {"update_id": 3, "message": {"chat": private, "pinned_message": {}}}
    assert channel.read_update(pinned) is None
    orphan = {"update_id": 4, "callback_query": {"id": "q", "data": "/affirm"}}
    assert channel.read_update(orphan) == channel.Incoming(0, None, "q")
    for malformed in ({}, {"update_id": "1"}, {"update_id": 1, "message": {"text": "x"}}):
        with pytest.raises(channel.MalformedUpdate):
            channel.read_update(malformed)


def test_credentials_name_lotse_s_channel_and_production_needs_the_secret(monkeypatch):
    monkeypatch.setenv("TELEGRAM_ACCESS_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_-")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")
    config = write_config.credentials()
    assert "telegram" not in config
    assert config[write_config.TELEGRAM_CHANNEL] == {
        "access_token": "123456:" + "A" * 35,
        "webhook_secret": "s3cret_-",
        "webhook_url": "",
        "api_url": "http://127.0.0.1:9",
    }
    from rasa.shared.utils.common import class_from_module_path

    built = class_from_module_path(write_config.TELEGRAM_CHANNEL).from_credentials(
        config[write_config.TELEGRAM_CHANNEL]
    )
    assert built.name() == "telegram" and built.secret_matches("s3cret_-")
    assert not built.secret_matches("s3cret_") and not built.secret_matches(None)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(write_config.TelegramSecretInvalid):
        write_config.credentials()
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    assert write_config.credentials()[write_config.TELEGRAM_CHANNEL]["webhook_secret"] == ""
    monkeypatch.setenv("LOTSE_ENVIRONMENT", "production")
    with pytest.raises(write_config.TelegramSecretInvalid):
        write_config.credentials()
