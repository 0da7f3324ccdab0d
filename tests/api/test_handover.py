"""Chat hand-over to the desk and turn reminders: what the bot sends, what staff see, what goes
back to the chat."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kiosk_api.db import session_scope
from kiosk_api.handover.service import opening_status
from kiosk_api.models import Notification
from tests.api.conftest import BOT_TOKEN, site, staff_headers

BOT = {"Authorization": f"Bearer {BOT_TOKEN}"}


def _notifications() -> list[tuple[str, str, dict]]:
    with session_scope() as session:
        return [
            (n.conversation_id, n.intent, n.entities)
            for n in session.scalars(select(Notification).order_by(Notification.id))
        ]


def test_a_conversation_goes_to_the_desk_and_back(client) -> None:
    opened = client.post(
        "/api/v1/handovers",
        headers=BOT,
        json={"conversation_id": "chat-7", "language": "fa", "output_channel": "socketio"},
    )
    assert opened.status_code == 201, opened.text
    assert (
        client.post(
            "/api/v1/handovers", headers=BOT, json={"conversation_id": "chat-7", "language": "fa"}
        ).json()["id"]
        == opened.json()["id"]
    )
    assert (
        client.post(
            "/api/v1/handovers/chat-7/messages",
            headers=BOT,
            json={"text": "سلام، نامه جاب سنتر را نمی فهمم"},
        ).status_code
        == 204
    )

    desk = staff_headers(client)
    [listed] = client.get("/api/v1/staff/inbox", headers=desk).json()
    assert listed["language_name"] == "Persisch" and listed["unanswered"] == 1
    conversation = client.get(f"/api/v1/staff/inbox/{listed['id']}", headers=desk).json()
    [message] = conversation["messages"]
    assert (
        message["sender"] == "client"
        and message["german"]["original"] == "سلام، نامه جاب سنتر را نمی فهمم"
    )
    assert message["german"]["target_language"] == "de"

    replied = client.post(
        f"/api/v1/staff/inbox/{listed['id']}/reply",
        headers=desk,
        json={"text": "Bitte bringen Sie den Brief morgen mit."},
    )
    assert replied.status_code == 200 and replied.json()["unanswered"] == 0
    closed = client.post(f"/api/v1/staff/inbox/{listed['id']}/close", headers=desk)
    assert closed.json()["status"] == "closed"
    assert (
        client.post(
            "/api/v1/handovers/chat-7/messages", headers=BOT, json={"text": "danke"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/staff/inbox/{listed['id']}/reply", headers=desk, json={"text": "noch da?"}
        ).status_code
        == 409
    )

    sent = _notifications()
    assert [(c, i) for c, i, _ in sent] == [
        ("chat-7", "EXTERNAL_staff_reply"),
        ("chat-7", "EXTERNAL_handover_ended"),
    ]
    assert sent[0][2]["original"] == "Bitte bringen Sie den Brief morgen mit."


def test_only_the_bot_may_hand_over_conversations(client) -> None:
    response = client.post("/api/v1/handovers", json={"conversation_id": "x", "language": "ar"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "bot_only"
    walk_in_with_chat = client.post(
        "/api/v1/checkins",
        json={
            "walk_in": {"language": "ar", "concern": "other"},
            "conversation_id": "someone-elses-chat",
        },
    )
    assert walk_in_with_chat.status_code == 403


def test_chat_clients_hear_when_their_turn_is_near_and_when_they_are_called(client) -> None:
    def arrive(conversation: str | None) -> dict:
        body: dict = {"walk_in": {"language": "ar", "concern": "documents"}}
        headers = {}
        if conversation:
            body |= {"conversation_id": conversation, "output_channel": "telegram"}
            headers = BOT
        response = client.post("/api/v1/checkins", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    for _ in range(3):
        arrive(None)
    arrive("chat-far")  # fourth in line: three before it
    assert _notifications() == []
    desk = staff_headers(client)
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "1"})
    assert [(c, i, e) for c, i, e in _notifications()] == [
        ("chat-far", "EXTERNAL_ticket_near", {"ticket_number": "004", "position": 3})
    ]
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "1"})
    assert len(_notifications()) == 1, "a client is told once that the turn is near"
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "2"})
    client.post("/api/v1/staff/queue/call-next", headers=desk, json={"desk": "5"})
    assert _notifications()[-1] == (
        "chat-far",
        "EXTERNAL_ticket_called",
        {"ticket_number": "004", "desk": "5"},
    )


def test_opening_status_says_when_someone_answers() -> None:
    with session_scope() as session:
        the_site = site(session)
        tuesday_morning = opening_status(
            session=session, site=the_site, now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        )
        friday_evening = opening_status(
            session=session, site=the_site, now=datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
        )
    assert tuesday_morning.open_now is True
    assert friday_evening.open_now is False
    assert (
        friday_evening.next_opening_at is not None and friday_evening.next_opening_at.weekday() == 0
    )
    assert friday_evening.next_opening_at.astimezone(UTC).hour == 7  # 08:00 in Berlin, winter time


def test_erasing_a_record_removes_its_chats_with_the_desk(client) -> None:
    from tests.api.conftest import consent, pin_headers

    receipt = consent(client, language="ar", conversation_id="tg-555", headers=BOT)
    client.post(
        "/api/v1/handovers",
        headers=BOT,
        json={
            "conversation_id": "tg-555",
            "language": "ar",
            "reference_code": receipt["reference_code"],
        },
    )
    client.post(
        "/api/v1/handovers/tg-555/messages",
        headers=BOT,
        json={"text": "اسمي أمينة حداد وهاتفي 0151"},
    )
    desk = staff_headers(client)
    [listed] = client.get("/api/v1/staff/inbox", headers=desk).json()
    client.post(
        f"/api/v1/staff/inbox/{listed['id']}/reply",
        headers=desk,
        json={"text": "Guten Tag Frau Haddad"},
    )
    export = client.get(
        f"/api/v1/intakes/{receipt['reference_code']}/export", headers=pin_headers(receipt)
    ).json()
    assert [m["sender"] for m in export["chat_with_desk"]] == ["client", "staff"]

    assert (
        client.delete(
            f"/api/v1/intakes/{receipt['reference_code']}", headers=pin_headers(receipt)
        ).status_code
        == 204
    )
    from kiosk_api.models import Handover, HandoverMessage

    with session_scope() as session:
        assert session.scalars(select(Handover)).all() == []
        assert session.scalars(select(HandoverMessage)).all() == []
        assert session.scalars(select(Notification)).all() == []
    assert client.get("/api/v1/staff/inbox", headers=desk).json() == []
