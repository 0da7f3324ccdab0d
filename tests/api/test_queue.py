"""The lobby queue: check-ins, positions and waits per team, and what the desk does with a
ticket."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import event, func, select

from kiosk_api.db import get_engine, session_scope
from kiosk_api.models import AuditEvent, IntakeRecord
from tests.api.conftest import (
    STAFF_PASSWORD,
    LiveServer,
    consent,
    make_staff,
    pin_headers,
    staff_headers,
)


def walk_in(client, language: str = "uk", concern: str = "documents", **extra: object) -> dict:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/checkins", json={"walk_in": {"language": language, "concern": concern, **extra}}
    )
    assert response.status_code == 201, response.text
    return response.json()


def registered_client(client, **fields: object) -> dict:  # type: ignore[no-untyped-def]
    """A record with consent and the given fields, e.g. a residence status that routes it to the
    Integration Point."""
    receipt = consent(client, language="ar")
    if fields:
        updated = client.patch(
            f"/api/v1/intakes/{receipt['reference_code']}",
            headers=pin_headers(receipt),
            json=fields,
        )
        assert updated.status_code == 200, updated.text
    return receipt


def check_in_with_code(client, receipt: dict):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/checkins",
        headers=pin_headers(receipt),
        json={"reference_code": receipt["reference_code"]},
    )


def queue(client, desk: dict[str, str], **params: object) -> list[dict]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/staff/queue", headers=desk, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_walk_in_gets_a_numbered_ticket_without_personal_data(client) -> None:
    ticket = walk_in(client, language="ti", interpreter_needed=True)
    assert ticket["number"] == 1 and ticket["display_number"] == "001"
    assert (
        ticket["status"] == "waiting"
        and ticket["position"] == 0
        and ticket["estimated_wait_minutes"] == 0
    )
    assert (
        ticket["service_code"] == "entry_zone"
        and ticket["language"] == "ti"
        and ticket["receipt"] is None
    )
    assert ticket["ticket_code"].startswith("TK")
    assert walk_in(client)["number"] == 2
    with session_scope() as session:
        assert session.scalars(select(IntakeRecord)).all() == []


def test_quick_intake_creates_a_record_with_consent_and_routes_it(client) -> None:
    notice = client.get("/api/v1/consent/notice", params={"language": "fa"}).json()
    response = client.post(
        "/api/v1/checkins",
        json={
            "quick_intake": {
                "consent": {
                    "language": "fa",
                    "notice_version": notice["version"],
                    "channel": "kiosk",
                },
                "concern": "first_registration",
                "concern_text": "ثبت نام",
                "given_name": "Reza",
                "family_name": "Ahmadi",
                "interpreter_needed": True,
            }
        },
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    receipt = ticket["receipt"]
    assert receipt["reference_code_display"].startswith("LT-") and len(receipt["pin"]) == 6
    assert ticket["service_code"] == "entry_zone" and ticket["language"] == "fa"

    record = client.get(
        f"/api/v1/intakes/{receipt['reference_code']}", headers=pin_headers(receipt)
    )
    assert record.status_code == 200, record.text
    assert record.json()["status"] == "checked_in" and record.json()["family_name"] == "Ahmadi"
    assert (
        record.json()["concern"] == "first_registration"
        and record.json()["preferred_language"] == "fa"
    )

    [entry] = queue(client, staff_headers(client))
    assert entry["routing_rule"] == "status_unknown" and entry["routing_reason"]
    assert entry["intake"]["family_name"] == "Ahmadi" and entry["interpreter_needed"] is True


def test_quick_intake_with_an_outdated_notice_creates_nothing(client) -> None:
    response = client.post(
        "/api/v1/checkins",
        json={
            "quick_intake": {
                "consent": {"language": "fa", "notice_version": "0.0-unknown", "channel": "kiosk"},
                "concern": "other",
            }
        },
    )
    assert response.status_code in (409, 422), response.text
    assert "error" in response.json()
    with session_scope() as session:
        assert session.scalars(select(IntakeRecord)).all() == []


def test_checking_in_twice_the_same_day_returns_the_same_ticket(client) -> None:
    receipt = registered_client(
        client, residence_status="permit_25_1", concern="benefits_application"
    )
    first = check_in_with_code(client, receipt)
    assert first.status_code == 201, first.text
    assert first.json()["service_code"] == "integration_point"
    second = check_in_with_code(client, receipt)
    assert second.status_code == 201
    assert (
        second.json()["ticket_code"] == first.json()["ticket_code"] and second.json()["number"] == 1
    )
    assert len(queue(client, staff_headers(client))) == 1


def test_check_in_with_a_wrong_pin_issues_no_ticket(client) -> None:
    receipt = registered_client(client)
    wrong = client.post(
        "/api/v1/checkins",
        headers={"X-Lotse-Pin": "000000" if receipt["pin"] != "000000" else "111111"},
        json={"reference_code": receipt["reference_code"]},
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_proof"
    assert queue(client, staff_headers(client)) == []


def test_positions_and_waits_are_counted_per_team(client) -> None:
    first, second = walk_in(client), walk_in(client)
    protected = check_in_with_code(
        client, registered_client(client, residence_status="permit_25_2")
    ).json()
    third = walk_in(client)
    # entry zone: 10 minutes per client; Integration Point: its own queue
    assert [t["position"] for t in (first, second, third)] == [0, 1, 2]
    assert [t["estimated_wait_minutes"] for t in (first, second, third)] == [0, 10, 20]
    assert (
        protected["number"] == 3
        and protected["position"] == 0
        and protected["estimated_wait_minutes"] == 0
    )

    desk = staff_headers(client)
    called = client.post(
        "/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "1", "service_code": "entry_zone"},
    )
    assert called.status_code == 200 and called.json()["number"] == 1
    status = client.get(f"/api/v1/tickets/{third['ticket_code']}").json()
    assert status["position"] == 1 and status["estimated_wait_minutes"] == 10


def test_call_next_takes_the_earliest_waiting_ticket_of_the_team(client) -> None:
    walk_in(client)
    protected = check_in_with_code(
        client, registered_client(client, residence_status="permit_25_1")
    ).json()
    walk_in(client)
    desk = staff_headers(client)
    team = client.post(
        "/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "4", "service_code": "integration_point"},
    )
    assert (
        team.status_code == 200
        and team.json()["number"] == protected["number"]
        and team.json()["desk"] == "4"
    )
    empty = client.post(
        "/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "4", "service_code": "integration_point"},
    )
    assert empty.status_code == 404 and empty.json()["error"]["code"] == "queue_empty"
    any_team = client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "2"})
    assert any_team.json()["number"] == 1
    assert (
        client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "2"}).json()[
            "number"
        ]
        == 3
    )
    unknown = client.post(
        "/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "2", "service_code": "no_such_team"},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "service_not_found"


def test_hand_over_keeps_the_number_and_moves_the_ticket_to_the_other_queue(client) -> None:
    handed = walk_in(client)
    benefits_walk_in = walk_in(client)
    desk = staff_headers(client)
    [entry, _] = queue(client, desk)
    client.post(f"/api/v1/staff/tickets/{entry['id']}/call", headers=desk, json={"desk": "1"})
    response = client.post(
        f"/api/v1/staff/tickets/{entry['id']}/handover",
        headers=desk,
        json={"service_code": "benefits"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["number"] == 1 and response.json()["status"] == "waiting"
    # the desk sees where the client came from and where they wait now
    assert (
        response.json()["service_code"] == "entry_zone"
        and response.json()["handed_to_service_code"] == "benefits"
    )

    status = client.get(f"/api/v1/tickets/{handed['ticket_code']}").json()
    assert (
        status["number"] == 1 and status["service_code"] == "benefits" and status["position"] == 0
    )
    assert status["estimated_wait_minutes"] == 0
    # the entry zone queue no longer counts it
    assert client.get(f"/api/v1/tickets/{benefits_walk_in['ticket_code']}").json()["position"] == 0
    called = client.post(
        "/api/v1/staff/queue/call-next",
        headers=desk,
        json={"desk": "7", "service_code": "benefits"},
    )
    assert called.json()["number"] == 1 and called.json()["desk"] == "7"


def test_hand_over_to_a_desk_marks_the_record_handed_over(client) -> None:
    receipt = registered_client(client, residence_status="permit_25_1")
    check_in_with_code(client, receipt)
    desk = staff_headers(client)
    [entry] = queue(client, desk)
    handed = client.post(
        f"/api/v1/staff/tickets/{entry['id']}/handover",
        headers=desk,
        json={"service_code": "placement", "desk": "9"},
    )
    assert handed.json()["status"] == "handed_over" and handed.json()["desk"] == "9"
    record = client.get(
        f"/api/v1/intakes/{receipt['reference_code']}", headers=pin_headers(receipt)
    ).json()
    assert record["status"] == "handed_over"


def test_done_and_no_show_close_the_ticket(client) -> None:
    walk_in(client)
    walk_in(client)
    desk = staff_headers(client)
    first, second = queue(client, desk)
    done = client.post(f"/api/v1/staff/tickets/{first['id']}/done", headers=desk)
    assert done.status_code == 200 and done.json()["status"] == "done"
    no_show = client.post(f"/api/v1/staff/tickets/{second['id']}/no-show", headers=desk)
    assert no_show.status_code == 200 and no_show.json()["status"] == "no_show"
    assert queue(client, desk) == []
    assert [t["status"] for t in queue(client, desk, include_finished=True)] == ["done", "no_show"]
    for action, body in (
        ("done", None),
        ("no-show", None),
        ("call", {"desk": "1"}),
        ("handover", {"service_code": "benefits"}),
    ):
        closed = client.post(
            f"/api/v1/staff/tickets/{first['id']}/{action}", headers=desk, json=body
        )
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "ticket_closed", (
            action
        )
    missing = client.post("/api/v1/staff/tickets/999999/done", headers=desk)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ticket_not_found"


def test_ticket_status_page_follows_the_ticket(client) -> None:
    ticket = walk_in(client)
    status = client.get(f"/api/v1/tickets/{ticket['ticket_code'].lower()}")
    assert status.status_code == 200
    assert (
        status.json()["status"] == "waiting"
        and status.json()["desk"] is None
        and status.json()["called_at"] is None
    )
    desk = staff_headers(client)
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "5"})
    called = client.get(f"/api/v1/tickets/{ticket['ticket_code']}").json()
    assert (
        called["status"] == "called" and called["desk"] == "5" and called["called_at"] is not None
    )
    assert called["position"] is None and called["estimated_wait_minutes"] is None
    unknown = client.get("/api/v1/tickets/TK-NOPE-NOPE-NOPE")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "ticket_not_found"


def test_call_display_shows_numbers_and_desks_but_no_names(client) -> None:
    notice = client.get("/api/v1/consent/notice", params={"language": "ar"}).json()
    client.post(
        "/api/v1/checkins",
        json={
            "quick_intake": {
                "consent": {
                    "language": "ar",
                    "notice_version": notice["version"],
                    "channel": "kiosk",
                },
                "concern": "documents",
                "given_name": "Samira",
                "family_name": "Khalil",
                "concern_text": "Bescheid verstehen",
            }
        },
    )
    walk_in(client)
    desk = staff_headers(client)
    assert client.get("/api/v1/display/calls").json() == []
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "2"})
    display = client.get("/api/v1/display/calls")
    assert display.status_code == 200
    [call] = display.json()
    assert set(call) == {"display_number", "desk", "language", "called_at"}
    assert call["display_number"] == "001" and call["desk"] == "2"
    for personal in ("Samira", "Khalil", "Bescheid", "LT-"):
        assert personal not in display.text


def test_desk_endpoints_need_a_staff_token(client) -> None:
    walk_in(client)
    for method, path, body in (
        ("GET", "/api/v1/staff/queue", None),
        ("POST", "/api/v1/staff/queue/call-next", {"desk": "1"}),
        ("POST", "/api/v1/staff/tickets/1/done", None),
        ("POST", "/api/v1/staff/tickets/1/handover", {"service_code": "benefits"}),
    ):
        anonymous = client.request(method, path, json=body)
        assert (
            anonymous.status_code == 401
            and anonymous.json()["error"]["code"] == "not_authenticated"
        ), path
        forged = client.request(
            method, path, json=body, headers={"Authorization": "Bearer forged-token"}
        )
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "session_expired", (
            path
        )
    bot = client.get(
        "/api/v1/staff/queue",
        headers={"Authorization": "Bearer test-bot-token-with-enough-length-0123456789"},
    )
    assert bot.status_code == 401


def test_every_staff_role_may_work_the_desk(client) -> None:
    walk_in(client)
    for role in ("desk", "caseworker", "admin"):
        headers = staff_headers(client, role)
        assert len(queue(client, headers)) == 1, role


@pytest.mark.commits
def test_desks_reading_the_queue_while_clients_check_in_never_fail(live_server: LiveServer) -> None:
    """Each queue read is audited (a write): concurrent reads and check-ins must not trip over
    each other's locks."""
    username = make_staff("desk")
    with live_server(workers=2) as base:
        login = httpx.post(
            f"{base}/api/v1/staff/login",
            json={"username": username, "password": STAFF_PASSWORD},
            timeout=30,
        )
        desk = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def request(index: int) -> httpx.Response:
            if index % 2:
                return httpx.get(f"{base}/api/v1/staff/queue", headers=desk, timeout=60)
            return httpx.post(
                f"{base}/api/v1/checkins",
                json={"walk_in": {"language": "ar", "concern": "other"}},
                timeout=60,
            )

        barrier = threading.Barrier(24)

        def at_once(index: int) -> httpx.Response:
            barrier.wait()
            return request(index)

        with ThreadPoolExecutor(max_workers=24) as pool:
            responses = list(pool.map(at_once, range(24)))
    assert [r.status_code for r in responses if r.status_code >= 300] == [], [
        r.text for r in responses if r.status_code >= 300
    ][:2]
    with session_scope() as session:
        assert (
            session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "queue.viewed")
            )
            == 12
        )


def test_the_desk_reads_only_the_tickets_it_asks_for_and_only_those_are_audited(client) -> None:
    """The live view re-reads the tickets the stream says changed, not the whole queue."""
    desk = staff_headers(client)
    first = registered_client(client, residence_status="duldung")
    check_in_with_code(client, first).raise_for_status()
    second = registered_client(client, residence_status="duldung")
    check_in_with_code(client, second).raise_for_status()
    walk_in(client)
    whole = queue(client, desk)
    assert len(whole) == 3
    wanted = whole[1]

    [only] = queue(client, desk, ids=[wanted["id"]])
    assert only == wanted
    two = queue(client, desk, ids=[whole[2]["id"], whole[0]["id"]])
    assert [entry["id"] for entry in two] == [whole[0]["id"], whole[2]["id"]]
    # An id that is not one of today's tickets here is simply not in the answer.
    assert queue(client, desk, ids=[whole[0]["id"] + 1000]) == []
    with session_scope() as session:
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "queue.viewed")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.details["intake_ids"] == []
        before_last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "queue.viewed")
            .order_by(AuditEvent.id.desc())
            .offset(2)
        ).first()
        assert before_last is not None
        assert before_last.details["intake_ids"] == [wanted["intake"]["id"]]


def statements_of_a_queue_read(client, desk: dict[str, str]) -> tuple[int, list[dict]]:  # type: ignore[no-untyped-def]
    """The SQL statements one queue read sends to the database, and what it answers."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        entries = queue(client, desk)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent), entries


def test_a_queue_read_costs_the_same_statements_for_one_ticket_as_for_ten(client) -> None:
    """Issue 11 (<= 5 ms for 60 tickets): the view comes in one query whatever the queue's length,
    with records and a hand-over among the tickets; and it shows a record's change at once."""
    desk = staff_headers(client)
    first = registered_client(client, residence_status="duldung", given_name="Amal")
    check_in_with_code(client, first).raise_for_status()
    alone, [entry] = statements_of_a_queue_read(client, desk)
    for index in range(9):
        if index % 2:
            walk_in(client)
        else:
            check_in_with_code(
                client, registered_client(client, nationality="SY")
            ).raise_for_status()
    renamed = client.patch(
        f"/api/v1/intakes/{first['reference_code']}",
        headers=pin_headers(first),
        json={"given_name": "Amala"},
    )
    assert renamed.status_code == 200, renamed.text
    handed = client.post(
        f"/api/v1/staff/tickets/{entry['id']}/handover",
        headers=desk,
        json={"service_code": "benefits"},
    )
    assert handed.status_code == 200, handed.text
    many, entries = statements_of_a_queue_read(client, desk)
    assert len(entries) == 10 and many == alone
    assert entries[0]["intake"]["given_name"] == "Amala"
    assert entries[0]["handed_to_service_code"] == "benefits"
    assert entries[1]["intake"]["nationality_name"] == "Syrien"


@pytest.mark.parametrize(
    "ids", [["0"], ["x"], [str(2**31)], [str(n) for n in range(1, 202)]], ids=str
)
def test_bad_ticket_ids_are_refused_with_a_clear_error(client, ids: list[str]) -> None:
    response = client.get("/api/v1/staff/queue", headers=staff_headers(client), params={"ids": ids})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
