"""Small helpers every action uses: the conversation language and the client's proofs."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.lang.languages import current_language

logger = logging.getLogger(__name__)


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
