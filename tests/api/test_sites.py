"""Sites as tenants of one deployment: a desk of one site never reaches another site's records,
queue, inbox, staff, slots, devices or statistics; devices, the bot and anonymous callers each get
their site the way docs/sites.md says; the area table finds the responsible office."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kiosk_api.db import session_scope
from kiosk_api.models import AuditEvent, Handover, IntakeRecord, QueueTicket, Site, Slot, StaffUser
from kiosk_api.sites.service import AreaFile, SiteFile, apply_areas, apply_site, read_site_file
from tests.api.conftest import BOT_TOKEN, STAFF_PASSWORD, consent, pin_headers
from tests.support import seeding

OTHER = "nachbar"  # the second site of these tests, made from Dortmund's file
BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}


@pytest.fixture(autouse=True)
def sites_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped sites folder: the tests add their second site's files to it."""
    from kiosk_api.config import get_settings

    settings = get_settings()
    copy = tmp_path / "sites"
    shutil.copytree(settings.sites_dir, copy)
    monkeypatch.setattr(settings, "sites_dir", copy)
    return copy


def add_site(code: str, name: str, **fields: object) -> None:
    """A site made from Dortmund's files under another code (its rules and checklist too)."""
    from kiosk_api.config import get_settings

    settings = get_settings()
    shutil.copytree(settings.sites_dir / settings.default_site, settings.sites_dir / code)
    config = read_site_file(settings.sites_dir, settings.default_site)
    with session_scope(write=True) as session:
        apply_site(
            session=session,
            config=SiteFile.model_validate(
                {**config.model_dump(), "code": code, "name": name, **fields}
            ),
        )


def login(client: TestClient, username: str, role: str, *sites: str) -> dict[str, str]:
    with session_scope(write=True) as session:
        chosen = list(session.scalars(select(Site).where(Site.code.in_(sites))))
        staff = seeding.add_staff(
            session, site=chosen[0], username=username, role=role, password=STAFF_PASSWORD
        )
        staff.sites = chosen
    response = client.post(
        "/api/v1/staff/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def enrolled(client: TestClient, admin: dict[str, str], kind: str = "kiosk") -> dict[str, str]:
    made = client.post("/api/v1/admin/devices", headers=admin, json={"name": "Foyer", "kind": kind})
    assert made.status_code == 201, made.text
    token = client.post(
        "/api/v1/devices/enrol", json={"enrolment_code": made.json()["enrolment_code"]}
    )
    assert token.status_code == 201, token.text
    return {"X-Lotse-Device": token.json()["token"]}


@dataclass
class OtherSite:
    """What lives at the other site: the ids a desk of the first site tries to reach."""

    record_id: int
    ticket_id: int
    handover_id: int
    staff_id: int
    slot_id: int
    device_id: int
    slot_day: date
    kiosk: dict[str, str]


@pytest.fixture
def other_site(client: TestClient, weekday_morning: datetime) -> OtherSite:
    add_site(OTHER, "Jobcenter Nachbarstadt", postcode="42651", city="Nachbarstadt")
    admin = login(client, "nachbar-admin", "admin", OTHER)
    kiosk = enrolled(client, admin)
    receipt = consent(client, language="fa", headers={**BOT, "X-Lotse-Site": OTHER})
    ticket = client.post(
        "/api/v1/checkins",
        headers={**kiosk, **pin_headers(receipt)},
        json={"reference_code": receipt["reference_code"]},
    )
    assert ticket.status_code == 201, ticket.text
    handover = client.post(
        "/api/v1/handovers",
        headers={**BOT, "X-Lotse-Site": OTHER},
        json={"conversation_id": "chat-nachbar", "language": "fa", "output_channel": "socketio"},
    )
    assert handover.status_code == 201, handover.text
    with session_scope(write=True) as session:
        site = session.scalars(select(Site).where(Site.code == OTHER)).one()
        slot = seeding.add_slot(
            session, site=site, service_code="placement", starts_at=seeding.slot_in(48)
        )
        record = session.scalars(
            select(IntakeRecord).where(IntakeRecord.reference_code == receipt["reference_code"])
        ).one()
        assert record.site_id == site.id
        queued = session.scalars(select(QueueTicket).where(QueueTicket.site_id == site.id)).one()
        staff = session.scalars(
            select(StaffUser).where(StaffUser.username == "nachbar-admin")
        ).one()
        devices = client.get("/api/v1/admin/devices", headers=admin).json()
        return OtherSite(
            record_id=record.id,
            ticket_id=queued.id,
            handover_id=handover.json()["id"],
            staff_id=staff.id,
            slot_id=slot.id,
            device_id=devices[0]["id"],
            slot_day=slot.starts_at.astimezone(ZoneInfo(site.timezone)).date(),
            kiosk=kiosk,
        )


# Staff endpoints that are not about one site: the caller's own account, shared content, the
# translation packages installed on the machine, and the deployment admin's (tested below).
NOT_SITE_BOUND = {
    ("POST", "/api/v1/staff/login"),
    ("POST", "/api/v1/staff/logout"),
    ("GET", "/api/v1/staff/me"),
    ("POST", "/api/v1/staff/me/password"),
    ("GET", "/api/v1/admin/content/unreviewed"),
    ("GET", "/api/v1/admin/translation/pairs"),
}
# Not in the OpenAPI document: the desk's live view.
HIDDEN_STAFF_ROUTES = {("GET", "/api/v1/staff/queue/stream")}
# A valid body per staff route, so the refusal comes from the site and not from validation.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/v1/staff/queue/call-next"): {"desk": "1"},
    ("POST", "/api/v1/staff/tickets/{ticket_id}/call"): {"desk": "1"},
    ("POST", "/api/v1/staff/tickets/{ticket_id}/handover"): {"service_code": "placement"},
    ("POST", "/api/v1/staff/inbox/{handover_id}/reply"): {"text": "Guten Tag"},
    ("POST", "/api/v1/staff/bookings"): {"slot_id": 1},
    ("PATCH", "/api/v1/admin/site"): {"desks": 2},
    ("POST", "/api/v1/admin/services"): {"code": "extra", "name": "Extra"},
    ("PATCH", "/api/v1/admin/services/{code}"): {"active": False},
    ("PUT", "/api/v1/admin/opening-hours"): {
        "windows": [{"weekday": 0, "opens": "08:00", "closes": "12:00"}]
    },
    ("POST", "/api/v1/admin/slots/generate"): {
        "service_code": "placement",
        "date_from": "2030-01-07",
        "date_to": "2030-01-07",
    },
    ("PATCH", "/api/v1/admin/slots/{slot_id}"): {"capacity": 5},
    ("POST", "/api/v1/admin/staff"): {
        "username": "neu",
        "display_name": "Neu",
        "role": "desk",
        "password": STAFF_PASSWORD,
    },
    ("PATCH", "/api/v1/admin/staff/{staff_id}"): {"active": False},
    ("POST", "/api/v1/admin/devices"): {"name": "Kiosk 2", "kind": "kiosk"},
}


def staff_routes() -> set[tuple[str, str]]:
    from kiosk_api.main import app

    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(("/api/v1/staff/", "/api/v1/admin/"))
        for method in operations
    }
    return routes | HIDDEN_STAFF_ROUTES


def fill(path: str, other: OtherSite) -> str:
    return path.format(
        record_id=other.record_id,
        ticket_id=other.ticket_id,
        handover_id=other.handover_id,
        staff_id=other.staff_id,
        slot_id=other.slot_id,
        device_id=other.device_id,
        code="placement",
    )


def test_every_staff_endpoint_refuses_a_site_the_account_does_not_work_for(
    client: TestClient, other_site: OtherSite
) -> None:
    desk = login(client, "dortmund-admin", "admin", "dortmund")
    site_bound = staff_routes() - NOT_SITE_BOUND
    assert len(site_bound) >= 30
    for method, path in sorted(site_bound):
        response = client.request(
            method,
            fill(path, other_site),
            headers={**desk, "X-Lotse-Site": OTHER},
            json=BODIES.get((method, path)),
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "site_not_permitted", (method, path)
    # a site that does not exist reads the same: an account learns nothing about other sites
    unknown = client.get("/api/v1/staff/queue", headers={**desk, "X-Lotse-Site": "nowhere"})
    assert unknown.json()["error"]["code"] == "site_not_permitted"


def test_the_other_sites_objects_are_not_found_from_ones_own_site(
    client: TestClient, other_site: OtherSite
) -> None:
    desk = login(client, "dortmund-admin", "admin", "dortmund")
    by_id = [
        ("GET", "/api/v1/staff/intakes/{record_id}"),
        ("GET", "/api/v1/staff/intakes/{record_id}/export.json"),
        ("GET", "/api/v1/staff/intakes/{record_id}/sheet.pdf"),
        ("POST", "/api/v1/staff/tickets/{ticket_id}/call"),
        ("POST", "/api/v1/staff/tickets/{ticket_id}/handover"),
        ("POST", "/api/v1/staff/tickets/{ticket_id}/no-show"),
        ("POST", "/api/v1/staff/tickets/{ticket_id}/done"),
        ("GET", "/api/v1/staff/inbox/{handover_id}"),
        ("POST", "/api/v1/staff/inbox/{handover_id}/reply"),
        ("POST", "/api/v1/staff/inbox/{handover_id}/close"),
        ("PATCH", "/api/v1/admin/slots/{slot_id}"),
        ("PATCH", "/api/v1/admin/staff/{staff_id}"),
        ("POST", "/api/v1/admin/devices/{device_id}/revoke"),
    ]
    assert {route for route in staff_routes() if "{" in route[1]} - {
        ("PATCH", "/api/v1/admin/services/{code}")  # a code names a service of one's own site
    } == set(by_id)
    for method, path in by_id:
        response = client.request(
            method, fill(path, other_site), headers=desk, json=BODIES.get((method, path))
        )
        assert response.status_code == 404, (method, path, response.text)
    booked = client.post(
        "/api/v1/staff/bookings",
        headers=desk,
        json={"slot_id": other_site.slot_id, "intake_id": other_site.record_id},
    )
    assert booked.status_code == 404, booked.text
    # lists show one's own site only
    assert other_site.ticket_id not in {t["id"] for t in get(client, "/staff/queue", desk)}
    assert other_site.handover_id not in {h["id"] for h in get(client, "/staff/inbox", desk)}
    assert other_site.staff_id not in {s["id"] for s in get(client, "/admin/staff", desk)}
    assert other_site.device_id not in {d["id"] for d in get(client, "/admin/devices", desk)}
    slot_day = other_site.slot_day.isoformat()
    assert other_site.slot_id not in {
        s["id"] for s in get(client, f"/admin/slots?day={slot_day}", desk)
    }
    assert get(client, "/admin/site", desk)["code"] == "dortmund"
    # nothing of the other site changed, and no staff read of its record was audited
    with session_scope() as session:
        ticket = session.get(QueueTicket, other_site.ticket_id)
        handover = session.get(Handover, other_site.handover_id)
        staff = session.get(StaffUser, other_site.staff_id)
        slot = session.get(Slot, other_site.slot_id)
        assert ticket is not None and ticket.status.value == "waiting"
        assert handover is not None and handover.status.value == "open" and not handover.messages
        assert staff is not None and staff.active
        assert slot is not None and slot.capacity == 1
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "intake", AuditEvent.subject_id == other_site.record_id
            )
        ).all()
        assert all(event.actor_type.value != "staff" for event in reads)


def get(client: TestClient, path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1{path}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_staff_of_two_sites_choose_one_per_request(
    client: TestClient, other_site: OtherSite
) -> None:
    both = login(client, "springer", "desk", "dortmund", OTHER)
    unnamed = client.get("/api/v1/staff/queue", headers=both)
    assert unnamed.status_code == 400 and unnamed.json()["error"]["code"] == "site_required"
    there = get(client, "/staff/queue", {**both, "X-Lotse-Site": OTHER})
    here = get(client, "/staff/queue", {**both, "X-Lotse-Site": "dortmund"})
    assert other_site.ticket_id in {t["id"] for t in there}
    assert other_site.ticket_id not in {t["id"] for t in here}
    me = get(client, "/staff/me", both)
    assert [site["code"] for site in me["sites"]] == ["dortmund", OTHER]


def test_a_deployment_admin_manages_sites_and_compares_counts_without_records(
    client: TestClient, other_site: OtherSite
) -> None:
    with session_scope(write=True) as session:
        site = seeding.default_site(session)
        admin = seeding.add_staff(
            session, site=site, username="land", role="deployment_admin", password=STAFF_PASSWORD
        )
        assert admin.sites == []
    token = client.post(
        "/api/v1/staff/login", json={"username": "land", "password": STAFF_PASSWORD}
    )
    land = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # no queue, inbox or record of any site
    for path in ("/api/v1/staff/queue", "/api/v1/staff/inbox"):
        refused = client.get(path, headers={**land, "X-Lotse-Site": OTHER})
        assert refused.status_code == 403, path
    record = client.get(
        f"/api/v1/staff/intakes/{other_site.record_id}", headers={**land, "X-Lotse-Site": OTHER}
    )
    assert record.status_code == 403
    # every site's settings, sizes and counts
    sites = {s["code"]: s for s in get(client, "/deployment/sites", land)}
    assert set(sites) == {"dortmund", OTHER} and sites[OTHER]["devices"] == 1
    stats = {s["site"]: s for s in get(client, "/deployment/stats/weekly", land)}
    assert sum(week["arrivals"] for week in stats[OTHER]["weeks"]) == 1
    assert set(stats[OTHER]["weeks"][0]) == {"week", "arrivals", "bookings", "handovers"}
    # a site admin may configure any site, and nothing else of it
    renamed = client.patch(
        "/api/v1/admin/site", headers={**land, "X-Lotse-Site": OTHER}, json={"desks": 6}
    )
    assert renamed.status_code == 200 and renamed.json()["desks"] == 6
    # staff of a site join another one
    moved = client.put(
        f"/api/v1/deployment/staff/{other_site.staff_id}/sites",
        headers=land,
        json={"sites": ["dortmund", OTHER]},
    )
    assert moved.status_code == 200 and [s["code"] for s in moved.json()["sites"]] == [
        "dortmund",
        OTHER,
    ]
    # a site switched off takes no new clients, and keeps what it has
    off = client.patch(f"/api/v1/deployment/sites/{OTHER}", headers=land, json={"active": False})
    assert off.status_code == 200
    refused = consent_status(client, {**BOT, "X-Lotse-Site": OTHER})
    assert refused == (404, "site_unknown")
    with session_scope() as session:
        assert session.get(IntakeRecord, other_site.record_id) is not None
    # and a site admin is not a deployment admin, nor can make one
    site_admin = login(client, "dortmund-admin", "admin", "dortmund")
    assert client.get("/api/v1/deployment/sites", headers=site_admin).status_code == 403
    escalate = client.post(
        "/api/v1/admin/staff",
        headers=site_admin,
        json={
            "username": "boss",
            "display_name": "Boss",
            "role": "deployment_admin",
            "password": STAFF_PASSWORD,
        },
    )
    assert escalate.status_code == 403


def consent_status(client: TestClient, headers: dict[str, str]) -> tuple[int, str]:
    notice = client.get("/api/v1/consent/notice", params={"language": "ar"}).json()
    response = client.post(
        "/api/v1/consents",
        headers=headers,
        json={"language": "ar", "notice_version": notice["version"], "channel": "web_chat"},
    )
    return response.status_code, response.json().get("error", {}).get("code", "")


def test_a_device_works_for_the_site_whose_code_enrolled_it(
    client: TestClient, other_site: OtherSite
) -> None:
    walk_in = {"walk_in": {"language": "ti", "concern": "other"}}
    ticket = client.post("/api/v1/checkins", headers=other_site.kiosk, json=walk_in)
    assert ticket.status_code == 201
    with session_scope() as session:
        made = session.scalars(
            select(QueueTicket).where(QueueTicket.ticket_code == ticket.json()["ticket_code"])
        ).one()
        assert session.get(Site, made.site_id).code == OTHER  # type: ignore[union-attr]
    elsewhere = client.post(
        "/api/v1/checkins", headers={**other_site.kiosk, "X-Lotse-Site": "dortmund"}, json=walk_in
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"]["code"] == "device_of_other_site"
    # the kiosk's URL never chooses the site: an unenrolled kiosk cannot name one
    anonymous = client.post("/api/v1/checkins", headers={"X-Lotse-Site": OTHER}, json=walk_in)
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["code"] == "site_choice_needs_device"
    # a client registering from home (the area table found their office) names it
    receipt = consent(client, language="uk", headers={"X-Lotse-Site": OTHER})
    with session_scope() as session:
        record = session.scalars(
            select(IntakeRecord).where(IntakeRecord.reference_code == receipt["reference_code"])
        ).one()
        assert session.get(Site, record.site_id).code == OTHER  # type: ignore[union-attr]
    # a display shows its own site's calls, never another's
    desk = login(client, "nachbar-desk", "desk", OTHER)
    called = client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "7"})
    assert called.status_code == 200, called.text
    number = called.json()["display_number"]
    there = client.get("/api/v1/display/calls", headers=other_site.kiosk).json()
    here = client.get("/api/v1/display/calls").json()
    assert number in {call["display_number"] for call in there}
    assert all(call["desk"] != "7" for call in here)


def test_a_client_is_served_by_the_site_that_holds_the_record(
    client: TestClient, other_site: OtherSite
) -> None:
    receipt = consent(client, language="ar", headers={**BOT, "X-Lotse-Site": OTHER})
    # a Dortmund slot is not the other site's to book
    with session_scope(write=True) as session:
        here = seeding.add_slot(
            session,
            site=seeding.default_site(session),
            service_code="placement",
            starts_at=seeding.slot_in(30),
        ).id
    wrong = client.post(
        "/api/v1/bookings",
        headers={**BOT, **pin_headers(receipt)},
        json={"slot_id": here, "reference_code": receipt["reference_code"], "language": "ar"},
    )
    assert wrong.status_code == 404, wrong.text
    right = client.post(
        "/api/v1/bookings",
        headers={**BOT, **pin_headers(receipt)},
        json={
            "slot_id": other_site.slot_id,
            "reference_code": receipt["reference_code"],
            "language": "ar",
        },
    )
    assert right.status_code == 201, right.text
    # checking in at the Dortmund lobby tells the client which office holds the record
    at_dortmund = client.post(
        "/api/v1/checkins",
        headers=pin_headers(receipt),
        json={"reference_code": receipt["reference_code"]},
    )
    assert at_dortmund.status_code == 409
    error = at_dortmund.json()["error"]
    assert error["code"] == "record_of_other_site"
    assert error["details"] == {
        "site": OTHER,
        "site_name": "Jobcenter Nachbarstadt",
        "city": "Nachbarstadt",
    }
    # the checklist and routing follow the record's site wherever they are asked from
    checklist = client.get(
        f"/api/v1/intakes/{receipt['reference_code']}/checklist", headers=pin_headers(receipt)
    )
    assert checklist.status_code == 200


def test_without_a_default_a_request_naming_no_site_must_name_one(
    client: TestClient, other_site: OtherSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk_api.config import get_settings

    monkeypatch.setattr(get_settings(), "default_site", "")
    unnamed = client.get("/api/v1/services")
    assert unnamed.status_code == 400 and unnamed.json()["error"]["code"] == "site_required"
    named = client.get("/api/v1/services", headers={"X-Lotse-Site": OTHER})
    assert named.status_code == 200 and named.json()
    unknown = client.get("/api/v1/services", headers={"X-Lotse-Site": "nowhere"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "site_unknown"


AREAS = {
    "version": 1,
    "areas": [
        {"site": "dortmund", "postcodes": ["44135-44388"], "municipalities": ["Dortmund"]},
        {
            "site": OTHER,
            "postcodes": ["42651-42719", "44444"],
            "municipalities": ["Nachbarstadt", "Groß-Düsselbach"],
        },
    ],
}


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("44137", "dortmund"),
        ("42651", OTHER),
        ("42719 Nachbarstadt", OTHER),
        ("ich wohne in 42697", OTHER),
        ("44444", OTHER),  # a single code inside nobody's range
        ("Dortmund", "dortmund"),
        ("dortmund-hörde", "dortmund"),
        ("NACHBARSTADT", OTHER),
        ("Gross Duesselbach", OTHER),
        ("groß-düsselbach", OTHER),
    ],
)
def test_the_area_table_finds_the_responsible_office(
    client: TestClient, place: str, expected: str
) -> None:
    add_site(
        OTHER, "Jobcenter Nachbarstadt", street="Markt 1", postcode="42651", city="Nachbarstadt"
    )
    with session_scope(write=True) as session:
        apply_areas(session=session, areas=AreaFile.model_validate(AREAS))
    found = client.get("/api/v1/sites/lookup", params={"place": place})
    assert found.status_code == 200, found.text
    assert found.json()["code"] == expected
    if expected == OTHER:
        assert found.json()["street"] == "Markt 1" and found.json()["opening_hours"]


@pytest.mark.parametrize("place", ["99999", "Berlin", "4213", "x" * 100])
def test_a_place_outside_the_table_is_not_guessed(client: TestClient, place: str) -> None:
    with session_scope(write=True) as session:
        apply_areas(
            session=session,
            areas=AreaFile.model_validate({"version": 1, "areas": [AREAS["areas"][0]]}),
        )
    missing = client.get("/api/v1/sites/lookup", params={"place": place})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "place_unknown"
    too_long = client.get("/api/v1/sites/lookup", params={"place": "x" * 101})
    assert too_long.status_code == 422


def test_an_area_file_giving_a_postcode_to_two_sites_is_refused() -> None:
    add_site(OTHER, "Jobcenter Nachbarstadt")
    overlapping = {
        "version": 1,
        "areas": [
            {"site": "dortmund", "postcodes": ["44135-44388"]},
            {"site": OTHER, "postcodes": ["44300-44400"]},
        ],
    }
    with session_scope(write=True) as session:
        with pytest.raises(ValueError, match="overlaps"):
            apply_areas(session=session, areas=AreaFile.model_validate(overlapping))
        with pytest.raises(ValueError, match="not set up"):
            apply_areas(
                session=session,
                areas=AreaFile.model_validate(
                    {"version": 1, "areas": [{"site": "atlantis", "postcodes": ["10115"]}]}
                ),
            )


def test_every_table_with_site_data_is_indexed_by_site() -> None:
    """Each site's rows are found through an index that starts with site_id, however many sites."""
    from sqlalchemy import inspect

    from kiosk_api.db import get_engine
    from kiosk_api.models import Base

    inspector = inspect(get_engine())
    site_tables = [t.name for t in Base.metadata.sorted_tables if "site_id" in t.columns]
    assert {"queue_tickets", "intake_records", "handovers", "slots", "staff_sites"} <= set(
        site_tables
    )
    for table in site_tables:
        leading = [index["column_names"][0] for index in inspector.get_indexes(table)]
        leading += [
            constraint["column_names"][0] for constraint in inspector.get_unique_constraints(table)
        ]
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        assert "site_id" in leading or primary[:1] == ["site_id"], table


def test_a_site_adds_its_own_text_to_a_shared_topic_for_its_clients(client: TestClient) -> None:
    shared = client.get("/api/v1/content/free_advice", params={"language": "en"}).json()
    local = client.get(
        "/api/v1/content/free_advice",
        params={"language": "en"},
        headers={"X-Lotse-Site": "beispielstadt"},
    ).json()
    assert shared["local_site"] is None
    assert local["local_site"] == "beispielstadt" and local["local_language"] == "en"
    assert local["body"][: len(shared["body"])] == shared["body"]
    assert "Musterstraße 5" in local["body"][-1] and len(local["body"]) == len(shared["body"]) + 1
    assert "https://beispielstadt.example/beratung" in {s["url"] for s in local["sources"]}
    assert local["reviewed"] is False  # the local text is an unchecked draft
    # another site's clients, and topics the site has nothing for, get the shared text only
    other = client.get(
        "/api/v1/content/free_advice",
        params={"language": "en"},
        headers={"X-Lotse-Site": "dortmund"},
    ).json()
    assert other["body"] == shared["body"] and other["local_site"] is None
    # a language without a local file falls back as shared texts do
    persian = client.get(
        "/api/v1/content/free_advice",
        params={"language": "fa"},
        headers={"X-Lotse-Site": "beispielstadt"},
    ).json()
    assert persian["language"] == "fa" and persian["local_language"] == "en"


def test_the_content_check_holds_site_texts_to_their_rules(tmp_path: Path) -> None:
    from datetime import date as day

    import yaml

    from kiosk_api.content.local import check_local, load_local

    folder = tmp_path / "sites" / "ort" / "content"
    for topic, text in {
        "free_advice": {"mode": "replace", "body": ["Beratung am Markt 1."]},
        "no_such_topic": {"mode": "add", "body": ["Hier."]},
        "duties": {"mode": "add", "body": ["Kürzung um {sanction_first}."]},
    }.items():
        (folder / topic).mkdir(parents=True)
        content = {
            "site": "ort",
            "topic": topic,
            "language": "de",
            "valid_as_of": "2026-12-01",
            "reviewed": None,
            "machine_translated": False,
            "drafted_by": "person",
            "sources": [{"title": "Stadt", "url": "https://ort.example/x"}],
            **text,
        }
        (folder / topic / "de.yml").write_text(yaml.safe_dump(content), encoding="utf-8")
    problems = check_local(
        load_local(tmp_path / "sites"),
        topics=("free_advice", "duties"),
        today=day(2026, 12, 4),
    )
    assert any("free_advice" in p and "needs its own title" in p for p in problems)
    assert any("no_such_topic" in p and "no shared topic" in p for p in problems)
    assert any("duties" in p and "cites a shared fact" in p for p in problems)
    assert len(problems) == 3
