"""Gap 2: the PIN sat in the chat's slots and in Rasa's stored messages, so the tracker store was a
list of reference codes with their PINs. Now the bot proves a chat's own record by its conversation
(trusted only from the bot's token), the PIN is shown once and stored masked, and withdrawing
consent erases the conversation. tests/bot/test_erasure_end_to_end.py follows every store (the
translation cache, the idempotency store, the outbox, the logs) through a withdrawal."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

import httpx

from tests.security.conftest import BOT_TOKEN, Stack, said

MASK = "••••••"  # bot/runtime/masking.py (the Rasa environment's module)
BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}


def record_of_a_chat(stack: Stack, conversation_id: str) -> dict:
    """A record as consent in that chat creates it (the bot's call)."""
    notice = httpx.get(
        f"{stack.api_url}/api/v1/consent/notice", params={"language": "de"}, timeout=30
    ).json()
    created = httpx.post(
        f"{stack.api_url}/api/v1/consents",
        headers=BOT,
        json={
            "language": "de",
            "notice_version": notice["version"],
            "channel": "web_chat",
            "conversation_id": conversation_id,
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return created.json()


def stored_texts(stack: Stack, sender: str) -> list[str]:
    """The string values of every event Rasa's tracker store keeps of one conversation."""

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for key, item in value.items() for s in [str(key), *strings(item)]]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        return []

    with sqlite3.connect(stack.var / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    return [text for (data,) in rows for text in strings(json.loads(data))]


def test_a_client_naming_the_conversation_gets_no_access(stack: Stack) -> None:
    chat = f"chat-{uuid.uuid4().hex}"
    code = record_of_a_chat(stack, chat)["reference_code"]
    record = f"{stack.api_url}/api/v1/intakes/{code}"
    # Someone who learned the chat's id (a shared link, a log) but has no bot token.
    as_client = httpx.get(record, headers={"X-Lotse-Conversation": chat}, timeout=30)
    assert as_client.status_code == 401
    assert as_client.json()["error"]["code"] == "pin_required"
    fresh_pin = httpx.post(
        f"{stack.api_url}/api/v1/consents/{code}/pin",
        headers={"X-Lotse-Conversation": chat},
        timeout=30,
    )
    assert fresh_pin.status_code == 403
    # The bot, for another chat than the one that made the record.
    other_chat = httpx.get(
        record, headers={**BOT, "X-Lotse-Conversation": f"chat-{uuid.uuid4().hex}"}, timeout=30
    )
    assert other_chat.status_code == 401
    assert other_chat.json()["error"]["code"] == "wrong_proof"
    # The honest path: the bot for the chat that made it.
    assert httpx.get(record, headers={**BOT, "X-Lotse-Conversation": chat}, timeout=30).is_success


def test_the_pin_is_shown_once_never_stored_and_withdrawal_erases_the_chat(stack: Stack) -> None:
    sender = f"register-{uuid.uuid4().hex[:12]}"
    stack.say(sender, '/choose_language{"language": "de"}')
    stack.say(sender, "/start_registration")
    assert said(stack.say(sender, "/affirm"), "utter_ask_given_name", "de")
    for answer in ("Amal", "Haddad", "31.12.1990", "/skip"):
        stack.say(sender, answer)
    stack.say(sender, '/inform{"residence_status": "permit_25_2"}')
    assert said(
        stack.say(sender, "Ich möchte Grundsicherungsgeld beantragen"), "utter_intake_summary", "de"
    )
    done = stack.say(sender, "/affirm")
    assert said(done, "utter_intake_done", "de")
    shown = re.search(r"PIN: (\d{6})", "\n".join(r.get("text") or "" for r in done))
    assert shown, done
    pin = shown.group(1)
    stored = stored_texts(stack, sender)
    assert MASK in stored and not any(pin in text for text in stored)
    code = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        headers={"Authorization": f"Bearer {stack.admin_token()}"},
        timeout=30,
    ).json()["slots"]["reference_code"]
    # The PIN shown works for the client; withdrawal with it erases the chat.
    assert httpx.get(
        f"{stack.api_url}/api/v1/intakes/{code}", headers={"X-Lotse-Pin": pin}, timeout=30
    ).is_success
    withdrawn = httpx.post(
        f"{stack.api_url}/api/v1/consents/{code}/withdraw", headers={"X-Lotse-Pin": pin}, timeout=30
    )
    assert withdrawn.status_code == 204, withdrawn.text
    assert stored_texts(stack, sender) == []
