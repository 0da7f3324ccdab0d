"""Slots and bookings: listing filters, anonymous booking with its PIN, move, cancel, idempotent
retries."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kiosk_api.db import session_scope
from kiosk_api.models import Booking, IdempotencyKey, Slot
from tests.api.conftest import consent, make_slot, pin_headers

BERLIN = ZoneInfo("Europe/Berlin")


def book(client, slot_id: int, *, headers: dict[str, str] | None = None, **body: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/bookings",
        headers=headers or {},
        json={"slot_id": slot_id, "language": "fa", **body},
    )


def booked_places(slot_id: int) -> int:
    with session_scope() as session:
        return session.get(Slot, slot_id).booked


def local_day(slot_id: int):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return session.get(Slot, slot_id).starts_at.astimezone(BERLIN).date()


def listed(client, **params: object) -> list[int]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/slots", params=params)
    assert response.status_code == 200, response.text
    return [slot["id"] for slot in response.json()]


def test_slots_filter_by_service_and_interpreter_language(client) -> None:
    arabic = make_slot(service_code="integration_point", hours_ahead=30, language="ar")
    plain = make_slot(service_code="integration_point", hours_ahead=31)
    benefits = make_slot(service_code="benefits", hours_ahead=32, language="ar")
    assert listed(client) == [arabic, plain, benefits]
    assert listed(client, service="integration_point") == [arabic, plain]
    assert listed(client, language="ar") == [arabic, benefits]
    assert listed(client, service="benefits", language="ar") == [benefits]
    assert listed(client, language="ti") == []
    first = client.get("/api/v1/slots", params={"service": "benefits"}).json()[0]
    assert (
        first["service_code"] == "benefits"
        and first["free_places"] == 1
        and first["interpreter_language"] == "ar"
    )


def test_slots_filter_by_date_range(client) -> None:
    soon = make_slot(hours_ahead=30)
    later = make_slot(hours_ahead=30 + 24 * 5)
    soon_day, later_day = local_day(soon), local_day(later)
    assert listed(client, date_from=soon_day.isoformat(), date_to=soon_day.isoformat()) == [soon]
    assert listed(client, date_from=later_day.isoformat(), date_to=later_day.isoformat()) == [later]
    assert listed(client, date_from=soon_day.isoformat(), date_to=later_day.isoformat()) == [
        soon,
        later,
    ]
    assert listed(client, date_from=(later_day + timedelta(days=1)).isoformat()) == []


def test_reversed_and_too_long_date_ranges_are_refused(client) -> None:
    today = datetime.now(BERLIN).date()
    reversed_range = client.get(
        "/api/v1/slots",
        params={"date_from": (today + timedelta(days=3)).isoformat(), "date_to": today.isoformat()},
    )
    assert (
        reversed_range.status_code == 422
        and reversed_range.json()["error"]["code"] == "date_range_reversed"
    )
    too_long = client.get(
        "/api/v1/slots",
        params={
            "date_from": today.isoformat(),
            "date_to": (today + timedelta(days=63)).isoformat(),
        },
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "date_range_too_long"
    assert too_long.json()["error"]["details"]["max_days"] == 62
    for far in ("0001-01-01", "9999-12-31"):
        out_of_range = client.get("/api/v1/slots", params={"date_from": far})
        assert (
            out_of_range.status_code == 422
            and out_of_range.json()["error"]["code"] == "validation_error"
        ), far


def test_full_and_past_slots_are_hidden(client) -> None:
    past = make_slot(hours_ahead=-1)
    full = make_slot(hours_ahead=26, capacity=1)
    free = make_slot(hours_ahead=27, capacity=2)
    today = datetime.now(BERLIN).date()
    assert listed(client, date_from=(today - timedelta(days=1)).isoformat()) == [full, free]
    assert book(client, full).status_code == 201
    assert book(client, free).status_code == 201
    assert listed(client) == [free]
    assert client.get("/api/v1/slots").json()[0]["free_places"] == 1
    assert past not in listed(client, date_from=(today - timedelta(days=1)).isoformat())


def test_anonymous_booking_returns_code_and_pin_once(client) -> None:
    slot_id = make_slot(hours_ahead=48, capacity=3)
    created = book(client, slot_id)
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["anonymous"] is True and booking["status"] == "booked"
    assert (
        booking["booking_code_display"].startswith("TB-")
        and len(booking["pin"]) == 6
        and booking["pin"].isdigit()
    )
    assert booking["slot"]["id"] == slot_id and booking["slot"]["free_places"] == 2

    read = client.get(
        f"/api/v1/bookings/{booking['booking_code_display']}",
        headers={"X-Lotse-Pin": booking["pin"]},
    )
    assert read.status_code == 200, read.text
    assert read.json()["booking_code"] == booking["booking_code"] and read.json()["pin"] is None

    wrong_pin = "000000" if booking["pin"] != "000000" else "111111"
    wrong = client.get(
        f"/api/v1/bookings/{booking['booking_code']}", headers={"X-Lotse-Pin": wrong_pin}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_proof"
    missing = client.get(f"/api/v1/bookings/{booking['booking_code']}")
    # outside check-in only the PIN proves a booking, so that is what is asked for
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "pin_required"
    unknown = client.get("/api/v1/bookings/TB-0000-0000", headers={"X-Lotse-Pin": booking["pin"]})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "booking_not_found"


def test_move_takes_the_new_place_then_frees_the_old_one(client) -> None:
    old, new = make_slot(hours_ahead=30), make_slot(hours_ahead=50)
    booking = book(client, old).json()
    proof = {"X-Lotse-Pin": booking["pin"]}
    moved = client.post(
        f"/api/v1/bookings/{booking['booking_code']}/move", headers=proof, json={"slot_id": new}
    )
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["slot"]["id"] == new
        and moved.json()["booking_code"] == booking["booking_code"]
    )
    assert (booked_places(old), booked_places(new)) == (0, 1)
    assert listed(client) == [old]


def test_moving_into_a_full_slot_keeps_the_old_booking(client) -> None:
    mine, taken = make_slot(hours_ahead=30), make_slot(hours_ahead=50)
    booking = book(client, mine).json()
    assert book(client, taken).status_code == 201
    refused = client.post(
        f"/api/v1/bookings/{booking['booking_code']}/move",
        headers={"X-Lotse-Pin": booking["pin"]},
        json={"slot_id": taken},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "slot_full"
    assert (booked_places(mine), booked_places(taken)) == (1, 1)
    still = client.get(
        f"/api/v1/bookings/{booking['booking_code']}", headers={"X-Lotse-Pin": booking["pin"]}
    ).json()
    assert still["slot"]["id"] == mine and still["status"] == "booked"


def test_cancel_frees_the_place(client) -> None:
    slot_id = make_slot(hours_ahead=30)
    booking = book(client, slot_id).json()
    assert listed(client) == []
    cancelled = client.post(
        f"/api/v1/bookings/{booking['booking_code']}/cancel",
        headers={"X-Lotse-Pin": booking["pin"]},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert booked_places(slot_id) == 0 and listed(client) == [slot_id]
    again = client.post(
        f"/api/v1/bookings/{booking['booking_code']}/cancel",
        headers={"X-Lotse-Pin": booking["pin"]},
    )
    assert again.status_code == 200 and booked_places(slot_id) == 0
    move = client.post(
        f"/api/v1/bookings/{booking['booking_code']}/move",
        headers={"X-Lotse-Pin": booking["pin"]},
        json={"slot_id": slot_id},
    )
    assert move.status_code == 409 and move.json()["error"]["code"] == "booking_not_active"


def test_booking_errors_have_stable_codes(client) -> None:
    full = make_slot(hours_ahead=30)
    assert book(client, full).status_code == 201
    slot_full = book(client, full)
    assert slot_full.status_code == 409 and slot_full.json()["error"]["code"] == "slot_full"
    past = book(client, make_slot(hours_ahead=-2))
    assert past.status_code == 409 and past.json()["error"]["code"] == "slot_in_past"
    missing = book(client, 987654)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "slot_not_found"
    # a slot of a team that takes no bookings (the entry zone) cannot be booked by its id either
    not_bookable = book(client, make_slot(service_code="entry_zone", hours_ahead=30))
    assert (
        not_bookable.status_code == 404 and not_bookable.json()["error"]["code"] == "slot_not_found"
    )
    with session_scope() as session:
        assert session.scalar(select(func.count(Booking.id))) == 1


def test_idempotency_key_replays_the_identical_answer_and_books_once(client) -> None:
    slot_id = make_slot(hours_ahead=30, capacity=5)
    key = {"Idempotency-Key": "kiosk-3-booking-17"}
    first = book(client, slot_id, headers=key)
    second = book(client, slot_id, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and first.json()["pin"] is not None
    assert booked_places(slot_id) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count(Booking.id))) == 1
    other = book(client, make_slot(hours_ahead=40), headers=key)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_failed_booking_does_not_burn_its_idempotency_key(client) -> None:
    slot_id = make_slot(hours_ahead=30)
    first = book(client, slot_id).json()
    key = {"Idempotency-Key": "retry-after-full"}
    assert book(client, slot_id, headers=key).status_code == 409
    with session_scope() as session:
        assert session.scalar(select(func.count(IdempotencyKey.id))) == 0
    assert (
        client.post(
            f"/api/v1/bookings/{first['booking_code']}/cancel",
            headers={"X-Lotse-Pin": first["pin"]},
        ).status_code
        == 200
    )
    retried = book(client, slot_id, headers=key)
    assert retried.status_code == 201 and booked_places(slot_id) == 1


def test_when_is_my_appointment(client) -> None:
    receipt = consent(client, language="fa")
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    later, sooner = make_slot(hours_ahead=72), make_slot(hours_ahead=30, language="fa")
    for slot_id in (later, sooner):
        created = book(client, slot_id, headers=proof, reference_code=ref)
        assert created.status_code == 201, created.text
        assert created.json()["anonymous"] is False and created.json()["pin"] is None
    twice = book(client, sooner, headers=proof, reference_code=ref)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_booked"

    mine = client.get(f"/api/v1/intakes/{ref}/bookings", headers=proof)
    assert mine.status_code == 200
    assert [b["slot"]["id"] for b in mine.json()] == [sooner, later]

    # the record's PIN reaches its bookings too; cancelling removes it from the list
    code = mine.json()[0]["booking_code"]
    assert client.post(f"/api/v1/bookings/{code}/cancel", headers=proof).status_code == 200
    assert [
        b["slot"]["id"] for b in client.get(f"/api/v1/intakes/{ref}/bookings", headers=proof).json()
    ] == [later]
    no_proof = client.get(f"/api/v1/intakes/{ref}/bookings")
    assert no_proof.status_code == 401


def test_booking_for_a_record_needs_its_proof(client) -> None:
    receipt = consent(client)
    slot_id = make_slot(hours_ahead=30)
    wrong = book(
        client,
        slot_id,
        headers={"X-Lotse-Pin": "999999" if receipt["pin"] != "999999" else "888888"},
        reference_code=receipt["reference_code"],
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_proof"
    assert booked_places(slot_id) == 0


def test_language_tags_are_stored_as_lotses_own_codes(client) -> None:
    slot_id = make_slot(capacity=1, hours_ahead=30, language="fa_AF")
    listed = client.get("/api/v1/slots", params={"language": "prs"})
    assert [s["id"] for s in listed.json()] == [slot_id]
    booking = client.post("/api/v1/bookings", json={"slot_id": slot_id, "language": "fa-AF"})
    assert booking.status_code == 201 and booking.json()["language"] == "fa_AF"
