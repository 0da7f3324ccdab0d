"""Contention through a real server with several worker processes: exactly one winner, nothing
lost."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from kiosk_api.db import session_scope
from kiosk_api.models import Booking, QueueTicket, Slot
from tests.api.conftest import LiveServer, make_slot
from tests.support.crowd import all_at_once

# Live servers in other processes must see the rows the tests write.
pytestmark = pytest.mark.commits

CLIENTS = 100


def test_hundred_clients_race_for_the_last_place_and_exactly_one_wins(
    live_server: LiveServer,
) -> None:
    slot_id = make_slot(capacity=1, hours_ahead=48)
    with live_server(workers=2) as base:
        responses = all_at_once(
            CLIENTS,
            lambda http, i: http.post(
                f"{base}/api/v1/bookings",
                json={"slot_id": slot_id, "language": "fa"},
                headers={"Idempotency-Key": f"client-{i}"},
            ),
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CLIENTS - 1}, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"slot_full"}
    with session_scope() as session:
        assert session.get(Slot, slot_id).booked == 1
        assert session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot_id)) == 1


def test_a_kiosk_retrying_one_check_in_gets_one_ticket(live_server: LiveServer) -> None:
    body = {"walk_in": {"language": "ti", "concern": "documents", "interpreter_needed": True}}
    with live_server(workers=2) as base:
        responses = all_at_once(
            20,
            lambda http, i: http.post(
                f"{base}/api/v1/checkins", json=body, headers={"Idempotency-Key": "kiosk-7-attempt"}
            ),
        )
        # a duplicate still being processed answers 409 with Retry-After; the retry replays the
        # ticket
        retried = [
            httpx.post(
                f"{base}/api/v1/checkins",
                json=body,
                headers={"Idempotency-Key": "kiosk-7-attempt"},
                timeout=30,
            )
            for r in responses
            if r.status_code == 409
        ]
    answers = [r for r in [*responses, *retried] if r.status_code == 201]
    assert len(answers) == len(responses), [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    assert len({r.json()["ticket_code"] for r in answers}) == 1
    with session_scope() as session:
        assert session.scalar(select(func.count(QueueTicket.id))) == 1


def test_simultaneous_walk_ins_get_distinct_consecutive_numbers(live_server: LiveServer) -> None:
    with live_server(workers=2) as base:
        responses = all_at_once(
            30,
            lambda http, i: http.post(
                f"{base}/api/v1/checkins", json={"walk_in": {"language": "uk", "concern": "other"}}
            ),
        )
    assert Counter(r.status_code for r in responses) == {201: 30}
    assert sorted(r.json()["number"] for r in responses) == list(range(1, 31))


def test_parallel_wrong_pins_cannot_outrun_the_lockout(live_server: LiveServer) -> None:
    from fastapi.testclient import TestClient

    from kiosk_api.main import app
    from tests.api.conftest import consent

    with TestClient(app) as client:
        receipt = consent(client, language="ar")
    wrong = "000000" if receipt["pin"] != "000000" else "111111"
    with live_server(workers=2) as base:
        responses = all_at_once(
            30,
            lambda http, i: http.get(
                f"{base}/api/v1/intakes/{receipt['reference_code']}", headers={"X-Lotse-Pin": wrong}
            ),
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses[401] <= 5 and statuses[401] + statuses[429] == 30, statuses
