"""Erasure reaches into Rasa's tracker store: it keeps the raw text of every message.

One setting names the store for both sides: LOTSE_TRACKER_DATABASE_URL (the kiosk API here, the
Rasa server through bot/scripts/write_config.py). Erasure fails loudly when the store cannot be
reached, so no client is told "erased" while their conversation stays."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from kiosk_api.config import get_settings
from kiosk_api.errors import LotseError

log = logging.getLogger(__name__)
EVENTS_TABLE = "events"


class TrackerStoreUnreachable(LotseError):
    """The conversation store is not configured, not reachable, or not Rasa's: nothing is
    reported as erased."""

    status_code = 503
    code = "tracker_store_unreachable"


@lru_cache
def _tracker_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return create_engine(url, hide_parameters=True)
    return create_engine(url, pool_size=2, max_overflow=2, hide_parameters=True)


def _engine() -> Engine:
    url = get_settings().tracker_database_url
    if not url:
        log.error("LOTSE_TRACKER_DATABASE_URL is not set: conversations cannot be erased")
        raise TrackerStoreUnreachable(details={"reason": "not_configured"})
    return _tracker_engine(url)


def _has_events(engine: Engine) -> bool:
    try:
        return inspect(engine).has_table(EVENTS_TABLE)
    except SQLAlchemyError as error:
        log.error("tracker store unreachable: %s", type(error).__name__)
        raise TrackerStoreUnreachable(details={"reason": "unreachable"}) from error


def delete_conversation(conversation_id: str) -> int:
    """Deletes every tracker event of one conversation; returns how many rows went."""
    engine = _engine()
    if not _has_events(engine):
        # A conversation linked to a record was written by Rasa: no events table means the wrong
        # database.
        log.error(
            "tracker store has no %s table: is LOTSE_TRACKER_DATABASE_URL Rasa's store?",
            EVENTS_TABLE,
        )
        raise TrackerStoreUnreachable(details={"reason": "no_events_table"})
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id}
            )
    except SQLAlchemyError as error:
        raise TrackerStoreUnreachable(details={"reason": "unreachable"}) from error
    return result.rowcount or 0


def purge_conversations(*, last_active_before: datetime) -> int:
    """Deletes whole conversations whose last event is older than the cutoff (chats never linked
    to a record included); returns how many events went. No store configured: nothing to purge (a
    kiosk without the bot)."""
    if not get_settings().tracker_database_url:
        return 0
    engine = _engine()
    if not _has_events(engine):
        return 0
    stale = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text(f"DELETE FROM events WHERE sender_id IN ({stale})"),
                {"cutoff": last_active_before.timestamp()},
            )
    except SQLAlchemyError as error:
        raise TrackerStoreUnreachable(details={"reason": "unreachable"}) from error
    return result.rowcount or 0
