"""Site administration: services, opening hours, slots, retention, staff accounts, weekly
statistics."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import STAFF_PASSWORD, consent, make_slot, pin_headers, staff_headers

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def admin(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return staff_headers(client, "admin")


def next_monday() -> date:
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=7 - today.weekday())


def set_opening_hours(client, admin: dict[str, str], *windows: tuple[int, str, str]):  # type: ignore[no-untyped-def]
    return client.put(
        "/api/v1/admin/opening-hours",
        headers=admin,
        json={
            "windows": [
                {"weekday": day, "opens": opens, "closes": closes} for day, opens, closes in windows
            ]
        },
    )


def generate(client, admin: dict[str, str], **body: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/admin/slots/generate", headers=admin, json={"service_code": "benefits", **body}
    )


def test_services_create_update_and_duplicates(client, admin) -> None:
    created = client.post(
        "/api/v1/admin/services",
        headers=admin,
        json={"code": "migration_advice", "name": "Migrationsberatung", "minutes_per_client": 40},
    )
    assert created.status_code == 201, created.text
    assert (
        created.json()["code"] == "migration_advice"
        and created.json()["bookable"] is True
        and created.json()["active"] is True
    )
    duplicate = client.post(
        "/api/v1/admin/services", headers=admin, json={"code": "migration_advice", "name": "Zweite"}
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "service_exists"

    updated = client.patch(
        "/api/v1/admin/services/migration_advice",
        headers=admin,
        json={"name": "MBE", "bookable": False},
    )
    assert (
        updated.status_code == 200
        and updated.json()["name"] == "MBE"
        and updated.json()["minutes_per_client"] == 40
    )
    assert updated.json()["bookable"] is False
    public = {s["code"]: s for s in client.get("/api/v1/services").json()}
    assert public["migration_advice"]["name"] == "MBE"
    client.patch("/api/v1/admin/services/migration_advice", headers=admin, json={"active": False})
    assert "migration_advice" not in {s["code"] for s in client.get("/api/v1/services").json()}
    assert "migration_advice" in {
        s["code"] for s in client.get("/api/v1/admin/services", headers=admin).json()
    }
    missing = client.patch("/api/v1/admin/services/no_such_team", headers=admin, json={"name": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "service_not_found"


def test_opening_hours_are_replaced_and_overlaps_refused(client, admin) -> None:
    replaced = set_opening_hours(client, admin, (2, "13:00", "16:00"), (0, "08:00", "12:00"))
    assert replaced.status_code == 200, replaced.text
    assert [
        (w["weekday"], w["opens"])
        for w in client.get("/api/v1/admin/opening-hours", headers=admin).json()
    ] == [(0, "08:00:00"), (2, "13:00:00")]
    overlap = set_opening_hours(client, admin, (1, "08:00", "12:00"), (1, "11:30", "15:00"))
    assert overlap.status_code == 422 and overlap.json()["error"]["code"] == "opening_hours_overlap"
    assert overlap.json()["error"]["details"]["weekday"] == 1
    backwards = set_opening_hours(client, admin, (1, "12:00", "08:00"))
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "validation_error"
    # opening hours are the site's wall-clock times: an offset or a number of seconds is refused,
    # not a 500
    for opens, closes in (("08:00+01:00", "12:00"), (0, "12:00"), ("08:00", 3600)):
        odd = client.put(
            "/api/v1/admin/opening-hours",
            headers=admin,
            json={"windows": [{"weekday": 1, "opens": opens, "closes": closes}]},
        )
        assert odd.status_code == 422 and odd.json()["error"]["code"] == "validation_error", (
            opens,
            closes,
        )
    # the refused replacements changed nothing
    assert len(client.get("/api/v1/admin/opening-hours", headers=admin).json()) == 2


def test_slot_generation_follows_opening_hours_and_is_idempotent(client, admin) -> None:
    set_opening_hours(client, admin, (0, "08:00", "10:00"), (2, "14:00", "15:00"))
    monday = next_monday()
    body = {
        "date_from": monday.isoformat(),
        "date_to": (monday + timedelta(days=6)).isoformat(),
        "minutes": 30,
        "capacity": 3,
    }
    first = generate(client, admin, **body)
    assert first.status_code == 201, first.text
    starts = [datetime.fromisoformat(s["starts_at"]).astimezone(BERLIN) for s in first.json()]
    assert [(s.weekday(), s.strftime("%H:%M")) for s in starts] == [
        (0, "08:00"),
        (0, "08:30"),
        (0, "09:00"),
        (0, "09:30"),
        (2, "14:00"),
        (2, "14:30"),
    ]
    assert {s["capacity"] for s in first.json()} == {3} and {s["booked"] for s in first.json()} == {
        0
    }
    again = generate(client, admin, **body)
    assert again.status_code == 201 and again.json() == []
    listed = client.get(
        "/api/v1/admin/slots", headers=admin, params={"day": monday.isoformat()}
    ).json()
    assert len(listed) == 4
    public = client.get(
        "/api/v1/slots",
        params={
            "service": "benefits",
            "date_from": monday.isoformat(),
            "date_to": (monday + timedelta(days=6)).isoformat(),
        },
    )
    assert len(public.json()) == 6 and public.json()[0]["free_places"] == 3


def test_slot_generation_errors(client, admin) -> None:
    monday = next_monday()
    unknown = client.post(
        "/api/v1/admin/slots/generate",
        headers=admin,
        json={
            "service_code": "nope",
            "date_from": monday.isoformat(),
            "date_to": monday.isoformat(),
        },
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "service_not_found"
    reversed_range = generate(
        client,
        admin,
        date_from=monday.isoformat(),
        date_to=(monday - timedelta(days=1)).isoformat(),
    )
    assert (
        reversed_range.status_code == 422
        and reversed_range.json()["error"]["code"] == "validation_error"
    )


def test_capacity_cannot_drop_below_bookings(client, admin) -> None:
    slot_id = make_slot(hours_ahead=30, capacity=4)  # half of it for anonymous bookings
    for _ in range(2):
        assert (
            client.post("/api/v1/bookings", json={"slot_id": slot_id, "language": "ar"}).status_code
            == 201
        )
    below = client.patch(f"/api/v1/admin/slots/{slot_id}", headers=admin, json={"capacity": 1})
    assert below.status_code == 409 and below.json()["error"]["code"] == "capacity_below_bookings"
    assert below.json()["error"]["details"]["booked"] == 2
    exact = client.patch(
        f"/api/v1/admin/slots/{slot_id}",
        headers=admin,
        json={"capacity": 2, "interpreter_language": "ar"},
    )
    assert (
        exact.status_code == 200
        and exact.json()["capacity"] == 2
        and exact.json()["interpreter_language"] == "ar"
    )
    assert client.get("/api/v1/slots").json() == []
    missing = client.patch("/api/v1/admin/slots/999999", headers=admin, json={"capacity": 2})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "slot_not_found"


def test_site_retention_period_is_updated(client, admin) -> None:
    assert client.get("/api/v1/admin/site", headers=admin).json()["retention_days"] == 90
    updated = client.patch(
        "/api/v1/admin/site", headers=admin, json={"retention_days": 30, "desks": 6}
    )
    assert (
        updated.status_code == 200
        and updated.json()["retention_days"] == 30
        and updated.json()["desks"] == 6
    )
    assert client.get("/api/v1/admin/site", headers=admin).json()["retention_days"] == 30
    invalid = client.patch("/api/v1/admin/site", headers=admin, json={"retention_days": 0})
    assert invalid.status_code == 422


def admin_changes() -> list[tuple[str, str, dict]]:
    from sqlalchemy import select

    from kiosk_api.db import session_scope
    from kiosk_api.models import AuditEvent, StaffUser

    with session_scope() as session:
        rows = session.execute(
            select(AuditEvent.action, StaffUser.username, AuditEvent.details)
            .join(StaffUser, StaffUser.id == AuditEvent.actor_id)
            .where(
                AuditEvent.action.in_(
                    [
                        "site.updated",
                        "service.created",
                        "service.updated",
                        "opening_hours.replaced",
                        "slot.updated",
                    ]
                )
            )
            .order_by(AuditEvent.id)
        ).all()
    return [(action, username, details) for action, username, details in rows]


def test_every_admin_change_is_audited_with_who_and_what(client, admin) -> None:
    """Security review, gap 9: retention, services, opening hours and slots changed unaudited."""
    client.patch("/api/v1/admin/site", headers=admin, json={"retention_days": 30})
    client.patch(
        "/api/v1/admin/site", headers=admin, json={"retention_days": 30}
    )  # no change: no entry
    client.post(
        "/api/v1/admin/services", headers=admin, json={"code": "advice", "name": "Beratung"}
    )
    client.patch("/api/v1/admin/services/advice", headers=admin, json={"active": False})
    set_opening_hours(client, admin, (0, "08:00", "12:00"))
    changes = admin_changes()
    assert [(action, who) for action, who, _ in changes] == [
        ("site.updated", "admin-user"),
        ("service.created", "admin-user"),
        ("service.updated", "admin-user"),
        ("opening_hours.replaced", "admin-user"),
    ]
    assert changes[0][2] == {"changes": {"retention_days": [90, 30]}}
    assert changes[2][2] == {"code": "advice", "changes": {"active": [True, False]}}
    assert changes[3][2]["after"] == [[0, "08:00", "12:00"]]


def test_staff_accounts_are_created_and_disabled(client, admin) -> None:
    created = client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "username": "nour",
            "display_name": "Nour",
            "role": "desk",
            "password": STAFF_PASSWORD,
        },
    )
    assert created.status_code == 201, created.text
    assert (
        created.json()["role"] == "desk"
        and created.json()["active"] is True
        and STAFF_PASSWORD not in created.text
        and "password_hash" not in created.text
    )
    # an admin chose this password for Nour: Nour replaces it at the first login
    assert created.json()["must_change_password"] is True
    duplicate = client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "username": "nour",
            "display_name": "Nour 2",
            "role": "desk",
            "password": STAFF_PASSWORD,
        },
    )
    assert duplicate.status_code == 409
    short = client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={"username": "kim", "display_name": "Kim", "role": "desk", "password": "short"},
    )
    assert short.status_code == 422

    login = client.post(
        "/api/v1/staff/login", json={"username": "nour", "password": STAFF_PASSWORD}
    )
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/v1/staff/me", headers=token).json()["username"] == "nour"

    disabled = client.patch(
        f"/api/v1/admin/staff/{created.json()['id']}", headers=admin, json={"active": False}
    )
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert client.get("/api/v1/staff/me", headers=token).status_code == 401
    assert client.get("/api/v1/staff/queue", headers=token).status_code == 401
    assert (
        client.post(
            "/api/v1/staff/login", json={"username": "nour", "password": STAFF_PASSWORD}
        ).status_code
        == 401
    )
    assert "nour" in {
        s["username"] for s in client.get("/api/v1/admin/staff", headers=admin).json()
    }


def test_weekly_statistics_count_by_language_concern_and_team_and_survive_erasure(
    client, admin
) -> None:
    client.post("/api/v1/checkins", json={"walk_in": {"language": "uk", "concern": "documents"}})
    notice = client.get("/api/v1/consent/notice", params={"language": "fa"}).json()
    quick = client.post(
        "/api/v1/checkins",
        json={
            "quick_intake": {
                "consent": {
                    "language": "fa",
                    "notice_version": notice["version"],
                    "channel": "kiosk",
                },
                "concern": "first_registration",
            }
        },
    ).json()
    desk = staff_headers(client, "desk")
    first = client.get("/api/v1/staff/queue", headers=desk).json()[0]
    client.post(
        f"/api/v1/staff/tickets/{first['id']}/handover",
        headers=desk,
        json={"service_code": "benefits"},
    )
    receipt = consent(client, language="ar")
    client.post(
        "/api/v1/bookings",
        headers=pin_headers(receipt),
        json={
            "slot_id": make_slot(hours_ahead=0.2),
            "reference_code": receipt["reference_code"],
            "language": "ar",
        },
    )

    def this_week() -> dict:  # type: ignore[type-arg]
        response = client.get("/api/v1/admin/stats/weekly", headers=admin, params={"weeks": 2})
        assert response.status_code == 200, response.text
        assert len(response.json()["weeks"]) == 2 and response.json()["site"] == "dortmund"
        return response.json()["weeks"][-1]

    before = this_week()
    assert before["arrivals"] == 2 and before["handovers"] == 1 and before["bookings"] == 1
    assert before["by_language"] == {"uk": 1, "fa": 1}
    assert before["by_concern"] == {"documents": 1, "first_registration": 1}
    assert before["by_service"] == {"entry_zone": 2}

    for ticket_receipt in (quick["receipt"], receipt):
        erased = client.delete(
            f"/api/v1/intakes/{ticket_receipt['reference_code']}",
            headers=pin_headers(ticket_receipt),
        )
        assert erased.status_code == 204
    assert this_week() == before


def test_desk_and_caseworker_roles_get_403_on_admin_endpoints(client) -> None:
    for role in ("desk", "caseworker"):
        headers = staff_headers(client, role)
        for method, path, body in (
            ("GET", "/api/v1/admin/site", None),
            ("PATCH", "/api/v1/admin/site", {"retention_days": 1}),
            ("POST", "/api/v1/admin/services", {"code": "x", "name": "X"}),
            ("PUT", "/api/v1/admin/opening-hours", {"windows": []}),
            ("GET", "/api/v1/admin/stats/weekly", None),
            ("GET", "/api/v1/admin/staff", None),
        ):
            refused = client.request(method, path, headers=headers, json=body)
            assert refused.status_code == 403, (role, path)
            assert (
                refused.json()["error"]["code"] == "role_required"
                and refused.json()["error"]["details"]["required_role"] == "admin"
            )
        anonymous = client.get("/api/v1/admin/site")
        assert anonymous.status_code == 401
    admin = staff_headers(client, "admin")
    assert client.get("/api/v1/admin/site", headers=admin).json()["retention_days"] == 90
