"""Rasa's SQL tracker store with the conversations this process last saved kept in memory (patch 15
in patches.py).

Rasa's SQLTrackerStore.retrieve reads every event of the session on each message: a query, one ORM
object and one JSON parse per row, an Event built from each and replayed on a new tracker. Its save
counts the stored events of the session with another query, then adds the rest one ORM object at
a time. Here each store keeps, per conversation, the tracker as last saved, with the id and
timestamp of the conversation's newest row then. A retrieve asks the database only for the newest
row (one indexed query): unchanged, it hands the kept tracker out (and forgets it, so a message
that fails before its save leaves nothing behind); otherwise it loads as Rasa does. So another
Rasa instance's events (a new newest row) and an erasure (no row, or another one) are read from
the database.

A tracker is kept only where it equals what a fresh retrieve from the database returns: the
tracker the store was handed is the one it handed out with its events still in the same deque (no
masked copy, bot/runtime/masking.py, which makes one only where a PIN is to be masked), no
history bound, no event before the session's latest start (what a retrieve leaves out), and every
new event reads back from its JSON as it was written. Everything else is saved and loaded as Rasa
does; retrieve_full_tracker is Rasa's.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# Conversations kept per store (each a tracker of some 10-100 events, tens of KB); the least
# recently saved goes first. A client's next message mostly comes within minutes: a conversation
# idle for longer is read from the database again, so the memory kept stays small and bounded.
MAX_CONVERSATIONS = 500
KEEP_SECONDS = 600.0
# The tracker attribute naming what the database held when the store handed the tracker out.
STORED_ATTRIBUTE = "_lotse_stored"


@dataclass(frozen=True)
class Stored:
    """What the database held of a conversation's session when its tracker was handed out: the
    number of events, the newest row (id and timestamp; None: no row) and the events' deque."""

    count: int
    newest: tuple[int, float] | None
    events: Any


@dataclass
class Kept:
    tracker: DialogueStateTracker
    newest: tuple[int, float]
    count: int
    saved_at: float


@dataclass
class CacheCounts:
    """How retrieves were answered (tests and the benchmark read them)."""

    hits: int = 0
    misses: int = 0
    kept: int = 0
    not_kept: int = 0


class TrackerCache:
    """The trackers one SQLTrackerStore last saved, least recently saved first."""

    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self.kept: OrderedDict[str, Kept] = OrderedDict()
        self.counts = CacheCounts()

    def take(self, sender_id: str) -> Kept | None:
        kept = self.kept.pop(sender_id, None)
        if kept is not None and time.monotonic() - kept.saved_at > self.keep_seconds:
            return None
        return kept

    def put(self, sender_id: str, kept: Kept) -> None:
        self.kept.pop(sender_id, None)
        self.kept[sender_id] = kept
        now = time.monotonic()
        while self.kept:
            oldest = next(iter(self.kept.values()))
            if len(self.kept) <= MAX_CONVERSATIONS and now - oldest.saved_at <= self.keep_seconds:
                break
            self.kept.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self.kept.pop(sender_id, None)


def cache_of(store: Any) -> TrackerCache:
    """The store's cache, made on first use; a tracker kept 10 minutes, never past the domain's
    session expiry."""
    cache = store.__dict__.get("_lotse_cache")
    if cache is None:
        keep = KEEP_SECONDS
        config = getattr(store.domain, "session_config", None) if store.domain else None
        if config is not None and config.are_sessions_enabled():
            keep = min(keep, config.session_expiration_time * 60)
        cache = store.__dict__["_lotse_cache"] = TrackerCache(keep)
    return cache


# The newest row of one conversation, in the DB-API's own parameter style (a statement built with
# SQLAlchemy's query API cost 0.9 ms of CPU per call, most of it the key of its compiled-statement
# cache).
NEWEST_ROW = (
    "SELECT id, timestamp FROM {table} WHERE sender_id = {parameter} ORDER BY id DESC LIMIT 1"
)
PARAMETERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _newest_row(store: Any, session: Any, sender_id: str) -> tuple[int, float] | None:
    """The id and timestamp of the conversation's newest row (the index on sender_id)."""
    event = store.SQLEvent
    connection = session.connection()
    parameter = PARAMETERS.get(connection.dialect.paramstyle)
    if parameter is None:  # another DB-API: SQLAlchemy's statement
        row = session.execute(
            sa.select(event.id, event.timestamp)
            .where(event.sender_id == sender_id)
            .order_by(event.id.desc())
            .limit(1)
        ).first()
    else:
        sql = NEWEST_ROW.format(table=event.__tablename__, parameter=parameter)
        row = connection.exec_driver_sql(sql, (sender_id,)).first()
    return (row[0], row[1]) if row is not None else None


def _handed_out(tracker: DialogueStateTracker, count: int, newest: Any) -> DialogueStateTracker:
    setattr(tracker, STORED_ATTRIBUTE, Stored(count, newest, tracker.events))
    return tracker


async def retrieve(store: Any, sender_id: str) -> DialogueStateTracker | None:
    """SQLTrackerStore.retrieve: the kept tracker while the conversation's newest row is the one
    it was saved with, else the session's events from the database as Rasa loads them."""
    cache = cache_of(store)
    kept = cache.take(sender_id)
    with store.session_scope() as session:
        if (
            kept is not None
            # nothing added since the save (the one who saved it let it go)
            and len(kept.tracker.events) == kept.count
            and kept.tracker.events[-1].timestamp == kept.newest[1]
            and _newest_row(store, session, sender_id) == kept.newest
        ):
            cache.counts.hits += 1
            return _handed_out(kept.tracker, kept.count, kept.newest)
        cache.counts.misses += 1
        rows = store._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not rows or not store.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], store.domain.slots
        )
        return _handed_out(tracker, len(rows), (rows[-1].id, rows[-1].timestamp))


def _event_row(sender_id: str, event: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The events table row of one event, and its data as written."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }, data


def _read_back(event: Any, row: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether the event equals what a retrieve builds from its row. NLU's token offsets are
    tuples in a new message, lists once read back: such a message takes what it reads back as
    its own (the same object, which the tracker's latest message is)."""
    loaded = json.loads(row["data"])
    if loaded == data:
        return True
    if not isinstance(event, UserUttered):
        return False
    read = Event.from_parameters(loaded)
    if type(read) is not type(event) or read.as_dict() != loaded:
        return False
    event.__dict__.update(read.__dict__)
    return True


def _as_retrieved(
    store: Any, tracker: DialogueStateTracker, stored: Stored | None
) -> DialogueStateTracker | None:
    """The tracker a retrieve from the database returns after this save, when it can be told
    without one: the tracker itself, or, after a session start, a tracker of the events since
    (what Rasa's retrieve selects: a timestamp not before the latest SessionStarted's)."""
    if stored is None or tracker.events is not stored.events or tracker.events.maxlen is not None:
        return None
    session_start = None
    for event in tracker.events:
        if isinstance(event, SessionStarted):
            session_start = event.timestamp
    if session_start is None or all(event.timestamp >= session_start for event in tracker.events):
        return tracker
    if store.domain is None:
        return None
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        [event for event in tracker.events if event.timestamp >= session_start],
        store.domain.slots,
    )


async def save(store: Any, tracker: DialogueStateTracker) -> None:
    """SQLTrackerStore.save: the events past those stored inserted in one statement. The number
    stored is the one the tracker was handed out with while the newest row is still the same,
    else counted as Rasa counts it. Then the tracker is kept where it equals a fresh retrieve."""
    await store.stream_events(tracker)
    cache = cache_of(store)
    sender_id = tracker.sender_id
    cache.forget(sender_id)
    stored: Stored | None = getattr(tracker, STORED_ATTRIBUTE, None)
    with store.session_scope() as session:
        if not tracker.events:  # a new conversation (create_tracker): nothing to count or add
            newest = _newest_row(store, session, sender_id)
            setattr(
                tracker,
                STORED_ATTRIBUTE,
                Stored(0, None, tracker.events) if newest is None else None,
            )
            return
        if (
            stored is not None
            and stored.count <= len(tracker.events)
            and _newest_row(store, session, sender_id) == stored.newest
        ):
            count = stored.count
        else:
            stored = None
            count = store._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).count()
        new = [(event, _event_row(sender_id, event)) for event in list(tracker.events)[count:]]
        if new:
            session.execute(store.SQLEvent.__table__.insert(), [row for _, (row, _) in new])
            newest = _newest_row(store, session, sender_id)
        else:
            newest = stored.newest if stored is not None else None
        session.commit()
    kept = (
        _as_retrieved(store, tracker, stored)
        if newest is not None and all(_read_back(event, row, data) for event, (row, data) in new)
        else None
    )
    if kept is not None:
        cache.counts.kept += 1
        count = len(kept.events)
        cache.put(sender_id, Kept(kept, newest, count, time.monotonic()))
        setattr(kept, STORED_ATTRIBUTE, Stored(count, newest, kept.events))
    else:
        cache.counts.not_kept += 1
    # What the database holds now, for a save of this tracker again (without a retrieve).
    setattr(tracker, STORED_ATTRIBUTE, Stored(len(tracker.events), newest, tracker.events))
