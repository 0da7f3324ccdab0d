"""Small helpers the actions share: the conversation language, the client's proofs, the channel
pushes come back on."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.lang.languages import current_language

logger = logging.getLogger(__name__)
_OUTPUT_CHANNEL = re.compile(r"^[a-z_]{1,40}$")


def language(tracker: Tracker) -> str:
    return current_language(tracker.slots)


def chat_proof(tracker: Tracker) -> kiosk.Proof:
    """This conversation: the kiosk API lets it reach the record and bookings made in it, so no
    slot keeps a PIN."""
    return kiosk.Proof(conversation_id=tracker.sender_id)


def record_proof(tracker: Tracker) -> tuple[str, kiosk.Proof] | None:
    """(reference code, this chat's proof) once consent in this chat created a record, else
    None."""
    code = tracker.get_slot("reference_code")
    return (code, chat_proof(tracker)) if code else None


def booking_proof(tracker: Tracker) -> tuple[str, kiosk.Proof] | None:
    code = tracker.get_slot("booking_code")
    return (code, chat_proof(tracker)) if code else None


def api_failed(dispatcher: CollectingDispatcher, error: kiosk.KioskError) -> list[Any]:
    """Logs the error code (never personal data) and tells the client plainly."""
    logger.warning("kiosk API error %s %s", error.status, error.code)
    dispatcher.utter_message(response="utter_service_unavailable")
    return []


def output_channel(tracker: Tracker) -> str:
    """The Rasa channel the client writes on, so pushes come back on it ("latest" when unknown)."""
    name = (tracker.get_latest_input_channel() or "").lower()
    return name if _OUTPUT_CHANNEL.match(name) else "latest"


def pushed_values(tracker: Tracker) -> dict[str, Any]:
    """The values of a push (trigger_intent entities): read from the message, never kept in
    slots."""
    return {
        e.get("entity"): e.get("value")
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity")
    }


# The kiosk API numbers its pushes; one sent again after a timeout or a crash is not shown twice.
PUSH_ID = "push_id"
PUSHES_DELIVERED = "pushes_delivered"
# Retries of a push come within the dispatcher's ~25 minutes of attempts: a few dozen ids suffice.
PUSHES_REMEMBERED = 50


def push_seen_before(tracker: Tracker) -> bool:
    """Whether the push in the latest message was already delivered in this conversation."""
    push_id = pushed_values(tracker).get(PUSH_ID)
    return push_id is not None and push_id in (tracker.get_slot(PUSHES_DELIVERED) or [])


def push_delivered(tracker: Tracker) -> list[Any]:
    """The event that remembers the latest message's push as delivered (none without an id)."""
    push_id = pushed_values(tracker).get(PUSH_ID)
    if push_id is None:
        return []
    delivered = [*(tracker.get_slot(PUSHES_DELIVERED) or []), push_id][-PUSHES_REMEMBERED:]
    return [SlotSet(PUSHES_DELIVERED, delivered)]


SITE_SLOT = "site"


def site_of(tracker: Tracker) -> str | None:
    """The conversation's site code for X-Lotse-Site (None: the API's default site)."""
    value = tracker.get_slot(SITE_SLOT)
    return str(value) if value else None
