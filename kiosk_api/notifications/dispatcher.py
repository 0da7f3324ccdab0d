"""Delivers the outbox through Rasa's conversation API (`trigger_intent`), authenticated with a JWT."""
from __future__ import annotations

import asyncio
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


def rasa_token(secret: str, lifetime_seconds: int = 300) -> str:
    """Rasa admits conversation calls from a JWT whose user has the admin role."""
    now = int(time.time())
    return jwt.encode({"user": {"username": "lotse-kiosk-api", "role": "admin"}, "iat": now, "exp": now + lifetime_seconds}, secret, algorithm="HS256")


async def deliver_pending(settings: Settings, client: httpx.AsyncClient) -> int:
    """Sends what is due; returns how many were delivered. One dispatcher per deployment."""
    if not settings.rasa_url or not settings.rasa_jwt_secret:
        return 0
    with session_scope() as session:
        due = [
            (n.id, n.conversation_id, n.output_channel, n.intent, dict(n.entities))
            for n in session.scalars(
                select(Notification).where(Notification.sent_at.is_(None), Notification.attempts < MAX_ATTEMPTS).order_by(Notification.id).limit(BATCH)
            )
        ]
    delivered = 0
    headers = {"Authorization": f"Bearer {rasa_token(settings.rasa_jwt_secret)}"}
    for notification_id, conversation_id, channel, intent, entities in due:
        error = None
        try:
            response = await client.post(
                f"{settings.rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/trigger_intent",
                params={"output_channel": channel}, json={"name": intent, "entities": entities}, headers=headers,
            )
            if response.status_code >= 400:
                error = f"rasa answered {response.status_code}"
        except httpx.HTTPError as failure:
            error = type(failure).__name__
        with session_scope(write=True) as session:
            values = {"attempts": Notification.attempts + 1, "last_error": error}
            if error is None:
                values["sent_at"] = utcnow()
                delivered += 1
            session.execute(update(Notification).where(Notification.id == notification_id).values(**values))
        if error:
            log.warning("notification %s not delivered: %s", notification_id, error)
    return delivered


async def run_forever(settings: Settings, interval_seconds: float = 1.0) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            try:
                await deliver_pending(settings, client)
            except Exception:  # a database hiccup must not end the loop
                log.exception("notification dispatch failed")
            await asyncio.sleep(interval_seconds)
