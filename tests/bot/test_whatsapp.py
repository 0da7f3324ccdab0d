"""WhatsApp end to end: a phone's messages, signed as Meta signs them, go into the real Rasa
server's WhatsApp channel (bot/channels/whatsapp.py, production code); what Lotse sends goes to the
local Graph API stand-in (tests/support/standins/whatsapp.py), which answers and refuses as Graph
does. Real action server and kiosk API; staff replies come from the desk through the kiosk API's
pushes.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.error
import urllib.request
from typing import Any

import jwt
import pytest
import requests
from servers import BOT_TOKEN, JWT_SECRET, model_path, stored_strings

from bot.channels import whatsapp as channel
from bot.channels.text import MEDIA_NOT_SUPPORTED
from bot.nlg import CLIENT_WROTE_AT
from bot.nlg.catalogs import all_catalogs
from tests.support.standins import whatsapp as wa

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
STAFF_REPLY = "Bitte Ausweis mitbringen"
DAY = 24 * 60 * 60


def lead(key: str, language: str) -> str:
    """The catalog text of a response up to its first placeholder or line break."""
    return all_catalogs()[language][key].split("{")[0].split("\n")[0].strip()


def call(method: str, url: str, **kwargs: Any) -> Any:
    response = requests.request(method, url, timeout=60, **kwargs)
    assert response.status_code < 400, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def admin_headers() -> dict[str, str]:
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )
    return {"Authorization": f"Bearer {token}"}


def tracker_events(rasa: str, sender: str) -> list[dict]:
    return call("GET", f"{rasa}/conversations/{sender}/tracker", headers=admin_headers())["events"]


def texts(sent: list[wa.Sent]) -> str:
    return "\n".join(m.text for m in sent)


class Phone:
    """One client's WhatsApp: what it sends reaches Rasa's webhook through Meta (signed); what
    Lotse sends to it is read from the stand-in. `sent_at` backdates its messages (the time WhatsApp
    says they were written) to pass the clock in."""

    def __init__(self, api: wa.WhatsAppStandIn, rasa: str, sent_at: float | None = None) -> None:
        self.api = api
        self.rasa = rasa
        self.wa_id = f"49151{random.randrange(10**7, 10**8)}"
        self.sent_at = sent_at

    def deliver(self, **message: Any) -> list[wa.Sent]:
        mark = self.api.mark()
        inbound = wa.message(self.wa_id, sent_at=self.sent_at, **message)
        assert wa.deliver(self.api, self.rasa, wa.update([inbound])) == 200
        return self.api.messages_to(self.wa_id, mark)

    def say(self, text: str, expected: str | None = None) -> list[wa.Sent]:
        sent = self.deliver(text=text)
        assert expected is None or expected in texts(sent), texts(sent)
        return sent

    def tap(self, sent: list[wa.Sent], payload_part: str, expected: str | None = None) -> list:
        """Taps the reply button or list row whose payload contains `payload_part`."""
        for message in reversed(sent):
            for choice_id, _ in message.choices:
                if payload_part in choice_id:
                    kind = message.body["interactive"]["type"]
                    reply = "button_reply" if kind == "button" else "list_reply"
                    answer = self.deliver(kind=reply, reply=choice_id)
                    assert expected is None or expected in texts(answer), texts(answer)
                    return answer
        raise AssertionError(f"no choice with {payload_part!r} in {[m.choices for m in sent]}")


@pytest.fixture(scope="module")
def phone_api(servers, rasa_server) -> wa.WhatsAppStandIn:
    return servers.messengers.running["whatsapp"]


def inbox_conversation(api: str, desk: dict[str, str], conversation_id: str) -> dict | None:
    listed = [
        c
        for c in call(
            "GET", f"{api}/api/v1/staff/inbox", params={"include_closed": True}, headers=desk
        )
        if c["conversation_id"] == conversation_id
    ]
    if not listed:
        return None
    return call("GET", f"{api}/api/v1/staff/inbox/{listed[-1]['id']}", headers=desk)


def clear_queue(api: str, desk: dict[str, str]) -> None:
    """Earlier tests' arrivals leave, so the desk's next call is this test's client."""
    for entry in call("GET", f"{api}/api/v1/staff/queue", headers=desk):
        if entry["status"] in ("waiting", "called", "handed_over"):
            call("POST", f"{api}/api/v1/staff/tickets/{entry['id']}/no-show", headers=desk)


def poll(fetch, check, timeout: float = 60) -> Any:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


# --- the webhook's door --------------------------------------------------------------------------


def test_the_webhook_verification_handshake(rasa_server, phone_api):
    url = f"{rasa_server}{wa.WEBHOOK_PATH}"
    asked = {"hub.mode": "subscribe", "hub.verify_token": wa.VERIFY_TOKEN, "hub.challenge": "8231"}
    answer = requests.get(url, params=asked, timeout=30)
    assert answer.status_code == 200 and answer.text == "8231"
    for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}):
        assert requests.get(url, params={**asked, **wrong}, timeout=30).status_code == 403


def test_unsigned_or_wrongly_signed_calls_are_refused_and_nothing_is_processed(
    rasa_server, phone_api
):
    phone = Phone(phone_api, rasa_server)
    body = json.dumps(wa.update([wa.message(phone.wa_id, text="Hallo")])).encode()
    mark = phone_api.mark()
    assert wa.post(rasa_server, body, {})[0] == 403
    assert (
        wa.post(rasa_server, body, {"X-Hub-Signature-256": wa.signature(body, "other")})[0] == 403
    )
    assert wa.post(rasa_server, body, {"X-Hub-Signature-256": "sha1=" + "0" * 40})[0] == 403
    assert wa.post(rasa_server, body, {"X-Hub-Signature-256": "sha256=ä"})[0] == 403
    other = json.dumps(wa.update([wa.message(phone.wa_id, text="Hallo!")])).encode()
    assert wa.post(rasa_server, body, {"X-Hub-Signature-256": wa.signature(other)})[0] == 403
    # Signed but not a WhatsApp update, or not JSON at all: refused as malformed.
    for malformed in (b"not json", b"[1, 2]", b'{"entry": 5}'):
        headers = {"X-Hub-Signature-256": wa.signature(malformed)}
        assert wa.post(rasa_server, malformed, headers)[0] == 400
    huge = json.dumps({"entry": [], "pad": "x" * (channel.MAX_WEBHOOK_BYTES + 1)}).encode()
    assert wa.post(rasa_server, huge, {"X-Hub-Signature-256": wa.signature(huge)})[0] == 413
    assert not [e for e in tracker_events(rasa_server, phone.wa_id) if e["event"] == "user"]
    assert phone_api.messages_to(phone.wa_id, mark) == []
    # Signed by Meta but odd inside: no crash; a message of no kind Lotse knows is still answered.
    odd = wa.update([{**wa.message(phone.wa_id), "type": "interactive", "interactive": "?"}])
    odd["entry"].append({"changes": "?"})
    assert wa.deliver(phone_api, rasa_server, odd) == 200
    [answer] = phone_api.messages_to(phone.wa_id, mark)
    assert lead("utter_media_not_supported", "de") in answer.text


def test_a_retried_delivery_is_processed_once(rasa_server, phone_api):
    phone = Phone(phone_api, rasa_server)
    inbound = wa.message(phone.wa_id, text="Guten Tag, ich brauche Hilfe beim Jobcenter")
    mark = phone_api.mark()
    for _ in range(3):  # Meta delivers again when it did not see our 200 in time
        assert wa.deliver(phone_api, rasa_server, wa.update([inbound])) == 200
    answers = phone_api.messages_to(phone.wa_id, mark)
    assert len(answers) >= 1 and texts(answers).count(lead("utter_disclosure", "de")) == 1
    users = [e for e in tracker_events(rasa_server, phone.wa_id) if e["event"] == "user"]
    assert [e["message_id"] for e in users] == [inbound["id"]]
    # A new message id is a new message.
    assert phone.say("Hallo") != []


def test_a_retry_reaching_another_rasa_instance_is_skipped_too(servers, rasa_server, phone_api):
    """A second Rasa server on the same tracker store (another instance, or the first one after a
    restart) gets Meta's retry: the stored message id says it was handled."""
    phone = Phone(phone_api, rasa_server)
    inbound = wa.message(phone.wa_id, text="Guten Tag, ich brauche Hilfe beim Jobcenter")
    assert wa.deliver(phone_api, rasa_server, wa.update([inbound])) == 200
    mark = phone_api.mark()
    other = servers.start_rasa(
        model_path(),
        name="rasa-whatsapp-2",
        stores={"LOTSE_TRACKER_DATABASE_URL": servers.tracker_url, **phone_api.env},
    )
    started = servers.processes[-1]
    try:
        assert wa.deliver(phone_api, other, wa.update([inbound])) == 200
        assert phone_api.messages_to(phone.wa_id, mark) == []
        assert phone_with(phone, other).say("Hallo") != []  # it serves new messages
    finally:
        started.stop()
        servers.processes.remove(started)
    users = [e for e in tracker_events(rasa_server, phone.wa_id) if e["event"] == "user"]
    assert [e["message_id"] for e in users].count(inbound["id"]) == 1


def phone_with(phone: Phone, rasa: str) -> Phone:
    """The same phone, its messages delivered to another Rasa server."""
    moved = Phone(phone.api, rasa, phone.sent_at)
    moved.wa_id = phone.wa_id
    return moved


# --- what clients send and what they get ---------------------------------------------------------


def test_voice_notes_and_other_media_are_answered_in_the_clients_language(
    rasa_server, phone_api, servers
):
    phone = Phone(phone_api, rasa_server)
    phone.say("مرحبا، السلام عليكم", lead("utter_disclosure", "ar"))
    answer = all_catalogs()["ar"]["utter_media_not_supported"]
    for kind in ("audio", "image", "video", "document", "sticker", "location", "contacts"):
        sent = phone.deliver(kind=kind)
        assert [m.text for m in sent] == [answer], kind
    stored = stored_strings(servers.workdir / "rasa" / "tracker.db", phone.wa_id)
    assert not any("media-" in s or "audio/ogg" in s or "51.51" in s for s in stored)
    users = [e for e in tracker_events(rasa_server, phone.wa_id) if e["event"] == "user"]
    assert {e["text"] for e in users[1:]} == {"/media_not_supported"}


def test_interactive_messages_within_whatsapps_limits():
    two = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nein", "payload": "/deny"}]
    [buttons] = channel.interactive_messages("Einverstanden?", two, "de")
    assert buttons["interactive"]["type"] == "button"
    long_title = "Aufenthaltserlaubnis nach § 25 Absatz 2 AufenthG"
    four = [*two, {"title": long_title, "payload": "/x"}, {"title": "D", "payload": "/y"}]
    [listed] = channel.interactive_messages("Welcher?", four, "de")
    action = listed["interactive"]["action"]
    assert listed["interactive"]["type"] == "list" and action["button"] == "Auswahl"
    row = action["sections"][0]["rows"][2]
    assert len(row["title"]) <= 24 and row["description"] == long_title
    twelve = [{"title": f"Sprache {i}", "payload": f"/l{i}"} for i in range(12)]
    first, second = channel.interactive_messages("ئ" * 1500, twelve, "ar")[-2:]
    assert [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in (first, second)] == [
        10,
        2,
    ]
    assert first["interactive"]["action"]["button"] == all_catalogs()["ar"]["whatsapp_list_button"]
    # A title over 20 letters makes even two buttons a list (the whole title stays readable).
    [wide] = channel.interactive_messages(
        "?", [two[0], {"title": long_title, "payload": "/x"}], "de"
    )
    assert wide["interactive"]["type"] == "list"


def test_what_rasa_gets_for_each_kind_of_whatsapp_message():
    phone = "4915100000001"
    assert channel.user_text(wa.message(phone, text="Hallo")) == "Hallo"
    assert channel.user_text(wa.message(phone, "list_reply", reply="/affirm")) == "/affirm"
    assert channel.user_text(wa.message(phone, "button_reply", reply="/deny")) == "/deny"
    template_button = {"type": "button", "button": {"payload": "/help", "text": "Hilfe"}}
    assert channel.user_text(template_button) == "/help"
    flow = {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {}}}
    for other in (wa.message(phone, "audio"), {"type": "unsupported"}, flow):
        assert channel.user_text(other) == MEDIA_NOT_SUPPORTED  # never dropped
    assert channel.user_text({"type": "reaction", "reaction": {"emoji": "👍"}}) is None


def test_the_nlg_tells_each_message_when_the_client_last_wrote():
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.nlg import client_wrote_at

    wrote = UserUttered("Hallo", metadata={"sent_at": 1_000.0}, timestamp=1_050.0)
    push = UserUttered.create_external("EXTERNAL_staff_reply")
    tracker = DialogueStateTracker.from_events("x", [wrote, push])
    assert (
        client_wrote_at(tracker) == 1_000.0
    )  # WhatsApp's time, not Rasa's; a push is not the client
    rest = DialogueStateTracker.from_events("y", [UserUttered("Hallo", timestamp=1_050.0)])
    assert client_wrote_at(rest) == 1_050.0
    # A new session holds no client message yet: the bot's last message carries the time over.
    later = DialogueStateTracker.from_events(
        "z", [BotUttered("…", metadata={CLIENT_WROTE_AT: 1_000.0}), push]
    )
    assert client_wrote_at(later) == 1_000.0
    assert client_wrote_at(DialogueStateTracker.from_events("n", [push])) is None


def test_the_24_hour_window_decides_with_the_clock_passed_in(phone_api):
    """The output channel alone against the stand-in, with a fixed clock: free-form inside the
    window, the client's language's template after it, held where no template can carry it."""
    settings = channel.WhatsAppSettings(
        access_token=wa.ACCESS_TOKEN,
        phone_number_id=wa.PHONE_NUMBER_ID,
        app_secret=wa.APP_SECRET,
        verify_token=wa.VERIFY_TOKEN,
        api_url=f"{phone_api.url}/{wa.VERSION}",
    )
    wrote = 1_767_225_600.0  # 1 Jan 2026, 00:00 UTC
    wa_id = f"49152{random.randrange(10**7, 10**8)}"
    phone_api.last_inbound[wa_id] = time.time()  # the stand-in's own window is open

    def send(hours_later: float, language: str, text: str = "Bitte Ausweis mitbringen.") -> list:
        output = channel.WhatsAppOutput(settings, clock=lambda: wrote + hours_later * 3600)
        mark = phone_api.mark()
        message = {"text": text, "language": language, CLIENT_WROTE_AT: wrote}
        asyncio.run(output.send_response(wa_id, message))
        return phone_api.messages_to(wa_id, mark)

    [inside] = send(23.9, "ar")
    assert inside.type == "text"
    [outside] = send(24.1, "ar", "سطر أول\nسطر ثان")
    template = outside.body["template"]
    assert (template["name"], template["language"]["code"]) == ("lotse_message", "ar")
    assert outside.text == "سطر أول · سطر ثان"  # Meta refuses line breaks in a parameter
    assert send(30, "ps") == [] and channel.template_for("ps") is None  # no Pashto template
    assert send(30, "de", "Lang. " * 300) == []  # longer than a template body takes


# --- whole conversations ------------------------------------------------------------------------


def booking_and_question(phone: Phone, language: str, book: str, question: str) -> None:
    days = phone.say(book)
    times = phone.tap(days, "/inform")
    booked = phone.tap(times, "slot_id", lead("utter_booked", language))
    assert booked
    answer = phone.say(question)
    assert all_catalogs()[language]["note.topic_draft"] in texts(answer), texts(answer)


def hand_over_and_staff_reply(
    phone: Phone, kiosk_api: str, desk: dict[str, str], ask: str, message: str, language: str
) -> dict:
    phone.say(ask)
    assert (
        call("GET", f"{kiosk_api}/api/v1/handovers/{phone.wa_id}", headers=BOT)["status"] == "open"
    )
    assert phone.say(message) == []  # the desk holds the chat: the bot stays quiet
    found = poll(
        lambda: inbox_conversation(kiosk_api, desk, phone.wa_id),
        lambda c: bool(c and c["messages"]),
    )
    assert found["messages"][-1]["german"]["original"] == message and found["language"] == language
    mark = phone.api.mark()
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/reply",
        headers=desk,
        json={"text": STAFF_REPLY},
    )
    [pushed] = phone.api.wait_for(phone.wa_id, lambda sent: bool(sent), mark)
    assert STAFF_REPLY in pushed.text and pushed.type == "text"
    # Meta reports the reply delivered, then read: the desk's view of the chat says so.
    for value in ("delivered", "read"):
        update = wa.update(statuses=[wa.status(phone.wa_id, pushed.wamid, value, time.time())])
        assert wa.deliver(phone.api, phone.rasa, update) == 200
    view = poll(
        lambda: inbox_conversation(kiosk_api, desk, phone.wa_id),
        lambda c: c["delivery_status"] == "read",
    )
    assert view["delivery_status"] == "read"
    return found


def test_a_whole_conversation_in_arabic_on_whatsapp(
    rasa_server, kiosk_api, desk, phone_api, translation
):
    ar = "ar"
    phone = Phone(phone_api, rasa_server)
    phone.say("مرحبا، السلام عليكم", lead("utter_disclosure", ar))
    notice = phone.say("أريد التسجيل في الجوب سنتر")
    assert notice[-1].type == "interactive"
    assert notice[-1].body["interactive"]["type"] == "button"  # two choices: reply buttons
    assert [title for _, title in notice[-1].choices] == [
        all_catalogs()[ar]["button.consent_yes"],
        all_catalogs()[ar]["button.consent_no"],
    ]
    phone.tap(notice, "/affirm", lead("utter_ask_given_name", ar))
    phone.say("Amal", lead("utter_ask_family_name", ar))
    phone.say("Haddad", lead("utter_ask_birth_date", ar))
    asked = phone.say("٣١.١٢.١٩٩٠", lead("utter_ask_phone", ar))
    residence = phone.tap(asked, "/skip")
    assert residence[-1].body["interactive"]["type"] == "list"  # more than three: a list
    concern = phone.tap(residence, "permit_25_2", lead("utter_ask_concern_text", ar))
    summary = phone.say("أريد التقديم على البورغرغيلد")
    assert "Amal" in texts(summary) and concern
    done = phone.tap(summary, "/affirm", lead("utter_intake_done", ar))
    slots = call(
        "GET", f"{rasa_server}/conversations/{phone.wa_id}/tracker", headers=admin_headers()
    )
    assert slots["slots"]["reference_code"] in texts(done)

    booking_and_question(phone, ar, "أحتاج موعدا من فضلك", "ما هو البورغرغيلد بالضبط؟")

    found = hand_over_and_staff_reply(
        phone, kiosk_api, desk, "أريد التحدث مع موظف", "أحتاج موعدا جديدا شكرا", ar
    )
    # A long reply, translated with the original beside it: split at WhatsApp's 4,096 letters.
    mark = phone.api.mark()
    long_reply = " ".join([f"{STAFF_REPLY}."] * 150)
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/reply",
        headers=desk,
        json={"text": long_reply},
    )
    parts = phone.api.wait_for(
        phone.wa_id, lambda sent: texts(sent).count(STAFF_REPLY) >= 150, mark
    )
    assert len(texts(parts)) > channel.TEXT_LIMIT and len(parts) >= 2
    assert all(m.type == "text" and len(m.text) <= channel.TEXT_LIMIT for m in parts)
    call("POST", f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/close", headers=desk)


def test_a_whole_conversation_in_german_on_whatsapp(rasa_server, kiosk_api, desk, phone_api):
    de = "de"
    phone = Phone(phone_api, rasa_server)
    phone.say("Guten Tag, ich brauche Hilfe beim Jobcenter", lead("utter_disclosure", de))
    notice = phone.say("Ich möchte mich anmelden")
    phone.tap(notice, "/affirm", lead("utter_ask_given_name", de))
    phone.say("Amal", lead("utter_ask_family_name", de))
    phone.say("Haddad", lead("utter_ask_birth_date", de))
    asked = phone.say("31.12.1990", lead("utter_ask_phone", de))
    residence = phone.tap(asked, "/skip")
    titles = [title for m in residence for _, title in m.choices]
    assert titles and all(len(title) <= channel.ROW_TITLE_MAX for title in titles)
    phone.tap(residence, "permit_25_2", lead("utter_ask_concern_text", de))
    summary = phone.say("Ich möchte Grundsicherungsgeld beantragen")
    done = phone.tap(summary, "/affirm", lead("utter_intake_done", de))
    assert "PIN" in texts(done)

    booking_and_question(phone, de, "Ich hätte gern einen Termin", "Was ist Grundsicherungsgeld?")
    # Check-in from the chat, then the desk calls: the turn reminder reaches the same WhatsApp chat.
    clear_queue(kiosk_api, desk)
    checked_in = phone.say("/check_in")
    assert lead("utter_checked_in_next", de)[:12] in texts(checked_in), texts(checked_in)
    reference = call(
        "GET", f"{rasa_server}/conversations/{phone.wa_id}/tracker", headers=admin_headers()
    )["slots"]["reference_code"]
    [entry] = [
        e
        for e in call("GET", f"{kiosk_api}/api/v1/staff/queue", headers=desk)
        if (e.get("intake") or {}).get("reference_code") == reference
    ]
    mark = phone_api.mark()
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "7", "service_code": entry["service_code"]},
    )
    called = phone_api.wait_for(
        phone.wa_id, lambda sent: lead("utter_ticket_called", de) in texts(sent), mark
    )
    assert entry["display_number"] in texts(called) and "Schalter 7" in texts(called)
    found = hand_over_and_staff_reply(
        phone,
        kiosk_api,
        desk,
        "Ich möchte mit einem Menschen sprechen",
        "Ist noch jemand da?",
        de,
    )
    call("POST", f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/close", headers=desk)


def test_after_the_window_a_staff_reply_goes_as_a_template_or_is_held(
    rasa_server, kiosk_api, desk, phone_api
):
    """The phone's messages say (as WhatsApp does) they were written 25 hours ago: the window is
    closed, so Lotse answers with the approved German template, and a reply no template can carry
    is held with the status the desk sees."""
    phone = Phone(phone_api, rasa_server, sent_at=time.time() - DAY - 3600)
    greeted = phone.say("Guten Tag, ich brauche Hilfe beim Jobcenter")
    assert {m.type for m in greeted} == {"template"}
    assert greeted[0].body["template"]["language"]["code"] == "de"
    assert lead("utter_disclosure", "de") in texts(greeted)
    phone.say("Ich möchte mit einem Menschen sprechen")
    phone.say("Ist noch jemand da?")
    found = poll(
        lambda: inbox_conversation(kiosk_api, desk, phone.wa_id),
        lambda c: bool(c and c["messages"]),
    )
    mark = phone_api.mark()
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/reply",
        headers=desk,
        json={"text": STAFF_REPLY},
    )
    [pushed] = phone_api.wait_for(phone.wa_id, lambda sent: bool(sent), mark)
    assert pushed.type == "template" and STAFF_REPLY in pushed.text
    assert pushed.body["template"]["name"] == "lotse_message"
    assert not [r for r in phone_api.refused if r["body"].get("to") == phone.wa_id]

    long_reply = " ".join(["Bitte bringen Sie den Ausweis und den Brief mit."] * 30)
    mark = phone_api.mark()
    call(
        "POST",
        f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/reply",
        headers=desk,
        json={"text": long_reply},
    )
    view = poll(
        lambda: inbox_conversation(kiosk_api, desk, phone.wa_id),
        lambda c: c["delivery_status"] == "held",
    )
    assert view["delivery_status"] == "held"
    assert phone_api.messages_to(phone.wa_id, mark) == []
    call("POST", f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/close", headers=desk)


def test_the_stand_in_answers_like_graph(phone_api):
    """The stand-in refuses what Graph refuses, so the channel's tests mean something."""
    request = urllib.request.Request(
        f"{phone_api.url}/{wa.VERSION}/{wa.PHONE_NUMBER_ID}/messages",
        data=json.dumps({"messaging_product": "whatsapp", "to": "491", "type": "text"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer wrong"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30)
    assert refused.value.code == 401


def test_the_credentials_name_the_channel_and_refuse_missing_secrets(monkeypatch):
    from rasa.core.run import _create_single_channel

    from bot.scripts import write_config

    for name in ("WHATSAPP_API_URL", "WHATSAPP_APP_SECRET", "LOTSE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "1234")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify")
    block = write_config.credentials()[write_config.WHATSAPP_CHANNEL]
    assert block["api_url"] == "https://graph.facebook.com/v21.0"
    with pytest.raises(ValueError, match="app_secret"):  # Rasa does not start without it
        _create_single_channel(write_config.WHATSAPP_CHANNEL, block)
    made = _create_single_channel(write_config.WHATSAPP_CHANNEL, {**block, "app_secret": "s"})
    assert made.name() == "whatsapp" and made.get_output_channel().name() == "whatsapp"
