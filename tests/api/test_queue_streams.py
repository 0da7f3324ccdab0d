"""The queue's event streams through a real server: the desk's live queue, the lobby call
display, a ticket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from kiosk_api import i18n
from tests.api.conftest import STAFF_PASSWORD, LiveServer, make_staff


def events(response: httpx.Response) -> Iterator[tuple[str, object]]:
    """Parses a text/event-stream body into (event, data) pairs; comments and retry lines are
    skipped."""
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


def walk_in(api: httpx.Client, language: str, key: str) -> dict:
    response = api.post(
        "/api/v1/checkins",
        json={"walk_in": {"language": language, "concern": "other"}},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return response.json()


def desk_login(api: httpx.Client, username: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/staff/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def queue_entry_of(api: httpx.Client, headers: dict[str, str], ticket: dict) -> dict:
    return next(
        e
        for e in api.get("/api/v1/staff/queue", headers=headers).json()
        if e["number"] == ticket["number"]
    )


@pytest.mark.commits
def test_display_stream_pushes_calls_without_names(live_server: LiveServer) -> None:
    username = make_staff("desk")
    with live_server(workers=1) as base, httpx.Client(base_url=base, timeout=15) as api:
        ticket = walk_in(api, "ps", "display-stream")
        headers = desk_login(api, username)
        entry = queue_entry_of(api, headers, ticket)
        with (
            httpx.Client(base_url=base, timeout=15) as streaming,
            streaming.stream("GET", "/api/v1/display/stream") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            event, calls = next(stream)
            assert event == "calls" and isinstance(calls, list)
            api.post(
                f"/api/v1/staff/tickets/{entry['id']}/call", json={"desk": "12"}, headers=headers
            ).raise_for_status()
            event, calls = next(stream)
    call = calls[0]
    assert call["display_number"] == ticket["display_number"] and call["desk"] == "12"
    assert call["language"] == i18n.translate_text("display.call", "ps").language
    assert call["direction"] == i18n.direction(call["language"])
    assert set(call) == {"display_number", "desk", "language", "direction", "text", "called_at"}


@pytest.mark.commits
def test_queue_stream_needs_a_login_and_ends_with_it(live_server: LiveServer) -> None:
    username = make_staff("desk")
    with live_server(workers=1) as base, httpx.Client(base_url=base, timeout=15) as api:
        assert api.get("/api/v1/staff/queue/stream").status_code == 401
        assert (
            api.get(
                "/api/v1/staff/queue/stream", headers={"Authorization": "Bearer not-a-token"}
            ).status_code
            == 401
        )
        headers = desk_login(api, username)
        with (
            httpx.Client(base_url=base, timeout=15) as streaming,
            streaming.stream("GET", "/api/v1/staff/queue/stream", headers=headers) as response,
        ):
            stream = events(response)
            event, first = next(stream)
            assert event == "queue" and first["version"]
            ticket = walk_in(api, "so", "queue-stream")
            event, second = next(stream)
            assert event == "queue" and second["version"] != first["version"]
            # Each ticket has its own version: the desk re-reads only the one that changed.
            [added] = set(second["tickets"]) - set(first["tickets"])
            assert {k: v for k, v in second["tickets"].items() if k != added} == first["tickets"]
            entry = queue_entry_of(api, headers, ticket)
            assert entry["id"] == int(added) and entry["version"] == second["tickets"][added]
            api.post(
                f"/api/v1/staff/tickets/{added}/call", json={"desk": "4"}, headers=headers
            ).raise_for_status()
            event, third = next(stream)
            assert [k for k in third["tickets"] if third["tickets"][k] != second["tickets"][k]] == [
                added
            ]
            # A finished ticket leaves the open ones the stream names.
            done = api.post(f"/api/v1/staff/tickets/{added}/done", headers=headers)
            assert done.status_code == 200, done.text
            event, fourth = next(stream)
            assert added not in fourth["tickets"] and fourth["version"] != third["version"]
            api.post("/api/v1/staff/logout", headers=headers).raise_for_status()
            assert next(stream)[0] == "unauthorized"


@pytest.mark.commits
def test_ticket_stream_follows_the_ticket(live_server: LiveServer) -> None:
    username = make_staff("desk")
    with live_server(workers=1) as base, httpx.Client(base_url=base, timeout=15) as api:
        ticket = walk_in(api, "uk", "ticket-stream")
        headers = desk_login(api, username)
        entry = queue_entry_of(api, headers, ticket)
        assert api.get("/api/v1/tickets/NOSUCHTICKET/stream").status_code == 404
        with (
            httpx.Client(base_url=base, timeout=15) as streaming,
            streaming.stream("GET", f"/api/v1/tickets/{ticket['ticket_code']}/stream") as response,
        ):
            stream = events(response)
            event, first = next(stream)
            assert (
                event == "ticket"
                and first["status"] == "waiting"
                and first["ticket_code"] == ticket["ticket_code"]
            )
            api.post(
                f"/api/v1/staff/tickets/{entry['id']}/call", json={"desk": "3"}, headers=headers
            ).raise_for_status()
            event, second = next(stream)
    assert second["status"] == "called" and second["desk"] == "3"


@pytest.mark.commits
def test_streams_are_capped_per_address_and_staff_keep_their_own_pool(
    live_server: LiveServer,
) -> None:
    """Security review, gap 7: public streams shared one cap of 200 with the desks' streams, and one
    address could take them all."""
    username = make_staff("desk")
    caps = {"LOTSE_STREAMS_PER_ADDRESS_MAX": "2", "LOTSE_PUBLIC_STREAMS_MAX": "50"}
    with (
        live_server(workers=1, extra_env=caps) as base,
        httpx.Client(base_url=base, timeout=15) as api,
        httpx.Client(base_url=base, timeout=15) as first_client,
        httpx.Client(base_url=base, timeout=15) as second_client,
    ):
        headers = desk_login(api, username)
        with (
            first_client.stream("GET", "/api/v1/display/stream") as first,
            second_client.stream("GET", "/api/v1/display/stream") as second,
        ):
            # Both counted; the parsers stay referenced (a collected one closes its connection).
            first_events, second_events = events(first), events(second)
            assert next(first_events)[0] == next(second_events)[0] == "calls"
            refused = api.get("/api/v1/display/stream")
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "too_many_streams"
            assert refused.headers["Retry-After"] == "5"
            # The desk's queue stream has its own pool: the public crowd does not lock it out.
            with api.stream("GET", "/api/v1/staff/queue/stream", headers=headers) as queue:
                queue_events = events(queue)
                assert queue.status_code == 200 and next(queue_events)[0] == "queue"
        # Closed streams give their places back (the server notices the disconnect within a poll).
        for _ in range(50):
            with api.stream("GET", "/api/v1/display/stream") as again:
                if again.status_code == 200:
                    break
            time.sleep(0.2)
        assert again.status_code == 200
