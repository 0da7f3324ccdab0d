"""Delivery statuses of a messenger chat (the WhatsApp channel's status callbacks) in the desk's
hand-over view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from kiosk_api import clock
from tests.api.conftest import BOT_TOKEN, staff_headers

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}
CONVERSATION = "4915112345678"
# A fixed moment in the past: the API keeps no status from the future, whatever today is.
MOMENT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
# The kiosk API's "now" in the test of a status from the future.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def status(client, value: str, at: datetime, conversation: str = CONVERSATION, headers=BOT):
    return client.post(
        f"/api/v1/handovers/{conversation}/delivery-status",
        headers=headers,
        json={"status": value, "at": at.isoformat()},
    )


def test_the_desk_sees_the_latest_delivery_status(client) -> None:
    opened = client.post(
        "/api/v1/handovers",
        headers=BOT,
        json={"conversation_id": CONVERSATION, "language": "ar", "output_channel": "whatsapp"},
    )
    assert opened.status_code == 201, opened.text
    desk = staff_headers(client)
    view = client.get(f"/api/v1/staff/inbox/{opened.json()['id']}", headers=desk).json()
    assert view["delivery_status"] is None and view["delivery_status_at"] is None

    assert status(client, "sent", MOMENT).status_code == 204
    assert status(client, "read", MOMENT + timedelta(seconds=5)).status_code == 204
    # Late or same-moment lesser news does not move the status back.
    assert status(client, "delivered", MOMENT + timedelta(seconds=2)).status_code == 204
    assert status(client, "delivered", MOMENT + timedelta(seconds=5)).status_code == 204
    [listed] = client.get("/api/v1/staff/inbox", headers=desk).json()
    assert listed["delivery_status"] == "read"
    assert datetime.fromisoformat(listed["delivery_status_at"]) == MOMENT + timedelta(seconds=5)

    # The next message could not be sent (the 24-hour window had closed): the desk sees "held".
    assert status(client, "held", MOMENT + timedelta(hours=30)).status_code == 204
    view = client.get(f"/api/v1/staff/inbox/{opened.json()['id']}", headers=desk).json()
    assert view["delivery_status"] == "held"

    # A status after the hand-back still lands (the hand-back message is reported after it).
    client.post(f"/api/v1/staff/inbox/{opened.json()['id']}/close", headers=desk)
    assert status(client, "failed", MOMENT + timedelta(hours=31)).status_code == 204
    closed = client.get(f"/api/v1/staff/inbox/{opened.json()['id']}", headers=desk).json()
    assert closed["delivery_status"] == "failed"


@pytest.fixture
def api_now() -> Iterator[datetime]:
    """The kiosk API's clock set to a fixed moment (it runs on from there), whatever today is."""
    clock.shift_to(NOW)
    yield NOW
    clock.reset()


def test_a_status_from_the_future_counts_as_now(client, api_now: datetime) -> None:
    client.post(
        "/api/v1/handovers", headers=BOT, json={"conversation_id": "49170555", "language": "de"}
    )
    assert status(client, "sent", api_now + timedelta(days=365), "49170555").status_code == 204
    desk = staff_headers(client)
    [listed] = [
        c
        for c in client.get("/api/v1/staff/inbox", headers=desk).json()
        if c["conversation_id"] == "49170555"
    ]
    kept = datetime.fromisoformat(listed["delivery_status_at"])
    assert api_now <= kept < api_now + timedelta(minutes=1)


def test_only_the_bot_reports_and_only_for_handed_over_chats(client) -> None:
    assert status(client, "sent", MOMENT, headers={}).status_code == 403
    assert (
        status(client, "sent", MOMENT, headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert status(client, "sent", MOMENT, "4930000000").status_code == 404
    assert status(client, "seen", MOMENT).status_code == 422
    refused = client.post(
        f"/api/v1/handovers/{CONVERSATION}/delivery-status",
        headers=BOT,
        json={"status": "sent", "at": MOMENT.isoformat(), "text": "hello"},
    )
    assert refused.status_code == 422
    assert status(client, "sent", MOMENT, "not a conversation").status_code in (404, 422)
