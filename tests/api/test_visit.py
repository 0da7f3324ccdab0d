"""A scripted visit: consent, intake, routing, booking, check-in, desk login, queue in German,
call, hand over, export, erase."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from tests.api.conftest import consent, make_slot, pin_headers, staff_headers


def test_a_whole_visit_from_chat_to_desk(client, weekday_morning: datetime) -> None:
    receipt = consent(
        client,
        language="ar",
        channel="web_chat",
        scopes={"foreigners_authority": True, "social_welfare": False},
    )
    ref = receipt["reference_code"]
    proof = pin_headers(receipt)
    assert receipt["reference_code_display"].startswith("LT-") and len(receipt["pin"]) == 6

    update = client.patch(
        f"/api/v1/intakes/{ref}",
        headers=proof,
        json={
            "given_name": "Amina",
            "family_name": "Haddad",
            "given_name_own_spelling": "أمينة",
            "birth_date": "1990-04-02",
            "nationality": "SY",
            "languages_spoken": ["ar", "en"],
            "german_level": "A2",
            "interpreter_needed": True,
            "phone": "+49 151 2345678",
            "residence_status": "permit_25_2",
            "residence_status_issued_on": "2026-05-10",
            "integration_course_status": "waiting",
            "concern": "first_registration",
            "concern_text": "أريد التسجيل في مركز العمل",
            "household": [{"relation": "child", "given_name": "Omar", "birth_date": "2018-09-01"}],
            "submit": True,
        },
    )
    assert update.status_code == 200, update.text
    assert update.json()["status"] == "submitted"
    assert update.json()["household"][0]["given_name"] == "Omar"

    routing = client.get(
        f"/api/v1/intakes/{ref}/routing", headers={**proof, "Accept-Language": "de"}
    )
    assert routing.status_code == 200
    assert routing.json()["service_code"] == "integration_point"
    assert routing.json()["rule"] == "protection_status_25_1_to_3"
    assert "§ 25" in routing.json()["reason"]

    slot_id = make_slot(
        service_code="integration_point", hours_ahead=0.1, capacity=2, language="ar"
    )
    slots = client.get("/api/v1/slots", params={"service": "integration_point", "language": "ar"})
    assert [s["id"] for s in slots.json()] == [slot_id]
    booking = client.post(
        "/api/v1/bookings",
        headers={**proof, "Idempotency-Key": "visit-1"},
        json={"slot_id": slot_id, "reference_code": ref, "language": "ar"},
    )
    assert booking.status_code == 201, booking.text
    assert booking.json()["anonymous"] is False and booking.json()["pin"] is None
    mine = client.get(f"/api/v1/intakes/{ref}/bookings", headers=proof)
    assert [b["booking_code"] for b in mine.json()] == [booking.json()["booking_code"]]

    # at the kiosk, with the date of birth instead of the PIN
    ticket = client.post(
        "/api/v1/checkins",
        headers={"X-Lotse-Birth-Date": "1990-04-02", "Idempotency-Key": "kiosk-1"},
        json={"reference_code": receipt["reference_code_display"].lower()},
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["number"] == 1 and ticket.json()["service_code"] == "integration_point"
    assert ticket.json()["status"] == "waiting" and ticket.json()["position"] == 0

    desk = staff_headers(client, "desk")
    queue = client.get("/api/v1/staff/queue", headers=desk)
    assert queue.status_code == 200
    [entry] = queue.json()
    assert entry["language_name"] == "Arabisch"
    assert entry["concern_label"] == "Erstanmeldung"
    assert entry["interpreter_needed"] is True
    assert entry["intake"]["family_name"] == "Haddad"
    assert entry["intake"]["nationality_name"] == "Syrien"
    assert entry["routing_reason"].startswith("Gebuchter Termin")
    assert entry["concern_text"]["original"] == "أريد التسجيل في مركز العمل"
    assert entry["appointment_at"] is not None

    called = client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "3"})
    assert (
        called.status_code == 200
        and called.json()["status"] == "called"
        and called.json()["desk"] == "3"
    )
    status = client.get(f"/api/v1/tickets/{ticket.json()['ticket_code']}")
    assert status.json()["status"] == "called" and status.json()["desk"] == "3"
    display = client.get("/api/v1/display/calls")
    assert display.json()[0]["display_number"] == "001" and display.json()[0]["desk"] == "3"

    handed = client.post(
        f"/api/v1/staff/tickets/{entry['id']}/handover",
        headers=desk,
        json={"service_code": "benefits", "desk": "7"},
    )
    assert handed.status_code == 200 and handed.json()["handed_to_service_code"] == "benefits"

    record_id = entry["intake"]["id"]
    view = client.get(f"/api/v1/staff/intakes/{record_id}", headers=desk)
    assert view.status_code == 200
    labels = {f["field"]: f for f in view.json()["fields"]}
    assert labels["residence_status"]["label"] == "Aufenthaltsstatus"
    assert labels["residence_status"]["value"].startswith("Aufenthaltserlaubnis § 25 Abs. 2")
    assert labels["birth_date"]["value"] == "02.04.1990"

    # export and print are for caseworkers; the desk is refused
    for refused in ("export.json", "sheet.pdf"):
        answer = client.get(f"/api/v1/staff/intakes/{record_id}/{refused}", headers=desk)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "role_required"
    caseworker = staff_headers(client, "caseworker")
    exported = client.get(f"/api/v1/staff/intakes/{record_id}/export.json", headers=caseworker)
    assert exported.json()["record"]["given_name_own_spelling"] == "أمينة"
    sheet = client.get(f"/api/v1/staff/intakes/{record_id}/sheet.pdf", headers=caseworker)
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Anmeldebogen" in pdf_text and "Haddad" in pdf_text and "Integration Point" in pdf_text

    # the client erases the record; statistics stay anonymous
    erased = client.delete(f"/api/v1/intakes/{ref}", headers=proof)
    assert erased.status_code == 204
    assert client.get(f"/api/v1/intakes/{ref}", headers=proof).status_code == 404
    assert client.get(f"/api/v1/staff/intakes/{record_id}", headers=desk).status_code == 404
    admin = staff_headers_admin(client)
    stats = client.get("/api/v1/admin/stats/weekly", headers=admin, params={"weeks": 1}).json()
    this_week = stats["weeks"][-1]
    assert (
        this_week["arrivals"] == 1
        and this_week["by_language"] == {"ar": 1}
        and this_week["handovers"] == 1
    )
    # the site's week, not the machine's
    year, week, _ = weekday_morning.astimezone(ZoneInfo("Europe/Berlin")).isocalendar()
    assert this_week["week"] == f"{year}-W{week:02d}"


def staff_headers_admin(client):
    return staff_headers(client, "admin")
