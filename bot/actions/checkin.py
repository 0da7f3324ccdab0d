"""Check-in from the chat, and the turn reminders the kiosk API pushes for a ticket taken here."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import (
    api_failed,
    language,
    output_channel,
    push_delivered,
    push_seen_before,
    pushed_values,
    record_proof,
)
from bot.actions.site import site_of

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PIN = re.compile(r"^[0-9]{6}$")
WRONG_PROOF_CODES = frozenset({"wrong_proof", "record_not_found", "proof_required"})


def reference_code(value: Any) -> str | None:
    """A reference code as typed (lower case, spaces, dashes, Arabic digits), or None."""
    cleaned = "".join(ch for ch in str(value or "").translate(_DIGITS).upper() if ch.isalnum())
    if (
        not 8 <= len(cleaned) <= 32 or not cleaned.isascii()
    ):  # codes are random letters and digits, e.g. LTESKJVEPQ
        return None
    return cleaned


def pin(value: Any) -> str | None:
    cleaned = "".join(str(value or "").translate(_DIGITS).split()).replace("-", "")
    return cleaned if _PIN.match(cleaned) else None


class ActionTurnReminder(Action):
    """Turn reminders for a ticket checked in from this chat: nearly up, then called to a desk."""

    def name(self) -> str:
        return "action_turn_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if push_seen_before(tracker):
            return []
        values = pushed_values(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        number = str(values.get("ticket_number") or "")
        if intent == "EXTERNAL_ticket_called":
            dispatcher.utter_message(
                response="utter_ticket_called",
                ticket_number=number,
                desk=str(values.get("desk") or ""),
            )
        elif intent == "EXTERNAL_ticket_near":
            dispatcher.utter_message(
                response="utter_ticket_near",
                ticket_number=number,
                position=values.get("position") or "",
            )
        return push_delivered(tracker)


class ActionCheckIn(Action):
    """Checks the client in from the chat, so the ticket can send turn reminders here.

    Uses the record this conversation created (consent), else the reference code and PIN the
    client typed into checkin_form; without either it asks for them (checkin_needs_code). The typed
    PIN is used for this one call and cleared; the tracker store keeps it masked
    (bot/runtime/secrets.py).
    """

    def name(self) -> str:
        return "action_check_in"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        done = [
            SlotSet("checkin_needs_code", False),
            SlotSet("checkin_code", None),
            SlotSet("checkin_pin", None),
        ]
        typed_code, typed_pin = tracker.get_slot("checkin_code"), tracker.get_slot("checkin_pin")
        if typed_code and typed_pin:
            proof: tuple[str, kiosk.Proof] | None = (
                typed_code,
                kiosk.Proof(conversation_id=tracker.sender_id, pin=typed_pin),
            )
        else:
            proof = record_proof(tracker)
        if proof is None:
            return [SlotSet("checkin_needs_code", True)]
        message_id = (tracker.latest_message or {}).get("message_id") or uuid.uuid4().hex
        try:
            ticket = await kiosk.check_in(
                reference_code=proof[0],
                proof=proof[1],
                conversation_id=tracker.sender_id,
                output_channel=output_channel(tracker),
                language=language(tracker),
                idempotency_key=f"bot-checkin-{tracker.sender_id}-{message_id}"[:128],
                site=site_of(tracker),
            )
        except kiosk.KioskError as error:
            if error.code in WRONG_PROOF_CODES:
                dispatcher.utter_message(response="utter_checkin_wrong_code")
            elif error.code == "too_many_attempts":
                dispatcher.utter_message(response="utter_checkin_locked")
            else:
                api_failed(dispatcher, error)
            return done
        if ticket.get("status") == "called":
            dispatcher.utter_message(
                response="utter_ticket_called",
                ticket_number=ticket["display_number"],
                desk=ticket.get("desk") or "",
            )
        elif not ticket.get("position"):
            dispatcher.utter_message(
                response="utter_checked_in_next", ticket_number=ticket["display_number"]
            )
        else:
            dispatcher.utter_message(
                response="utter_checked_in",
                ticket_number=ticket["display_number"],
                position=ticket["position"],
                wait_minutes=ticket.get("estimated_wait_minutes") or 0,
            )
        return done


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checkin_form"

    def validate_checkin_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        checked = reference_code(value)
        if checked is None:
            dispatcher.utter_message(response="utter_invalid_reference_code")
        return {"checkin_code": checked}

    def validate_checkin_pin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        checked = pin(value)
        if checked is None:
            dispatcher.utter_message(response="utter_invalid_pin")
        return {"checkin_pin": checked}
