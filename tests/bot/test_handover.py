"""Hand-over to the desk, staff replies, hand-back, check-in from the chat and turn reminders.

Real kiosk API (with its notification dispatcher), action server and Rasa server; the client talks
on Rasa's socket.io channel, so pushes from the kiosk API are really received on the client's
channel.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import requests
import socketio
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from servers import (
    BOT_TOKEN,
    JWT_SECRET,
    handover_response,
    stored_strings,
)

from bot.actions import checkin
from bot.actions.checkin import ActionCheckIn, ActionTurnReminder, ValidateCheckinForm
from bot.actions.handover import ActionHandover, ActionSessionStart, ActionStaffReply
from bot.nlg.catalogs import all_catalogs
from bot.runtime.masking import MASK

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
BASE = json.loads((Path(__file__).parent / "trackers" / "base.json").read_text())
# The `desk` login and the `translation` packages (servers.AR_DE, DE_AR) come from conftest.py.
CLIENT_MESSAGE = "أحتاج موعدا جديدا شكرا"
STAFF_REPLY = "Bitte Ausweis mitbringen"


def lead(key: str, language: str) -> str:
    """The catalog text of a response up to its first placeholder."""
    return all_catalogs()[language][key].split("{")[0].strip()


# --- live conversations on socket.io ------------------------------------------------------------


class Chat:
    """A client on Rasa's socket.io channel: session_request, user_uttered, bot_uttered."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_id = f"sio-{uuid.uuid4().hex}"
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.confirmed = asyncio.Event()
        self.client.on("bot_uttered", self.received.append)
        self.client.on("session_confirm", lambda _: self.confirmed.set())

    async def __aenter__(self) -> Chat:
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["websocket"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.disconnect()

    def texts(self, since: int = 0) -> str:
        return "\n".join(m.get("text") or "" for m in self.received[since:])

    async def expect(self, check: Callable[[str], bool], since: int, timeout: float = 60) -> str:
        """Waits until the bot messages received since `since` satisfy `check`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(self.texts(since)):
                return self.texts(since)
            await asyncio.sleep(0.2)
        raise AssertionError(
            f"no such bot message within {timeout} s; received:\n{self.texts(since)}"
        )

    async def say(self, message: str, expected: str, timeout: float = 60) -> str:
        mark = len(self.received)
        await self.client.emit("user_uttered", {"message": message, "session_id": self.session_id})
        return await self.expect(lambda text: expected in text, mark, timeout)


def call(method: str, url: str, **kwargs: Any) -> Any:
    response = requests.request(method, url, timeout=30, **kwargs)
    assert response.status_code < 400, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def in_thread(method: str, url: str, **kwargs: Any) -> Any:
    return await asyncio.to_thread(call, method, url, **kwargs)


async def poll(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(fetch)
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.3)


def inbox_conversation(api: str, desk: dict[str, str], conversation_id: str) -> dict | None:
    listed = [
        c
        for c in call("GET", f"{api}/api/v1/staff/inbox", headers=desk)
        if c["conversation_id"] == conversation_id
    ]
    return (
        call("GET", f"{api}/api/v1/staff/inbox/{listed[0]['id']}", headers=desk) if listed else None
    )


def test_hand_over_to_the_desk_and_back_on_socketio(rasa_server, kiosk_api, desk, translation):
    ar = "ar"

    async def conversation() -> None:
        async with Chat(rasa_server) as chat:
            await chat.say("مرحبا، أحتاج مساعدة من فضلك", lead("utter_disclosure", ar))
            opening = await in_thread("GET", f"{kiosk_api}/api/v1/opening-status")
            await chat.say("/human_handover", lead(handover_response(opening), ar))
            assert (
                call("GET", f"{kiosk_api}/api/v1/handovers/{chat.session_id}", headers=BOT)[
                    "status"
                ]
                == "open"
            )

            # The bot stays quiet: the message only reaches the staff inbox, in German with the
            # original.
            mark = len(chat.received)
            await chat.client.emit(
                "user_uttered", {"message": CLIENT_MESSAGE, "session_id": chat.session_id}
            )
            found = await poll(
                lambda: inbox_conversation(kiosk_api, desk, chat.session_id),
                lambda c: bool(c and c["messages"]),
            )
            assert found is not None and found["language"] == ar
            [message] = found["messages"]
            assert message["sender"] == "client"
            assert message["german"]["original"] == CLIENT_MESSAGE
            assert (
                message["german"]["machine_translated"] is True
                and "brauche" in message["german"]["text"]
            )
            await asyncio.sleep(2)
            assert chat.texts(mark) == "", "the bot must not answer while the desk holds the chat"

            # A German reply reaches the same socket.io session in Arabic, labelled as coming from
            # the staff.
            mark = len(chat.received)
            replied = await in_thread(
                "POST",
                f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/reply",
                headers=desk,
                json={"text": STAFF_REPLY},
            )
            in_arabic = replied["messages"][-1]["client_language"]
            assert in_arabic["machine_translated"] is True and in_arabic["text"] != STAFF_REPLY
            text = await chat.expect(lambda t: in_arabic["text"] in t, mark)
            assert lead("utter_staff_reply_machine_translated", ar) in text and STAFF_REPLY in text

            # Handing back: the bot says so, then answers normal messages again.
            mark = len(chat.received)
            await in_thread(
                "POST", f"{kiosk_api}/api/v1/staff/inbox/{found['id']}/close", headers=desk
            )
            await chat.expect(lambda t: lead("utter_handover_ended", ar) in t, mark)
            handover = await asyncio.to_thread(
                requests.get,
                f"{kiosk_api}/api/v1/handovers/{chat.session_id}",
                headers=BOT,
                timeout=30,
            )
            assert handover.status_code == 404
            await chat.say("/greet", all_catalogs()[ar]["utter_greet"])

    asyncio.run(conversation())


def say(rasa: str, sender: str, message: str) -> str:
    messages = call(
        "POST", f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": message}
    )
    return "\n".join(m.get("text") or "" for m in messages)


def test_a_person_is_asked_for_in_the_middle_of_the_pre_registration(rasa_server, kiosk_api, desk):
    de = all_catalogs()["de"]
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    say(rasa_server, sender, "/start_registration")
    assert de["utter_ask_given_name"] in say(rasa_server, sender, "/affirm")
    assert "Jobcenter" in say(
        rasa_server, sender, "/human_handover"
    )  # the hand-over replaces the form
    assert call("GET", f"{kiosk_api}/api/v1/handovers/{sender}", headers=BOT)["status"] == "open"
    assert say(rasa_server, sender, "Amal") == ""  # not a name for the form: a message for the desk
    conversation = inbox_conversation(kiosk_api, desk, sender)
    assert conversation is not None and [
        m["german"]["original"] for m in conversation["messages"]
    ] == ["Amal"]
    call("POST", f"{kiosk_api}/api/v1/staff/inbox/{conversation['id']}/close", headers=desk)
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )
    deadline = (
        time.monotonic() + 30
    )  # the hand-back is pushed into the conversation by the dispatcher
    while time.monotonic() < deadline:
        state = call(
            "GET",
            f"{rasa_server}/conversations/{sender}/tracker",
            headers={"Authorization": f"Bearer {token}"},
        )
        if state["slots"]["handover_active"] is False:
            break
        time.sleep(0.3)
    assert state["slots"]["handover_active"] is False and state["slots"]["given_name"] is None
    assert de["utter_ask_given_name"] in say(
        rasa_server, sender, "/start_registration"
    )  # the pre-registration resumes


def test_a_new_session_keeps_the_desk_conversation(rasa_server, kiosk_api, desk):
    """After 120 idle minutes Rasa starts a new session: while the desk holds the chat, the bot
    stays quiet."""
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )
    admin = {"Authorization": f"Bearer {token}"}
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    say(rasa_server, sender, "/greet")
    say(rasa_server, sender, "/human_handover")
    # Rasa's HTTP API runs the session start as an expired session would.
    call(
        "POST",
        f"{rasa_server}/conversations/{sender}/execute",
        headers=admin,
        json={"name": "action_session_start"},
    )
    state = call("GET", f"{rasa_server}/conversations/{sender}/tracker", headers=admin)
    kinds = [e["event"] for e in state["events"]]
    session = state["events"][len(kinds) - 1 - kinds[::-1].index("session_started") :]
    assert {"event": "active_loop", "name": "handover_form"}.items() <= next(
        e for e in session if e["event"] == "active_loop"
    ).items()
    assert session[-1]["event"] == "action" and session[-1]["name"] == "action_listen"
    assert (
        state["active_loop"]["name"] == "handover_form"
        and state["slots"]["handover_active"] is True
    )
    assert say(rasa_server, sender, "Ist noch jemand da?") == ""
    conversation = inbox_conversation(kiosk_api, desk, sender)
    assert conversation is not None and [
        m["german"]["original"] for m in conversation["messages"]
    ] == ["Ist noch jemand da?"]
    call("POST", f"{kiosk_api}/api/v1/staff/inbox/{conversation['id']}/close", headers=desk)


def test_a_push_sent_again_is_shown_once(rasa_server):
    """The kiosk API sends a push again when Rasa answered too late or died before answering: the
    chat shows each push id once, also after a new session."""
    admin = {
        "Authorization": "Bearer "
        + jwt.encode({"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, "HS256")
    }
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    say(rasa_server, sender, '/choose_language{"language": "de"}')

    def push(intent: str, push_id: int, **values: Any) -> str:
        answer = call(
            "POST",
            f"{rasa_server}/conversations/{sender}/trigger_intent",
            headers=admin,
            json={"name": intent, "entities": {**values, "push_id": push_id}},
        )
        return "\n".join(m.get("text") or "" for m in answer.get("messages") or [])

    reply = {"text": STAFF_REPLY, "original": STAFF_REPLY, "machine_translated": False}
    assert STAFF_REPLY in push("EXTERNAL_staff_reply", 7001, **reply)
    assert push("EXTERNAL_staff_reply", 7001, **reply) == ""
    assert "Termin" in push(
        "EXTERNAL_staff_reply", 7002, **{**reply, "text": "Termin", "original": "Termin"}
    )
    called = {"ticket_number": "042", "desk": "7"}
    assert "042" in push("EXTERNAL_ticket_called", 7003, **called)
    call(
        "POST",
        f"{rasa_server}/conversations/{sender}/execute",
        headers=admin,
        json={"name": "action_session_start"},
    )
    assert push("EXTERNAL_ticket_called", 7003, **called) == ""
    assert push("EXTERNAL_staff_reply", 7001, **reply) == ""


def test_a_new_session_after_the_desk_closed_the_chat_ends_the_quiet(kiosk_api):
    state = tracker(
        {"handover_active": True, "language": "fr"}
    )  # no hand-over open for this conversation
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), state, {}))
    assert events[0]["event"] == "session_started" and (
        events[-1]["event"],
        events[-1]["name"],
    ) == ("action", "action_listen")
    assert not any(e["event"] == "active_loop" for e in events)
    assert [e["value"] for e in events if e["event"] == "slot" and e["name"] == "handover_active"][
        -1
    ] is False
    assert {"event": "slot", "name": "language", "value": "fr"}.items() <= next(
        e for e in events if e.get("name") == "language"
    ).items()


def clear_queue(api: str, desk: dict[str, str]) -> None:
    """Earlier tests' arrivals leave, so the positions below are this test's own."""
    for entry in call("GET", f"{api}/api/v1/staff/queue", headers=desk):
        if entry["status"] in ("waiting", "called", "handed_over"):
            call("POST", f"{api}/api/v1/staff/tickets/{entry['id']}/no-show", headers=desk)


def new_record(api: str, language: str, conversation_id: str | None = None) -> dict:
    """A record as consent in a chat creates it (`conversation_id`), or as if made elsewhere."""
    notice = call("GET", f"{api}/api/v1/consent/notice", params={"language": language})
    body = {"language": language, "notice_version": notice["version"], "channel": "web_chat"}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return call("POST", f"{api}/api/v1/consents", headers=BOT, json=body)


def test_check_in_from_the_chat_and_turn_reminders(rasa_server, kiosk_api, desk, servers):
    fr = "fr"
    receipt = new_record(kiosk_api, fr)
    code = receipt["reference_code"]

    async def conversation() -> None:
        clear_queue(kiosk_api, desk)
        for _ in range(3):  # three walk-ins for the same team arrive first
            call(
                "POST",
                f"{kiosk_api}/api/v1/checkins",
                json={"walk_in": {"language": "ar", "concern": "other"}},
            )
        async with Chat(rasa_server) as chat:
            await chat.say('/choose_language{"language": "fr"}', lead("utter_language_set", fr))
            await chat.say("/check_in", lead("utter_ask_checkin_code", fr))
            await chat.say("12", lead("utter_invalid_reference_code", fr))
            typed = f"{code[:2].lower()}-{code[2:6].lower()} {code[6:]}"  # as people type it
            await chat.say(typed, lead("utter_ask_checkin_pin", fr))
            checked_in = await chat.say(receipt["pin"], lead("utter_checked_in", fr))
            [entry] = [
                e
                for e in call("GET", f"{kiosk_api}/api/v1/staff/queue", headers=desk)
                if (e.get("intake") or {}).get("reference_code") == code
            ]
            number = entry["display_number"]
            assert number in checked_in and " 3 " in checked_in  # three people before this client

            mark = len(chat.received)
            call(
                "POST",
                f"{kiosk_api}/api/v1/staff/queue/call-next",
                headers=desk,
                json={"desk": "1", "service_code": entry["service_code"]},
            )
            near = await chat.expect(lambda t: lead("utter_ticket_near", fr) in t, mark)
            assert number in near and "place 3" in near
            for desk_name in ("2", "3"):
                call(
                    "POST",
                    f"{kiosk_api}/api/v1/staff/queue/call-next",
                    headers=desk,
                    json={"desk": desk_name, "service_code": entry["service_code"]},
                )
            mark = len(chat.received)
            call(
                "POST",
                f"{kiosk_api}/api/v1/staff/queue/call-next",
                headers=desk,
                json={"desk": "7", "service_code": entry["service_code"]},
            )
            called = await chat.expect(lambda t: lead("utter_ticket_called", fr) in t, mark)
            assert number in called and "guichet 7" in called
            assert lead("utter_ticket_near", fr) not in chat.texts(mark), (
                "the near reminder comes once"
            )
            # The PIN typed for check-in served one call: the tracker store keeps it masked.
            stored = stored_strings(servers.workdir / "rasa" / "tracker.db", chat.session_id)
            assert MASK in stored and not any(receipt["pin"] in text for text in stored)

    asyncio.run(conversation())


# --- the actions on their own, against the real kiosk API ----------------------------------------


def tracker(
    slots: dict[str, Any] | None = None, sender: str | None = None, **latest: Any
) -> Tracker:
    state = copy.deepcopy(BASE)
    state["sender_id"] = sender or f"unit-{uuid.uuid4().hex[:12]}"
    state["slots"].update(slots or {})
    state["latest_message"].update(latest)
    return Tracker.from_dict(state)


def run(action: Any, state: Tracker) -> tuple[list[dict], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_reference_codes_and_pins_as_people_type_them():
    assert (
        checkin.reference_code("lt-7k3m 9qxp") == "LT7K3M9QXP"
        and checkin.reference_code("LT-ESKJ-VEPQ") == "LTESKJVEPQ"
    )
    assert checkin.reference_code("hello") is None and checkin.reference_code("12") is None
    assert (
        checkin.pin("١٢٣ ٤٥٦") == "123456"
        and checkin.pin("12345") is None
        and checkin.pin("abcdef") is None
    )
    dispatcher = CollectingDispatcher()
    assert ValidateCheckinForm().validate_checkin_pin("12", dispatcher, tracker(), {}) == {
        "checkin_pin": None
    }
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_pin"]


def test_hand_over_action_opens_the_desk_conversation(kiosk_api):
    state = tracker({"language": "uk"})
    messages, slots = run(ActionHandover(), state)
    assert slots == {"handover_active": True}
    assert [m["response"] for m in messages][0] in (
        "utter_handover_open",
        "utter_handover_closed_hours",
        "utter_handover_no_hours",
    )
    opened = call("GET", f"{kiosk_api}/api/v1/handovers/{state.sender_id}", headers=BOT)
    assert opened["status"] == "open"
    if messages[0]["response"] == "utter_handover_closed_hours":
        assert messages[0]["next_opening_datetime"] == opened["opening"]["next_opening_at"]


def test_unreachable_desk_is_said_honestly(kiosk_api, monkeypatch):
    from tests.support.ports import free_port

    monkeypatch.setenv("LOTSE_API_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    messages, slots = run(ActionHandover(), tracker())
    assert [m["response"] for m in messages] == ["utter_handover"] and slots == {
        "handover_active": False
    }


def test_staff_replies_are_labelled_by_how_they_were_translated():
    def reply(language: str, **values: Any) -> dict:
        entities = [{"entity": k, "value": v} for k, v in values.items()]
        [message] = run(
            ActionStaffReply(),
            tracker(
                {"language": language}, intent={"name": "EXTERNAL_staff_reply"}, entities=entities
            ),
        )[0]
        return message

    translated = reply("ar", text="رجاء", original="Bitte", machine_translated=True)
    assert (
        translated["response"] == "utter_staff_reply_machine_translated"
        and translated["original_text"] == "Bitte"
    )
    assert (
        reply("ar", text="Bitte", original="Bitte", machine_translated=False)["response"]
        == "utter_staff_reply_untranslated"
    )
    assert (
        reply("de", text="Bitte", original="Bitte", machine_translated=False)["response"]
        == "utter_staff_reply"
    )


def test_turn_reminders_carry_number_position_and_desk():
    near = tracker(
        intent={"name": "EXTERNAL_ticket_near"},
        entities=[{"entity": "ticket_number", "value": "004"}, {"entity": "position", "value": 3}],
    )
    called = tracker(
        intent={"name": "EXTERNAL_ticket_called"},
        entities=[{"entity": "ticket_number", "value": "004"}, {"entity": "desk", "value": "5"}],
    )
    [message] = run(ActionTurnReminder(), near)[0]
    assert (message["response"], message["ticket_number"], message["position"]) == (
        "utter_ticket_near",
        "004",
        3,
    )
    [message] = run(ActionTurnReminder(), called)[0]
    assert (message["response"], message["ticket_number"], message["desk"]) == (
        "utter_ticket_called",
        "004",
        "5",
    )


def test_check_in_uses_the_conversations_record_or_asks(kiosk_api, desk):
    messages, slots = run(ActionCheckIn(), tracker())
    assert messages == [] and slots == {"checkin_needs_code": True}

    receipt = new_record(kiosk_api, "de")
    wrong = tracker(
        {
            "checkin_code": receipt["reference_code"],
            "checkin_pin": "000000" if receipt["pin"] != "000000" else "111111",
        }
    )
    messages, slots = run(ActionCheckIn(), wrong)
    assert [m["response"] for m in messages] == ["utter_checkin_wrong_code"]
    assert slots == {"checkin_needs_code": False, "checkin_code": None, "checkin_pin": None}

    # The chat that gave consent checks its record in by itself: no PIN in its slots.
    sender = f"unit-{uuid.uuid4().hex[:12]}"
    receipt = new_record(kiosk_api, "de", conversation_id=sender)
    state = tracker({"consent": "given", "reference_code": receipt["reference_code"]}, sender)
    messages, slots = run(ActionCheckIn(), state)
    assert [m["response"] for m in messages][0] in ("utter_checked_in", "utter_checked_in_next")
    assert slots["checkin_needs_code"] is False
    [entry] = [
        e
        for e in call("GET", f"{kiosk_api}/api/v1/staff/queue", headers=desk)
        if (e.get("intake") or {}).get("reference_code") == receipt["reference_code"]
    ]
    assert messages[0]["ticket_number"] == entry["display_number"]
    again, _ = run(ActionCheckIn(), state)  # a second check-in gives the same ticket
    assert again[0]["ticket_number"] == entry["display_number"]
