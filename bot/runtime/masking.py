"""Secrets the tracker store must not keep: the PIN a bot message shows once, and the PIN a client
types into check-in.

Rasa stores each message's text (and a response's template variables) with the conversation;
masked_tracker() gives the store a copy in which those PINs read MASK, while the message that went
to the channel stays as it was. Patch 8 in patches.py hands every save this copy; this module
imports Rasa, so only that patch imports it (after the version check).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import ActiveLoop, BotUttered, SlotSet, UserUttered

MASK = "••••••"
# Template variables of responses that show a secret once (utter_intake_done,
# utter_booked_anonymous): their values are masked wherever the stored message holds them.
SECRET_VARIABLES = ("pin",)
# Slots a client types a secret into: their values, and what the client writes while a form asks
# for one of them, are masked.
SECRET_SLOTS = frozenset({"checkin_pin"})
REQUESTED_SLOT = "requested_slot"


def _replaced(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` (text, or dicts and lists of it) with every secret replaced by MASK."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: _replaced(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, secrets) for item in value]
    return value


def masked_bot_message(event: Any) -> Any:
    """A BotUttered with its secret template variables masked in text, data and metadata; the
    event itself when it carries none."""
    metadata = event.metadata or {}
    secrets = tuple(
        str(metadata[name]) for name in SECRET_VARIABLES if metadata.get(name) not in (None, "")
    )
    if not secrets:
        return event
    text, data = _replaced(event.text, secrets), _replaced(event.data, secrets)
    masked_metadata = _replaced(metadata, secrets)
    if (text, data, masked_metadata) == (event.text, event.data, metadata):
        return event  # masked before (a conversation loaded from the store)
    return BotUttered(text=text, data=data, metadata=masked_metadata, timestamp=event.timestamp)


def masked_user_message(event: Any) -> Any:
    """A UserUttered whose text (and what NLU read from it) is MASK; the event itself when it
    is already."""
    entities = [dict(entity, value=MASK, text=MASK) for entity in event.entities]
    parse_data = dict(event.parse_data, text=MASK, entities=entities)
    if (event.text, event.entities, event.parse_data) == (MASK, entities, parse_data):
        return event
    masked = copy.copy(event)
    masked.text = MASK
    masked.entities = entities
    masked.parse_data = parse_data
    return masked


def masked_events(events: Iterable[Any]) -> list[Any]:
    """The events in order, one for one, with secrets masked."""
    masked: list[Any] = []
    asking_secret = False
    for event in events:
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            asking_secret = event.value in SECRET_SLOTS
        elif isinstance(event, ActiveLoop) and event.name is None:
            asking_secret = False
        if isinstance(event, BotUttered):
            event = masked_bot_message(event)
        elif isinstance(event, UserUttered) and asking_secret and event.text:
            event = masked_user_message(event)
        elif (
            isinstance(event, SlotSet)
            and event.key in SECRET_SLOTS
            and event.value not in (None, MASK)
        ):
            event = SlotSet(event.key, MASK, timestamp=event.timestamp, metadata=event.metadata)
        masked.append(event)
    return masked


def masked_tracker(tracker: Any) -> Any:
    """A shallow copy of the tracker for the store: the same number of events (the SQL store
    appends those past the ones it has), secrets masked; the tracker itself when it holds no
    secret (or only masked ones)."""
    original = list(tracker.events)
    events = masked_events(original)
    if all(before is after for before, after in zip(original, events)):
        return tracker
    stored = copy.copy(tracker)
    stored.events = deque(events, maxlen=tracker.events.maxlen)
    for before, after in zip(reversed(original), reversed(events)):
        if before is tracker.latest_message:
            stored.latest_message = after  # what a store writing the current state keeps
            break
    return stored
