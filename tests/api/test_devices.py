"""Kiosk device credentials (one-time enrolment code, token, revocation) and the anonymous booking
caps at unit level, with the clock passed in."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from kiosk_api.appointments import service as appointments
from kiosk_api.db import session_scope
from kiosk_api.errors import TooManyRequests
from kiosk_api.models import AuditEvent, Booking
from kiosk_api.models.enums import ActorType
from kiosk_api.models.staff import Device
from kiosk_api.security import normalize_code
from tests.api.conftest import make_slot, site, staff_headers


def create_device(client, admin: dict[str, str], name: str = "Kiosk lobby") -> dict:  # type: ignore[no-untyped-def]
    created = client.post("/api/v1/admin/devices", json={"name": name}, headers=admin)
    assert created.status_code == 201, created.text
    return created.json()


def enrol(client, code: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/devices/enrol", json={"enrolment_code": code})


def test_an_enrolment_code_gives_the_token_once_and_only_hashes_are_stored(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = staff_headers(client, "admin")
    created = create_device(client, admin)
    code = created["enrolment_code"]
    assert created["enrolment_code_display"].startswith("KE-") and len(code) == 10
    assert created["device"]["state"] == "pending" and created["device"]["kind"] == "kiosk"

    # typed as people type it: lower case, dashes, O for 0
    typed = created["enrolment_code_display"].lower().replace("0", "o")
    enrolled = enrol(client, typed)
    assert enrolled.status_code == 201, enrolled.text
    token = enrolled.json()["token"]
    assert enrolled.json()["device_id"] == created["device"]["id"]

    reused = enrol(client, code)
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "enrolment_code_invalid"

    device = db.get(Device, created["device"]["id"])
    stored = {device.enrolment_code_hash, device.token_hash}
    assert code not in stored and normalize_code(code) not in stored and token not in stored
    assert device.enrolment_code_hash is None and device.enrolled_at is not None

    listed = client.get("/api/v1/admin/devices", headers=admin).json()
    assert [(d["name"], d["state"]) for d in listed] == [("Kiosk lobby", "enrolled")]
    assert "token" not in listed[0] and "enrolment_code" not in listed[0]


def test_a_wrong_or_expired_code_enrols_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = staff_headers(client, "admin")
    assert enrol(client, "KE-0000-0000").json()["error"]["code"] == "enrolment_code_invalid"
    created = create_device(client, admin)
    with session_scope(write=True) as session:
        session.execute(
            update(Device)
            .where(Device.id == created["device"]["id"])
            .values(enrolment_expires_at=datetime.now(ZoneInfo("UTC")) - timedelta(minutes=1))
        )
    expired = enrol(client, created["enrolment_code"])
    assert (
        expired.status_code == 401 and expired.json()["error"]["code"] == "enrolment_code_invalid"
    )
    listed = client.get("/api/v1/admin/devices", headers=admin).json()
    assert [d["state"] for d in listed] == ["expired"]


def test_a_revoked_token_and_a_forged_one_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    admin = staff_headers(client, "admin")
    created = create_device(client, admin)
    token = enrol(client, created["enrolment_code"]).json()["token"]
    assert client.get("/api/v1/services", headers={"X-Lotse-Device": token}).status_code == 200

    forged = client.get("/api/v1/services", headers={"X-Lotse-Device": token[:-2] + "xx"})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "device_not_recognised"

    device_id = created["device"]["id"]
    revoked = client.post(f"/api/v1/admin/devices/{device_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    after = client.get("/api/v1/services", headers={"X-Lotse-Device": token})
    assert after.status_code == 401 and after.json()["error"]["code"] == "device_not_recognised"
    twice = client.post(f"/api/v1/admin/devices/{device_id}/revoke", headers=admin)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "device_already_revoked"
    unknown = client.post("/api/v1/admin/devices/999999/revoke", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "device_not_found"

    # a code not used before its device was revoked is dead too
    pending = create_device(client, admin, "Display hall")
    client.post(f"/api/v1/admin/devices/{pending['device']['id']}/revoke", headers=admin)
    assert enrol(client, pending["enrolment_code"]).status_code == 401
    # without the header the kiosk is an anonymous client, as before
    assert client.get("/api/v1/services").status_code == 200


@pytest.mark.parametrize("role", ["desk", "caseworker"])
def test_only_site_admins_manage_devices(client, role: str) -> None:  # type: ignore[no-untyped-def]
    staff = staff_headers(client, role)
    assert (
        client.post("/api/v1/admin/devices", json={"name": "x"}, headers=staff).status_code == 403
    )
    assert client.get("/api/v1/admin/devices", headers=staff).status_code == 403
    assert client.post("/api/v1/admin/devices/1/revoke", headers=staff).status_code == 403
    assert client.get("/api/v1/admin/devices").status_code == 401


def test_every_device_action_is_audited(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = staff_headers(client, "admin")
    created = create_device(client, admin)
    token = enrol(client, created["enrolment_code"]).json()["token"]
    slot_id = make_slot(capacity=4, hours_ahead=30)
    booked = client.post(
        "/api/v1/bookings",
        json={"slot_id": slot_id, "language": "ti"},
        headers={"X-Lotse-Device": token},
    )
    assert booked.status_code == 201, booked.text
    client.post(f"/api/v1/admin/devices/{created['device']['id']}/revoke", headers=admin)

    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    device_events = [
        (e.action, e.actor_type) for e in events if e.subject_type in ("device", "booking")
    ]
    assert device_events == [
        ("device.created", ActorType.staff),
        ("device.enrolled", ActorType.device),
        ("booking.created", ActorType.device),
        ("device.revoked", ActorType.staff),
    ]
    booking = db.scalar(select(Booking).where(Booking.slot_id == slot_id))
    # the source is kept as a keyed hash: countable, but not readable without the server key
    source = f"device:{created['device']['id']}"
    assert booking.booked_by == "device"
    assert booking.source_key == appointments.source_key(source)
    assert booking.source_key != hashlib.sha256(source.encode()).hexdigest()


def test_the_daily_cap_follows_the_sites_day_on_the_clock_given() -> None:
    slots = [make_slot(capacity=10, hours_ahead=72 + n) for n in range(5)]
    with session_scope(write=True) as session:
        the_site = site(session)
        zone = ZoneInfo(the_site.timezone)
        late = datetime(2031, 3, 14, 23, 50, tzinfo=zone)

        def book(slot_id: int, now: datetime) -> None:
            appointments.book(
                session=session,
                site=the_site,
                slot_id=slot_id,
                language="ar",
                record=None,
                actor=ActorType.client,
                source="address:203.0.113.9",
                now=now,
            )

        for n in range(3):
            book(slots[n], late + timedelta(minutes=n))
        with pytest.raises(TooManyRequests) as refused:
            book(slots[3], late + timedelta(minutes=5))
        assert refused.value.code == "booking_limit_reached"
        assert refused.value.headers["Retry-After"] == str(5 * 60)
        book(slots[3], late + timedelta(minutes=15))  # the next site-local day, a new count


@pytest.mark.parametrize(
    ("capacity", "share", "places"),
    [(1, 0.5, 1), (2, 0.5, 1), (7, 0.5, 3), (10, 0.3, 3), (100, 0.29, 29), (4, 1, 4), (4, 0, 0)],
)
def test_anonymous_places_of_a_slot(capacity: int, share: float, places: int) -> None:
    assert appointments.anonymous_places(capacity, share) == places
