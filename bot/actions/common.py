"""Small helpers the actions share: the conversation language, the client's proofs, the channel
pushes come back on."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.lang.languages import current_language

logger = logging.getLogger(__name__)
_OUTPUT_CHANNEL = re.compile(r"^[a-z_]{1,40}$")


def language(tracker: Tracker) -> str:
    return current_language(tracker.slots)


def record_proof(tracker: Tracker) -> tuple[str, kiosk.Proof] | None:
    """(reference code, PIN proof) once consent created a record, else None."""
    code, pin = tracker.get_slot("reference_code"), tracker.get_slot("pin")
    return (code, kiosk.Proof(pin)) if code and pin else None


def booking_proof(tracker: Tracker) -> tuple[str, kiosk.Proof] | None:
    code, pin = tracker.get_slot("booking_code"), tracker.get_slot("booking_pin")
    return (code, kiosk.Proof(pin)) if code and pin else None


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
