"""Delivers the outbox through Rasa's conversation API (`trigger_intent`), authenticated with a JWT.

Runs as a background job in a worker thread (kiosk_api.jobs): no transaction is open while it
calls Rasa."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import httpx
import jwt
from sqlalchemy import select, update

from kiosk_api.config import Settings
from kiosk_api.db import session_scope
from kiosk_api.models import Notification, utcnow

log = logging.getLogger("lotse.notifications")
# After a failed attempt the next one waits twice as long as the one before, at most a minute: a
# push outlives an outage of Rasa or its stores of about 25 minutes (a Redis or PostgreSQL
# restart, all Rasa instances redeployed). Ten attempts one second apart gave up after 10 s, and
# the staff reply was never delivered.
MAX_ATTEMPTS = 30
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0
BATCH = 20


def retry_after(attempts: int) -> timedelta:
    """How long after its creation a push that failed `attempts` times is due again."""
    return timedelta(
        seconds=sum(
            min(FIRST_RETRY_SECONDS * 2**attempt, LONGEST_RETRY_SECONDS)
            for attempt in range(attempts)
        )
    )


def rasa_token(secret: str, conversation_id: str, lifetime_seconds: int = 60) -> str:
    """A JWT that opens one conversation's routes only (Rasa's "user" role: username =
    conversation id); never the admin role, which would also open the model and every other
    conversation."""
    now = int(time.time())
    return jwt.encode(
        {
            "user": {"username": conversation_id, "role": "user"},
            "iat": now,
            "exp": now + lifetime_seconds,
        },
        secret,
        algorithm="HS256",
    )


@dataclass(frozen=True)
class _Push:
    id: int
    conversation_id: str
    output_channel: str
    intent: str
    entities: dict
    due: bool


def _waiting(after_id: int) -> list[_Push]:
    """The next unsent pushes after `after_id`, oldest first, each with whether it is due now."""
    now = utcnow()
    with session_scope() as session:
        return [
            _Push(
                id=n.id,
                conversation_id=n.conversation_id,
                output_channel=n.output_channel,
                intent=n.intent,
                entities=dict(n.entities),
                due=n.created_at + retry_after(n.attempts) <= now,
            )
            for n in session.scalars(
                select(Notification)
                .where(
                    Notification.sent_at.is_(None),
                    Notification.attempts < MAX_ATTEMPTS,
                    Notification.id > after_id,
                )
                .order_by(Notification.id)
                .limit(BATCH)
            )
        ]


def _record(notification_id: int, error: str | None) -> None:
    with session_scope(write=True) as session:
        values: dict[str, object] = {"attempts": Notification.attempts + 1, "last_error": error}
        if error is None:
            values["sent_at"] = utcnow()
        session.execute(
            update(Notification).where(Notification.id == notification_id).values(**values)
        )


def deliver_pending(settings: Settings, client: httpx.Client) -> int:
    """Sends what is due, oldest first, each attempted once per round; returns how many were
    delivered."""
    if not settings.rasa_url or not settings.rasa_jwt_secret:
        return 0
    delivered = 0
    last_id = 0
    # A conversation whose older push waits or failed gets none of its later ones this round: a
    # client reads the desk's replies in the order they were written.
    held: set[str] = set()
    while batch := _waiting(last_id):
        last_id = batch[-1].id
        for push in batch:
            if push.conversation_id in held or not push.due:
                held.add(push.conversation_id)
                continue
            error = None
            try:
                response = client.post(
                    f"{settings.rasa_url.rstrip('/')}/conversations/"
                    f"{quote(push.conversation_id, safe='')}/trigger_intent",
                    params={"output_channel": push.output_channel},
                    # Its id lets the chat show a push sent again (after a timeout) once.
                    json={"name": push.intent, "entities": {**push.entities, "push_id": push.id}},
                    headers={
                        "Authorization": (
                            f"Bearer {rasa_token(settings.rasa_jwt_secret, push.conversation_id)}"
                        )
                    },
                )
                if response.status_code >= 400:
                    error = f"rasa answered {response.status_code}"
            except httpx.HTTPError as failure:
                error = type(failure).__name__
            _record(push.id, error)
            if error is None:
                delivered += 1
            else:
                held.add(push.conversation_id)
                log.warning("notification %s not delivered: %s", push.id, error)
    return delivered
