"""Issue 10, gap 2, end to end through real servers: a client registers in a chat, books, checks in
and is read by the desk (machine-translated); after they withdraw consent no trace is left in the
tracker store, the translation cache, the idempotency store, the notifications outbox or the logs.
The chat keeps no PIN meanwhile, and proves its own record and bookings by itself."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from servers import AR_DE, Servers, stored_strings
from test_e2e import say, shown_pin, texts, tracker

from bot.nlg.catalogs import all_catalogs
from bot.runtime.masking import MASK

CONCERN_WORDS = " ".join(AR_DE)  # "I need a new appointment, thanks", word for word


def a_token() -> str:
    """A name no other test uses, letters only (as a name is typed)."""
    return "Zq" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def rows(database: Path, query: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(query, params).fetchall()


def lead(key: str, language: str) -> str:
    return all_catalogs()[language][key].split("{")[0].strip()


def buttons(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def book_first_slot(rasa: str, sender: str) -> str:
    """Books the first free time the chat offers; returns the confirmation."""
    days = say(rasa, sender, "/book_appointment")
    times = say(rasa, sender, buttons(days)[0])
    return texts(say(rasa, sender, buttons(times)[0]))


def traces(servers: Servers, *, sender: str, token: str, reference: str) -> dict[str, int]:
    """How many rows of each store still name the client, their chat or their record."""
    api_db = servers.workdir / "lotse.db"
    tracker_db = servers.workdir / "rasa" / "tracker.db"
    like = f"%{token}%"
    return {
        "tracker events": len(
            rows(
                tracker_db, "SELECT id FROM events WHERE sender_id = ? OR data LIKE ?", sender, like
            )
        ),
        "translation cache": len(
            rows(
                api_db,
                "SELECT id FROM translation_cache "
                "WHERE source_text LIKE ? OR translated_text LIKE ?",
                like,
                like,
            )
        ),
        "idempotency store": len(
            rows(
                api_db,
                "SELECT id FROM idempotency_keys WHERE key LIKE ? OR response_body LIKE ? "
                "OR response_body LIKE ?",
                f"%{sender}%",
                f"%{reference}%",
                like,
            )
        ),
        "notifications outbox": len(
            rows(
                api_db,
                "SELECT id FROM notifications WHERE conversation_id = ? OR entities LIKE ?",
                sender,
                like,
            )
        ),
        "bookings linked to the chat": len(
            rows(api_db, "SELECT id FROM bookings WHERE conversation_id = ?", sender)
        ),
    }


def wait_until_pushed(servers: Servers, sender: str, timeout: float = 60) -> None:
    """The dispatcher has tried the chat's notifications, so none is on its way during erasure."""
    deadline = time.monotonic() + timeout
    query = (
        "SELECT COUNT(*) FROM notifications WHERE conversation_id = ? "
        "AND sent_at IS NULL AND attempts = 0"
    )
    while rows(servers.workdir / "lotse.db", query, sender)[0][0] and time.monotonic() < deadline:
        time.sleep(0.3)


def test_withdrawal_in_a_real_chat_leaves_no_trace(
    rasa_server: str, kiosk_api: str, servers: Servers, desk: dict[str, str], translation: None
) -> None:
    ar, token = "ar", a_token()
    sender = f"erase-{uuid.uuid4().hex[:12]}"
    say(rasa_server, sender, '/choose_language{"language": "ar"}')
    assert "/affirm" in buttons(say(rasa_server, sender, "/start_registration"))
    assert lead("utter_ask_given_name", ar) in texts(say(rasa_server, sender, "/affirm"))
    say(rasa_server, sender, "Amal")
    assert lead("utter_ask_birth_date", ar) in texts(say(rasa_server, sender, token))
    say(rasa_server, sender, "31.12.1990")
    say(rasa_server, sender, "/skip")
    say(rasa_server, sender, '/inform{"residence_status": "permit_25_2"}')
    assert token in texts(say(rasa_server, sender, f"{CONCERN_WORDS} {token}"))  # the summary
    done = texts(say(rasa_server, sender, "/affirm"))
    pin = shown_pin(done)
    reference = tracker(rasa_server, sender)["slots"]["reference_code"]

    # Later in the chat, the client acts on the record without typing a PIN: books and checks in.
    assert lead("utter_booked", ar) in book_first_slot(rasa_server, sender)
    queue = requests.get(f"{kiosk_api}/api/v1/staff/queue", headers=desk, timeout=30).json()
    for entry in queue:  # earlier tests' arrivals leave, so the next one called is this client
        if entry["status"] in ("waiting", "called", "handed_over"):
            requests.post(
                f"{kiosk_api}/api/v1/staff/tickets/{entry['id']}/no-show", headers=desk, timeout=30
            ).raise_for_status()
    checked_in = texts(say(rasa_server, sender, "/check_in"))
    assert lead("utter_checked_in_next", ar) in checked_in or lead("utter_checked_in", ar) in (
        checked_in
    )
    [entry] = [
        e
        for e in requests.get(f"{kiosk_api}/api/v1/staff/queue", headers=desk, timeout=30).json()
        if (e.get("intake") or {}).get("reference_code") == reference
    ]
    requests.post(
        f"{kiosk_api}/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "4", "service_code": entry["service_code"]},
        timeout=30,
    ).raise_for_status()
    # The desk reads the record: the concern is machine-translated into German (and cached).
    view = requests.get(
        f"{kiosk_api}/api/v1/staff/intakes/{entry['intake']['id']}", headers=desk, timeout=30
    )
    assert view.status_code == 200, view.text
    assert "Termin" in view.text and token in view.text
    wait_until_pushed(servers, sender)

    before = traces(servers, sender=sender, token=token, reference=reference)
    assert all(before.values()), before  # every store holds something of this client
    stored = stored_strings(servers.workdir / "rasa" / "tracker.db", sender)
    assert MASK in stored and not any(pin in text for text in stored)

    withdrawn = requests.post(
        f"{kiosk_api}/api/v1/consents/{reference}/withdraw",
        headers={"X-Lotse-Pin": pin},
        timeout=30,
    )
    assert withdrawn.status_code == 204, withdrawn.text

    after = traces(servers, sender=sender, token=token, reference=reference)
    assert not any(after.values()), after
    pin_alone = re.compile(rf"(?<!\d){pin}(?!\d)")
    for log in sorted(servers.workdir.rglob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert token not in text, f"{log.name} names the client"
        assert not pin_alone.search(text), f"{log.name} holds the PIN"


def test_an_anonymous_booking_made_in_the_chat_is_cancelled_in_the_chat(
    rasa_server: str, servers: Servers
) -> None:
    de = all_catalogs()["de"]
    sender = f"anon-{uuid.uuid4().hex[:12]}"
    say(rasa_server, sender, '/choose_language{"language": "de"}')
    say(rasa_server, sender, "/start_registration")
    assert de["utter_consent_refused"].split("{")[0][:40] in texts(
        say(rasa_server, sender, "/deny")
    )
    booked = book_first_slot(rasa_server, sender)
    pin = shown_pin(booked)  # the anonymous booking's PIN, shown once
    assert "booking_pin" not in tracker(rasa_server, sender)["slots"]
    asked = texts(say(rasa_server, sender, "/cancel_appointment"))
    assert lead("utter_ask_confirm_cancel", "de") in asked
    assert lead("utter_cancelled", "de") in texts(say(rasa_server, sender, "/affirm"))
    assert lead("utter_no_booking", "de") in texts(say(rasa_server, sender, "/my_appointment"))
    stored = stored_strings(servers.workdir / "rasa" / "tracker.db", sender)
    assert MASK in stored and not any(pin in text for text in stored)
