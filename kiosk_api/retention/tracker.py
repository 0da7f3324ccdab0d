"""Erasure reaches into Rasa's tracker store: it keeps the raw text of every message."""
from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy import Engine, create_engine, inspect, text

from kiosk_api.config import get_settings

log = logging.getLogger(__name__)


@lru_cache
def _tracker_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return create_engine(url, hide_parameters=True)
    return create_engine(url, pool_size=2, max_overflow=2, hide_parameters=True)


def delete_conversation(conversation_id: str) -> int:
    """Deletes every tracker event of one conversation; returns how many rows went."""
    url = get_settings().tracker_database_url
    if not url:
        log.warning("tracker store not configured; conversation events were not erased")
        return 0
    engine = _tracker_engine(url)
    if not inspect(engine).has_table("events"):
        return 0
    with engine.begin() as connection:
        result = connection.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id})
    return result.rowcount or 0
