"""Bad input gets a clear JSON error with a stable code, never a 500, and loses or half-writes
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from kiosk_api.config import get_settings
from kiosk_api.db import get_engine, session_scope
from kiosk_api.models import AuditEvent, Booking, IdempotencyKey, IntakeRecord, Slot, StatisticEvent
from tests.api.conftest import BOT_TOKEN, consent, make_slot, pin_headers


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    return response.json()["error"]["code"]


def notice_version(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/consent/notice", params={"language": "en"}).json()["version"]


def record_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(IntakeRecord.id))) or 0


def oversize_consent(client) -> bytes:  # type: ignore[no-untyped-def]
    body = {
        "language": "en",
        "notice_version": notice_version(client),
        "channel": "kiosk",
        "conversation_id": "x" * 100,
    }
    padding = " " * (get_settings().max_body_bytes + 10)
    return json.dumps(body).encode()[:-1] + padding.encode() + b"}"


def test_body_over_the_limit_with_content_length_is_413(client) -> None:
    response = client.post(
        "/api/v1/consents",
        content=oversize_consent(client),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and error_code(response) == "payload_too_large"
    assert response.json()["error"]["details"]["max_bytes"] == get_settings().max_body_bytes
    assert record_count() == 0


def test_chunked_body_over_the_limit_without_content_length_is_413(client) -> None:
    payload = oversize_consent(client)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 8192):
            yield payload[start : start + 8192]

    response = client.post(
        "/api/v1/consents", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and error_code(response) == "payload_too_large"
    assert record_count() == 0


def test_a_body_under_the_limit_passes(client) -> None:
    body = json.dumps(
        {"language": "en", "notice_version": notice_version(client), "channel": "kiosk"}
    ).encode()
    response = client.post(
        "/api/v1/consents", content=body + b" " * 1000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"language": "en", "channel": "kiosk"',
        b"\xff\xfe{\x00}",
        b'{"language": "\xc3\x28"}',
        b"",
        b"null",
        b"[]",
    ],
)
def test_broken_json_and_encodings_are_422(client, body: bytes) -> None:
    response = client.post(
        "/api/v1/consents", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert record_count() == 0


def test_broken_encoding_in_a_query_string_is_422(client) -> None:
    response = client.get("/api/v1/slots?service=%ff%fe")
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_wrong_types_are_422_with_the_location(client) -> None:
    response = client.post("/api/v1/bookings", json={"slot_id": "first", "language": "ar"})
    assert response.status_code == 422 and error_code(response) == "validation_error"
    problems = response.json()["error"]["details"]["errors"]
    assert ["body", "slot_id"] in [p["location"] for p in problems]
    nested = client.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": "ar", "concern": "documents", "interpreter_needed": "maybe"}},
    )
    assert nested.status_code == 422 and error_code(nested) == "validation_error"
    not_object = client.post("/api/v1/checkins", json=["walk_in"])
    assert not_object.status_code == 422


@pytest.mark.parametrize("language", ["xx", "klingon", "", "a" * 40, "1234"])
def test_unknown_language_codes_are_refused(client, language: str) -> None:
    response = client.post(
        "/api/v1/consents",
        json={"language": language, "notice_version": notice_version(client), "channel": "kiosk"},
    )
    assert response.status_code == 422 and error_code(response) == "validation_error"
    notice = client.get("/api/v1/consent/notice", params={"language": language})
    assert notice.status_code == 422 and error_code(notice) == "validation_error"
    assert record_count() == 0


def test_birth_date_in_the_future_is_refused_and_nothing_changes(client) -> None:
    receipt = consent(client)
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    future = client.patch(
        f"/api/v1/intakes/{ref}",
        headers=proof,
        json={"given_name": "Amina", "birth_date": (date.today() + timedelta(days=2)).isoformat()},
    )
    assert future.status_code == 422 and error_code(future) == "validation_error"
    impossible = client.patch(
        f"/api/v1/intakes/{ref}", headers=proof, json={"birth_date": "1990-02-30"}
    )
    assert impossible.status_code == 422
    assert client.get(f"/api/v1/intakes/{ref}", headers=proof).json()["given_name"] is None


def test_extra_fields_are_forbidden(client) -> None:
    response = client.post(
        "/api/v1/consents",
        json={
            "language": "en",
            "notice_version": notice_version(client),
            "channel": "kiosk",
            "is_admin": True,
        },
    )
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert any(
        p["type"] == "extra_forbidden" for p in response.json()["error"]["details"]["errors"]
    )
    slot_id = make_slot(hours_ahead=30)
    booking = client.post(
        "/api/v1/bookings", json={"slot_id": slot_id, "language": "ar", "price": 0}
    )
    assert booking.status_code == 422
    with session_scope() as session:
        assert session.get(Slot, slot_id).booked == 0


def test_unknown_route_and_wrong_method_answer_json(client) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong_method = client.delete("/api/v1/slots")
    assert wrong_method.status_code == 405 and error_code(wrong_method) == "method_not_allowed"
    assert "GET" in wrong_method.headers.get("allow", "")


def test_public_rate_limit_answers_429_with_retry_after(client) -> None:
    settings = get_settings()
    original = settings.rate_limit_public_per_minute
    settings.rate_limit_public_per_minute = 3
    try:
        answers = [client.get("/api/v1/services") for _ in range(4)]
    finally:
        settings.rate_limit_public_per_minute = original
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert error_code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 61
    assert limited.json()["error"]["details"]["retry_after_seconds"] == int(
        limited.headers["retry-after"]
    )


def test_the_bot_has_its_own_rate_limit_bucket(client) -> None:
    settings = get_settings()
    original = settings.rate_limit_public_per_minute
    settings.rate_limit_public_per_minute = 1
    try:
        assert client.get("/api/v1/services").status_code == 200
        assert client.get("/api/v1/services").status_code == 429
        assert (
            client.get(
                "/api/v1/services", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
            ).status_code
            == 200
        )
    finally:
        settings.rate_limit_public_per_minute = original


def test_a_bad_bot_token_is_401(client) -> None:
    response = client.get("/api/v1/services", headers={"Authorization": "Bearer not-the-bot-token"})
    assert response.status_code == 401 and error_code(response) == "invalid_service_token"
    ok = client.get("/api/v1/services", headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    assert ok.status_code == 200


@contextmanager
def failing_booking_inserts() -> Iterator[None]:
    """A database trigger that aborts every INSERT into bookings: a real failure between two
    writes of one request."""
    engine = get_engine()
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(
                text(
                    "CREATE FUNCTION lotse_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                    "'disk on fire'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER lotse_test_fail BEFORE INSERT ON bookings FOR EACH ROW EXECUTE "
                    "FUNCTION lotse_test_fail()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER lotse_test_fail BEFORE INSERT ON bookings BEGIN SELECT "
                    "RAISE(ABORT, 'disk on fire'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "DROP TRIGGER lotse_test_fail ON bookings"
                    if postgres
                    else "DROP TRIGGER lotse_test_fail"
                )
            )
            if postgres:
                connection.execute(text("DROP FUNCTION lotse_test_fail()"))


def snapshot() -> dict[str, object]:
    with session_scope() as session:
        return {
            "booked": session.scalars(select(Slot.booked).order_by(Slot.id)).all(),
            "bookings": session.scalar(select(func.count(Booking.id))),
            "keys": session.scalar(select(func.count(IdempotencyKey.id))),
            "audit": session.scalar(select(func.count(AuditEvent.id))),
            "statistics": session.scalar(select(func.count(StatisticEvent.id))),
        }


@pytest.mark.commits  # the trigger is created on a connection of its own
def test_a_crash_between_two_writes_leaves_nothing_half_written(client) -> None:
    slot_id = make_slot(hours_ahead=30)
    before = snapshot()
    # the request claims the Idempotency-Key and takes the place, then the booking INSERT fails
    with failing_booking_inserts():
        crashed = client.post(
            "/api/v1/bookings",
            headers={"Idempotency-Key": "crash-1"},
            json={"slot_id": slot_id, "language": "ar"},
        )
    assert crashed.status_code == 500 and error_code(crashed) == "internal_error"
    assert "disk on fire" not in crashed.text
    assert snapshot() == before
    # the kiosk's retry with the same key books normally
    retried = client.post(
        "/api/v1/bookings",
        headers={"Idempotency-Key": "crash-1"},
        json={"slot_id": slot_id, "language": "ar"},
    )
    assert retried.status_code == 201, retried.text
    with session_scope() as session:
        assert session.get(Slot, slot_id).booked == 1


def test_an_oversize_body_is_refused_in_the_clients_language(client) -> None:
    response = client.post(
        "/api/v1/consents",
        content=b"x" * (70 * 1024),
        headers={"Content-Type": "application/json", "Accept-Language": "de"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Die Anfrage ist zu groß."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("given_name", "Amina\u202eadiH", id="right-to-left-override"),
        pytest.param("family_name", "Had\u2066dad", id="isolate"),
        pytest.param("given_name", "Ami\x00na", id="nul"),
        pytest.param("given_name", "Amina\nHaddad", id="line-break-in-a-name"),
        pytest.param("profession", "Schneider\x1b[31m", id="escape-in-free-text"),
    ],
)
def test_spoofing_characters_are_refused_and_nothing_is_stored(
    client, field: str, value: str
) -> None:
    """Security review, gap 8: an override made "Amina\u202eadiH" read as another name on the desk's
    screen and in the PDF; such text is refused at the door, so it reaches neither."""
    receipt = consent(client)
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    refused = client.patch(f"/api/v1/intakes/{ref}", headers=proof, json={field: value})
    assert refused.status_code == 422 and error_code(refused) == "validation_error"
    assert client.get(f"/api/v1/intakes/{ref}", headers=proof).json()[field] is None


def test_names_are_stored_in_nfc_and_free_text_keeps_its_lines(client) -> None:
    receipt = consent(client)
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    changed = client.patch(
        f"/api/v1/intakes/{ref}",
        headers=proof,
        json={"given_name": "Jose\u0301", "profession": "Schneider\nNäherin"},
    )
    assert changed.status_code == 200, changed.text
    stored = client.get(f"/api/v1/intakes/{ref}", headers=proof).json()
    assert stored["given_name"] == "José" and len(stored["given_name"]) == 4
    assert stored["profession"] == "Schneider\nNäherin"
