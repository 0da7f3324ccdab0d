"""SMS through Twilio (bot/channels/sms.py), end to end: a phone texts the real Rasa server through
a local stand-in of Twilio (tests/support/standins/twilio.py: signed webhook calls in, the Messages
API out), with the real action server and kiosk API; staff replies are pushed from the desk."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from servers import JWT_SECRET, handover_response, stored_strings
from twilio.request_validator import RequestValidator

from bot.channels import sms
from bot.channels.text import MEDIA_NOT_SUPPORTED
from bot.nlg.catalogs import all_catalogs
from tests.support.standins import twilio as twilio_stand_in
from tests.support.standins.twilio import Phone, TwilioStandIn

STAFF_REPLY = "Bitte Ausweis mitbringen"  # servers.DE_AR translates it word for word
PICTURE = ("https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1", "image/jpeg")


def lead(key: str, language: str) -> str:
    """A catalog text up to its first placeholder."""
    return all_catalogs()[language][key].split("{")[0].strip()


def flat(text: str) -> str:
    """Text without whitespace, punctuation as GSM-7 sends it: what survives a split into parts."""
    return re.sub(r"\s+", "", text.translate(sms.GSM7_LOOKALIKES))


def fits_one_sms(part: str) -> bool:
    if sms.is_gsm7(part):
        return sms.gsm7_length(part) <= sms.GSM7_PART
    return sms.ucs2_length(part) <= sms.UCS2_PART


class SmsClient:
    """A client's phone: texts Lotse and reads the SMS the Twilio stand-in was asked to send it."""

    def __init__(self, rasa_url: str, stand_in: TwilioStandIn) -> None:
        self.phone = Phone(rasa_url)
        self.stand_in = stand_in

    @property
    def number(self) -> str:
        return self.phone.number

    @property
    def conversation(self) -> str:
        """Lotse's conversation id of this phone."""
        return "sms_" + self.number.removeprefix("+")

    def received(self) -> list[str]:
        return self.stand_in.to(self.number)

    def say(self, body: str = "", **kwargs: Any) -> str:
        """Texts Lotse; the answer is sent before the webhook call returns."""
        mark = len(self.received())
        answer = self.phone.text(body, **kwargs)
        assert answer.status_code == 200, answer.text
        assert "<Response>" in answer.text
        return "\n".join(self.received()[mark:])

    def choose(self, reply: str, title: str) -> str:
        """Texts the number shown before `title` in a numbered list, as the phone shows it."""
        for line in reply.splitlines():
            found = re.match(r"^(\d+) (.*)$", line)
            if found and found.group(2) in (title, title.translate(sms.GSM7_LOOKALIKES)):
                return self.say(found.group(1))
        raise AssertionError(f"no choice {title!r} in:\n{reply}")

    def wait_for(self, since: int, expected: str, timeout: float = 60) -> str:
        parts = self.stand_in.wait_for(
            self.number, since, lambda text: flat(expected) in flat(text), timeout
        )
        return "\n".join(parts)


@pytest.fixture(scope="module")
def stand_in(rasa_server: str, servers: Any) -> TwilioStandIn:
    return servers.messengers.running["twilio"]


@pytest.fixture
def client(rasa_server: str, stand_in: TwilioStandIn) -> Iterator[SmsClient]:
    yield SmsClient(rasa_server, stand_in)


def admin_headers() -> dict[str, str]:
    token = jwt.encode(
        {"user": {"username": "tests", "role": "admin"}}, JWT_SECRET, algorithm="HS256"
    )
    return {"Authorization": f"Bearer {token}"}


def tracker(rasa: str, conversation_id: str) -> dict:
    answer = requests.get(
        f"{rasa}/conversations/{quote(conversation_id, safe='')}/tracker",
        headers=admin_headers(),
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def user_events(rasa: str, conversation_id: str) -> list[dict]:
    return [e for e in tracker(rasa, conversation_id)["events"] if e["event"] == "user"]


def call(method: str, url: str, **kwargs: Any) -> Any:
    answer = requests.request(method, url, timeout=30, **kwargs)
    assert answer.status_code < 400, f"{method} {url}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def desk_conversation(api: str, desk: dict[str, str], conversation_id: str) -> dict:
    """The desk's inbox conversation of this chat, once the client's message reached it."""
    deadline = time.monotonic() + 30
    while True:
        listed = [
            c
            for c in call("GET", f"{api}/api/v1/staff/inbox", headers=desk)
            if c["conversation_id"] == conversation_id
        ]
        if listed:
            found = call("GET", f"{api}/api/v1/staff/inbox/{listed[0]['id']}", headers=desk)
            if found["messages"]:
                return found
        assert time.monotonic() < deadline, "the client's SMS never reached the desk"
        time.sleep(0.3)


def handover_lead(api: str, language: str) -> str:
    return lead(handover_response(call("GET", f"{api}/api/v1/opening-status")), language)


# --- full conversations -----------------------------------------------------------------------


def register_and_book(client: SmsClient, language: str, texts: dict[str, str]) -> None:
    """Consent, pre-registration and booking, every choice made by texting its number."""
    catalog = all_catalogs()[language]
    notice = client.say(texts["register"])
    assert "1 " in notice or "١ " in notice
    asked = client.choose(notice, catalog["button.consent_yes"])
    assert flat(catalog["utter_ask_given_name"]) in flat(asked)
    assert flat(catalog["utter_ask_family_name"]) in flat(client.say("Amal"))
    assert flat(catalog["utter_ask_birth_date"]) in flat(client.say("Haddad"))
    phone_question = client.say("31.12.1990")
    assert flat(catalog["utter_ask_phone"]) in flat(phone_question)
    residence = client.choose(phone_question, catalog["button.skip"])
    assert flat(catalog["utter_ask_residence_status"]) in flat(residence)
    concern = client.choose(residence, catalog["residence.permit_25_2"])
    assert flat(catalog["utter_ask_concern_text"]) in flat(concern)
    summary = client.say(texts["concern"])
    assert "Amal" in summary and "Haddad" in summary
    done = client.choose(summary, catalog["button.confirm"])
    assert re.search(r"LT[0-9A-Z]{8}", done), done  # the reference code, by SMS

    days = client.say(texts["book"])
    times = client.say("1" if language == "de" else "١")  # the first day, in the phone's digits
    booked = client.say("1")  # the first time
    assert lead("utter_booked", language) in booked, f"{days}\n{times}\n{booked}"


def ask_and_reach_the_desk(
    client: SmsClient, rasa: str, api: str, desk: dict[str, str], language: str, texts: dict
) -> None:
    """An SGB II question, then a person: the desk's reply is pushed to the same phone."""
    catalog = all_catalogs()[language]
    answer = client.say(texts["question"])
    assert flat(catalog["note.topic_draft"]) in flat(answer)
    general = catalog["utter_topic_footer"].split("\n", 1)[1].split("{")[0]  # the Jobcenter decides
    assert flat(general) in flat(answer)

    assert flat(handover_lead(api, language)) in flat(client.say(texts["person"]))
    assert client.say(texts["to_desk"]) == ""  # the desk holds the chat: the bot stays quiet
    conversation = desk_conversation(api, desk, client.conversation)
    assert conversation["language"] == language
    assert [m["german"]["original"] for m in conversation["messages"]] == [texts["to_desk"]]
    assert user_events(rasa, client.conversation)[-1]["input_channel"] == "twilio"

    since = len(client.received())
    replied = call(
        "POST",
        f"{api}/api/v1/staff/inbox/{conversation['id']}/reply",
        headers=desk,
        json={"text": STAFF_REPLY},
    )
    shown = replied["messages"][-1]["client_language"]["text"]
    reply_key = "utter_staff_reply" if language == "de" else "utter_staff_reply_machine_translated"
    pushed = client.wait_for(since, lead(reply_key, language))
    assert flat(shown) in flat(pushed)

    since = len(client.received())
    call("POST", f"{api}/api/v1/staff/inbox/{conversation['id']}/close", headers=desk)
    client.wait_for(since, lead("utter_handover_ended", language))
    for part in client.received():
        assert fits_one_sms(part), part


def check_in_and_be_called(
    client: SmsClient, rasa: str, api: str, desk: dict[str, str], language: str, text: str
) -> None:
    """Check-in from the SMS chat; the desk's call is pushed to the same phone."""
    for entry in call("GET", f"{api}/api/v1/staff/queue", headers=desk):
        if entry["status"] in ("waiting", "called", "handed_over"):  # earlier tests' arrivals
            call("POST", f"{api}/api/v1/staff/tickets/{entry['id']}/no-show", headers=desk)
    checked_in = client.say(text)
    assert flat(lead("utter_checked_in_next", language)) in flat(checked_in)
    code = tracker(rasa, client.conversation)["slots"]["reference_code"]
    [entry] = [
        e
        for e in call("GET", f"{api}/api/v1/staff/queue", headers=desk)
        if (e.get("intake") or {}).get("reference_code") == code
    ]
    assert entry["display_number"] in checked_in
    since = len(client.received())
    call(
        "POST",
        f"{api}/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "7", "service_code": entry["service_code"]},
    )
    called = client.wait_for(since, lead("utter_ticket_called", language))
    assert entry["display_number"] in called


def test_a_full_conversation_by_sms_in_german(rasa_server, kiosk_api, desk, client):
    texts = {
        "register": "Ich möchte mich anmelden",
        "concern": "Ich möchte Grundsicherungsgeld beantragen",
        "book": "Ich hätte gern einen Termin",
        "question": "Was ist Grundsicherungsgeld?",
        "person": "Ich möchte mit einem Mitarbeiter sprechen",
        "to_desk": "Ich brauche einen neuen Termin",
    }
    register_and_book(client, "de", texts)
    ask_and_reach_the_desk(client, rasa_server, kiosk_api, desk, "de", texts)
    check_in_and_be_called(client, rasa_server, kiosk_api, desk, "de", "Ich bin angekommen")
    slots = tracker(rasa_server, client.conversation)["slots"]
    assert slots["language"] == "de" and slots["reference_code"] and slots["booking_code"]


def test_a_full_conversation_by_sms_in_arabic(rasa_server, kiosk_api, desk, translation, client):
    texts = {
        "register": "أريد التسجيل في الجوب سنتر",
        "concern": "أريد التقديم على البورغرغيلد",
        "book": "أحتاج موعدا من فضلك",
        "question": "ما هو البورغرغيلد بالضبط؟",
        "person": "أريد التحدث مع موظف",
        "to_desk": "أحتاج موعدا جديدا شكرا",
    }
    assert flat(lead("utter_disclosure", "ar")) in flat(client.say("مرحبا، أحتاج مساعدة من فضلك"))
    register_and_book(client, "ar", texts)
    ask_and_reach_the_desk(client, rasa_server, kiosk_api, desk, "ar", texts)
    assert tracker(rasa_server, client.conversation)["slots"]["language"] == "ar"


# --- the channel's rules ------------------------------------------------------------------------


def test_a_missing_or_wrong_signature_is_refused_and_nothing_kept(rasa_server, client):
    refused = [
        client.phone.text("Hallo", signature=""),  # none
        client.phone.text("Hallo", signature="bm90IGEgc2lnbmF0dXJl"),  # wrong
        # Signed for the address Rasa listens on, not the public one Twilio calls.
        client.phone.text(
            "Hallo",
            signature=RequestValidator(twilio_stand_in.AUTH_TOKEN).compute_signature(
                rasa_server + twilio_stand_in.WEBHOOK_PATH,
                twilio_stand_in.twilio_form(client.number, "Hallo", [], "SM" + "1" * 32),
            ),
            message_sid="SM" + "1" * 32,
        ),
    ]
    # A correct signature of another text: the body was changed on the way.
    form = twilio_stand_in.twilio_form(client.number, "Hallo", [], None)
    signature = RequestValidator(twilio_stand_in.AUTH_TOKEN).compute_signature(
        twilio_stand_in.PUBLIC_WEBHOOK_URL, form
    )
    form["Body"] = "/human_handover"
    refused.append(
        requests.post(
            rasa_server + twilio_stand_in.WEBHOOK_PATH,
            data=form,
            headers={"X-Twilio-Signature": signature},
            timeout=30,
        )
    )
    assert [answer.status_code for answer in refused] == [403, 403, 403, 403]
    assert user_events(rasa_server, client.conversation) == [] and client.received() == []


def test_malformed_or_oversized_deliveries_get_a_clear_refusal(rasa_server, client):
    form = {"Body": "Hallo", "AccountSid": twilio_stand_in.ACCOUNT_SID}  # no From, no MessageSid
    signature = RequestValidator(twilio_stand_in.AUTH_TOKEN).compute_signature(
        twilio_stand_in.PUBLIC_WEBHOOK_URL, form
    )
    answer = requests.post(
        rasa_server + twilio_stand_in.WEBHOOK_PATH,
        data=form,
        headers={"X-Twilio-Signature": signature},
        timeout=30,
    )
    assert answer.status_code == 400
    too_big = client.phone.text("a " * (sms.MAX_BODY_BYTES // 2 + 1))
    assert too_big.status_code == 413
    assert user_events(rasa_server, client.conversation) == []


def test_a_number_reply_picks_the_choice(rasa_server, client):
    de = all_catalogs()["de"]
    notice = client.say("Ich möchte mich anmelden")
    assert f"2 {de['button.consent_no']}" in notice and "Antworten Sie mit 1 oder 2." in notice
    assert flat(de["utter_consent_refused"]) in flat(client.say("2"))
    stored = user_events(rasa_server, client.conversation)[-1]
    assert stored["text"] == "/deny" and stored["parse_data"]["intent"]["name"] == "deny"
    # Without choices offered in the bot's last answer, a number is just text.
    client.say("Was ist Grundsicherungsgeld?")
    client.say("Danke")
    client.say("2")
    assert user_events(rasa_server, client.conversation)[-1]["text"] == "2"


def test_arabic_is_split_at_70_and_german_at_160_characters(rasa_server, stand_in):
    for language, first, limit in (
        ("ar", "أريد التسجيل في الجوب سنتر", sms.UCS2_PART),
        ("de", "Ich möchte mich anmelden", sms.GSM7_PART),
    ):
        client = SmsClient(rasa_server, stand_in)
        client.say(first)
        parts = client.received()
        assert len(parts) > 10  # the data-protection notice is long
        if language == "de":
            assert all(sms.is_gsm7(p) and sms.gsm7_length(p) <= limit for p in parts)
        else:
            assert all(sms.ucs2_length(p) <= limit for p in parts)
            assert not sms.is_gsm7("".join(parts))
        assert max(len(p) for p in parts) > limit - 15  # parts are filled, not cut short
        # Nothing lost or changed: the same answer over REST, in the same parts' order.
        rest = requests.post(
            f"{rasa_server}/webhooks/rest/webhook",
            json={"sender": f"rest-{uuid.uuid4().hex[:8]}", "message": first},
            timeout=60,
        ).json()
        assert flat("".join(m["text"] for m in rest)) in flat("".join(parts))


def test_a_picture_is_answered_in_the_clients_language_and_not_kept(rasa_server, servers, client):
    ar = all_catalogs()["ar"]
    client.say("مرحبا، أحتاج مساعدة من فضلك")
    answer = client.say("", media=[PICTURE])
    assert flat(ar["utter_media_not_supported"]) in flat(answer)
    assert user_events(rasa_server, client.conversation)[-1]["text"] == MEDIA_NOT_SUPPORTED
    # A picture with a question: the picture is declined, then the question answered.
    answer = client.say("ما هو البورغرغيلد بالضبط؟", media=[PICTURE])
    declined = flat(answer).find(flat(ar["utter_media_not_supported"]))
    assert 0 <= declined < flat(answer).find(flat(ar["note.topic_draft"]))
    stored = stored_strings(servers.workdir / "rasa" / "tracker.db", client.conversation)
    assert not any(PICTURE[0] in text or PICTURE[1] in text for text in stored)


def test_a_retried_delivery_is_processed_once(rasa_server, client):
    sid = "SM" + uuid.uuid4().hex
    first = client.say("Hallo", message_sid=sid)
    assert first
    assert client.say("Hallo", message_sid=sid) == ""  # Twilio's retry: answered, not processed
    assert [e["message_id"] for e in user_events(rasa_server, client.conversation)] == [sid]


# --- the channel's pieces, without servers -----------------------------------------------------


def test_the_signature_is_twilios():
    url = "https://lotse.example/webhooks/twilio/webhook"
    params = [("Body", "Hallo & tschüss"), ("From", "+4915112345678"), ("MediaUrl0", "b")]
    params += [("MediaUrl0", "a")]  # a repeated name: sorted by value too
    expected = RequestValidator("token").compute_signature(
        url, {"Body": "Hallo & tschüss", "From": "+4915112345678", "MediaUrl0": "x"}
    )
    assert sms.signature_valid("token", url, params[:2] + [("MediaUrl0", "x")], expected)
    assert sms.twilio_signature("token", url, params) == sms.twilio_signature(
        "token", url, list(reversed(params))
    )
    with_port = RequestValidator("token").compute_signature(
        "https://lotse.example:443/webhooks/twilio/webhook", dict(params[:2])
    )
    assert sms.signature_valid("token", url, params[:2], with_port)
    assert not sms.signature_valid("other", url, params[:2], expected)
    assert not sms.signature_valid("token", "", params[:2], expected)


def test_gsm7_and_ucs2_lengths():
    assert sms.is_gsm7("Grüße, Straße: 50 € [ok]") and sms.gsm7_length("€[]") == 6
    assert not sms.is_gsm7("Привет") and not sms.is_gsm7("مرحبا") and not sms.is_gsm7("ሰላም")
    assert sms.ucs2_length("😀") == 2
    assert sms.sms_parts("„Hallo“ – •") == ['"Hallo" - -']  # typographic marks as GSM-7 ones
    long_german = "Das ist ein Satz mit Umlauten: äöü. " * 20
    assert all(len(p) <= 160 for p in sms.sms_parts(long_german))
    assert len(sms.sms_parts(long_german)) == 5
    assert all(sms.ucs2_length(p) <= 70 for p in sms.sms_parts("ሰላም ለኩን። " * 30))


def test_choices_are_those_of_the_last_answer():
    def bot(*titles: str) -> BotUttered:
        buttons = [{"title": t, "payload": f"/{t}"} for t in titles]
        return BotUttered("question", {"buttons": buttons})

    client = UserUttered("hello")
    push = UserUttered("EXTERNAL: x", metadata={IS_EXTERNAL: True})
    answer = [client, bot("yes", "no"), bot(), bot("pause")]
    assert [b["title"] for b in sms.offered_choices(answer)] == ["yes", "no", "pause"]
    assert sms.chosen_payload("٣", sms.offered_choices(answer)) == "/pause"
    assert sms.chosen_payload(" 2. ", sms.offered_choices(answer)) == "/no"
    assert sms.chosen_payload("4", sms.offered_choices(answer)) is None
    assert sms.chosen_payload("2 apples", sms.offered_choices(answer)) is None
    # A push without buttons after the answer keeps its numbers; the client writing ends them.
    assert len(sms.offered_choices([*answer, push, bot(), ActionExecuted("x")])) == 3
    assert sms.offered_choices([*answer, UserUttered("Amal"), bot()]) == []
    assert [b["title"] for b in sms.offered_choices([*answer, push, bot("ok")])] == ["ok"]


def test_numbered_choices_in_the_clients_language():
    buttons = [{"title": "نعم", "payload": "/affirm"}, {"title": "لا", "payload": "/deny"}]
    text = sms.with_choices("هل توافق؟", buttons, 1, "ar")
    assert text.splitlines()[2:4] == ["١ نعم", "٢ لا"]
    assert text.splitlines()[-1] == all_catalogs()["ar"]["sms.reply_with_number"].format(
        numbers="١ أو ٢"
    )
    assert sms.numbers_phrase(1, 3, "de") == "1, 2 oder 3"
    assert sms.numbers_phrase(1, 13, "de") == "1–13"
