from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from kiosk_api.config import get_settings
from kiosk_api.db import session_scope
from kiosk_api.models import AuditEvent, ConsentRecord, IntakeRecord
from tests.api.conftest import BOT_TOKEN, consent, pin_headers


def test_the_notice_comes_in_the_clients_language_and_direction(client) -> None:
    arabic = client.get("/api/v1/consent/notice", params={"language": "ar"}).json()
    german = client.get("/api/v1/consent/notice", params={"language": "de"}).json()
    assert arabic["language"] == "ar" and arabic["direction"] == "rtl"
    assert german["language"] == "de" and german["direction"] == "ltr"
    assert arabic["text"] != german["text"]
    assert {scope["code"] for scope in arabic["scopes"]} == {
        "foreigners_authority",
        "social_welfare",
    }


def test_an_unknown_language_gets_a_clear_error(client) -> None:
    response = client.get("/api/v1/consent/notice", params={"language": "xx"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_nothing_is_stored_before_consent(client) -> None:
    client.get("/api/v1/consent/notice", params={"language": "fa"})
    refused = client.post(
        "/api/v1/consents", json={"language": "fa", "notice_version": "0", "channel": "kiosk"}
    )
    assert (
        refused.status_code == 409 and refused.json()["error"]["code"] == "notice_version_outdated"
    )
    with session_scope() as session:
        assert session.scalar(select(func.count(IntakeRecord.id))) == 0


def test_consent_records_version_language_channel_and_scopes(client) -> None:
    receipt = consent(
        client,
        language="uk",
        channel="kiosk",
        scopes={"foreigners_authority": False, "social_welfare": True},
    )
    with session_scope() as session:
        record = session.scalar(select(IntakeRecord))
        [given] = record.consents
        assert (given.language, given.channel.value, given.notice_version) == (
            "uk",
            "kiosk",
            receipt["notice_version"],
        )
        assert (given.share_foreigners_authority, given.share_social_welfare) == (False, True)
        assert record.pin_hash != receipt["pin"] and receipt["pin"] not in record.pin_hash
        assert record.preferred_language == "uk"


def test_a_double_submitted_consent_opens_one_record(client) -> None:
    notice = client.get("/api/v1/consent/notice", params={"language": "ti"}).json()
    body = {"language": "ti", "notice_version": notice["version"], "channel": "kiosk"}
    first = client.post("/api/v1/consents", json=body, headers={"Idempotency-Key": "tap-1"})
    second = client.post("/api/v1/consents", json=body, headers={"Idempotency-Key": "tap-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    with session_scope() as session:
        assert session.scalar(select(func.count(IntakeRecord.id))) == 1


def test_withdrawing_consent_erases_record_and_conversation(client) -> None:
    tracker_path = get_settings().tracker_database_url.removeprefix("sqlite:///")
    with sqlite3.connect(tracker_path) as tracker:
        tracker.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT "
            "NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        tracker.executemany(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
            [
                ("conv-42", '{"text": "my name is Amina"}'),
                ("conv-42", '{"text": "born 1990"}'),
                ("someone-else", '{"text": "hi"}'),
            ],
        )
    receipt = consent(
        client,
        language="ar",
        conversation_id="conv-42",
        headers={"Authorization": f"Bearer {BOT_TOKEN}"},
    )
    response = client.post(
        f"/api/v1/consents/{receipt['reference_code']}/withdraw", headers=pin_headers(receipt)
    )
    assert response.status_code == 204
    with session_scope() as session:
        assert session.scalar(select(func.count(IntakeRecord.id))) == 0
        assert session.scalar(select(func.count(ConsentRecord.id))) == 0
        assert (
            session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "intake.erased")
            )
            == 1
        )
    with sqlite3.connect(tracker_path) as tracker:
        remaining = tracker.execute(
            "SELECT sender_id FROM events WHERE sender_id IN ('conv-42', 'someone-else')"
        ).fetchall()
        assert remaining == [("someone-else",)]


def test_only_the_bot_may_tie_a_record_to_a_conversation(client) -> None:
    """Erasure deletes the named conversation, so an anonymous caller must not name someone
    else's."""
    notice = client.get("/api/v1/consent/notice", params={"language": "ar"}).json()
    response = client.post(
        "/api/v1/consents",
        json={
            "language": "ar",
            "notice_version": notice["version"],
            "channel": "web_chat",
            "conversation_id": "123456789",
        },
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "bot_only"
    with session_scope() as session:
        assert session.scalar(select(func.count(IntakeRecord.id))) == 0
