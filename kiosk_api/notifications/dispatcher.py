"""Delivers the outbox through Rasa's conversation API (`trigger_intent`), authenticated with a JWT.

Runs as a background job in a worker thread (kiosk_api.jobs): no transaction is open while it
calls Rasa."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

import httpx
import jwt
from sqlalchemy import select, update

from kiosk_api.config import Settings
from kiosk_api.db import session_scope
from kiosk_api.models import Notification, utcnow

log = logging.getLogger("lotse.notifications")
MAX_ATTEMPTS = 10
BATCH = 20


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


def _due(after_id: int) -> list[tuple[int, str, str, str, dict]]:
    with session_scope() as session:
        return [
            (n.id, n.conversation_id, n.output_channel, n.intent, dict(n.entities))
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
    while batch := _due(last_id):
        for notification_id, conversation_id, channel, intent, entities in batch:
            last_id = notification_id
            error = None
            try:
                response = client.post(
                    f"{settings.rasa_url.rstrip('/')}/conversations/"
                    f"{quote(conversation_id, safe='')}/trigger_intent",
                    params={"output_channel": channel},
                    json={"name": intent, "entities": entities},
                    headers={
                        "Authorization": (
                            f"Bearer {rasa_token(settings.rasa_jwt_secret, conversation_id)}"
                        )
                    },
                )
                if response.status_code >= 400:
                    error = f"rasa answered {response.status_code}"
            except httpx.HTTPError as failure:
                error = type(failure).__name__
            _record(notification_id, error)
            if error is None:
                delivered += 1
            else:
                log.warning("notification %s not delivered: %s", notification_id, error)
    return delivered
