"""Talking to a person at the desk, the kiosk API's pushes into the chat, and check-in from the chat."""
from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import api_failed, language, record_proof

logger = logging.getLogger(__name__)
DESK_LANGUAGE = "de"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_OUTPUT_CHANNEL = re.compile(r"^[a-z_]{1,40}$")
_PIN = re.compile(r"^[0-9]{6}$")
WRONG_PROOF_CODES = frozenset({"wrong_proof", "record_not_found", "proof_required"})


def output_channel(tracker: Tracker) -> str:
    """The Rasa channel the client writes on, so pushes come back on it ("latest" when unknown)."""
    name = (tracker.get_latest_input_channel() or "").lower()
    return name if _OUTPUT_CHANNEL.match(name) else "latest"


def pushed_values(tracker: Tracker) -> dict[str, Any]:
    """The values of a push (trigger_intent entities): read from the message, never kept in slots."""
    return {e.get("entity"): e.get("value") for e in (tracker.latest_message or {}).get("entities") or [] if e.get("entity")}


def reference_code(value: Any) -> str | None:
    """A reference code as typed (lower case, spaces, dashes, Arabic digits), or None."""
    cleaned = "".join(ch for ch in str(value or "").translate(_DIGITS).upper() if ch.isalnum())
    if not 8 <= len(cleaned) <= 32 or not cleaned.isascii():  # codes are random letters and digits, e.g. LTESKJVEPQ
        return None
    return cleaned


def pin(value: Any) -> str | None:
    cleaned = "".join(str(value or "").translate(_DIGITS).split()).replace("-", "")
    return cleaned if _PIN.match(cleaned) else None


class ActionHandover(Action):
    """Hands the conversation to the desk inbox; says when someone will answer."""

    def name(self) -> str:
        return "action_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        try:
            handover = await kiosk.open_handover(
                conversation_id=tracker.sender_id, language=language(tracker), output_channel=output_channel(tracker),
                reference_code=tracker.get_slot("reference_code"),
            )
        except kiosk.KioskError as error:
            logger.warning("hand-over not opened: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_handover")
            return [SlotSet("handover_active", False)]
        opening = handover.get("opening") or {}
        if opening.get("open_now"):
            dispatcher.utter_message(response="utter_handover_open")
        elif opening.get("next_opening_at"):
            dispatcher.utter_message(response="utter_handover_closed_hours", next_opening_datetime=opening["next_opening_at"])
        else:
            dispatcher.utter_message(response="utter_handover_no_hours")
        return [SlotSet("handover_active", True)]


class ActionSessionStart(Action):
    """A new session (after 120 idle minutes) keeps the slots, and the desk's quiet form while the desk holds the chat."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        events: list[Any] = [SessionStarted()]
        # As Rasa's own session start with carry_over_slots_to_new_session: every slot that has a value.
        events += [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]
        if tracker.get_slot("handover_active"):
            try:
                still_open = await kiosk.handover_is_open(tracker.sender_id)
            except kiosk.KioskError as error:
                logger.warning("hand-over state unknown at session start: %s %s", error.status, error.code)
                still_open = True  # keep forwarding; a closed hand-over is noticed with the next message
            if still_open:
                events += [ActiveLoop("handover_form"), SlotSet("requested_slot", "handover_message")]
            else:
                events.append(SlotSet("handover_active", False))
        events.append(ActionExecuted("action_listen"))
        return events


class ValidateHandoverForm(FormValidationAction):
    """While the desk holds the chat: forwards each client message and says nothing."""

    def name(self) -> str:
        return "validate_handover_form"

    async def validate_handover_message(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or text.startswith("/"):  # a button pressed while the bot is quiet: nothing for the desk to read
            return {"handover_message": None}
        try:
            await kiosk.forward_to_desk(tracker.sender_id, text[:4000])
        except kiosk.KioskError as error:
            if error.status == 404:  # the desk closed it before its hand-back reached the chat
                return {"handover_message": None, "requested_slot": None}
            logger.warning("client message not forwarded: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_handover_not_delivered")
        return {"handover_message": None}


class ActionStaffReply(Action):
    """A reply typed at the desk, already in the client's language, labelled as coming from the staff."""

    def name(self) -> str:
        return "action_staff_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        values = pushed_values(tracker)
        text, original = str(values.get("text") or ""), str(values.get("original") or "")
        if not text:
            return []
        if values.get("machine_translated"):
            dispatcher.utter_message(response="utter_staff_reply_machine_translated", staff_text=text, original_text=original)
        elif text == original and language(tracker).split("_")[0] != DESK_LANGUAGE:
            dispatcher.utter_message(response="utter_staff_reply_untranslated", staff_text=text)
        else:
            dispatcher.utter_message(response="utter_staff_reply", staff_text=text)
        return []


class ActionHandoverEnded(Action):
    """The desk handed the chat back: the bot says so once and answers again."""

    def name(self) -> str:
        return "action_handover_ended"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        if tracker.get_slot("handover_active"):
            dispatcher.utter_message(response="utter_handover_ended")
        return [SlotSet("handover_active", False), SlotSet("handover_message", None)]


class ActionTurnReminder(Action):
    """Turn reminders for a ticket checked in from this chat: nearly up, then called to a desk."""

    def name(self) -> str:
        return "action_turn_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        values = pushed_values(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        number = str(values.get("ticket_number") or "")
        if intent == "EXTERNAL_ticket_called":
            dispatcher.utter_message(response="utter_ticket_called", ticket_number=number, desk=str(values.get("desk") or ""))
        elif intent == "EXTERNAL_ticket_near":
            dispatcher.utter_message(response="utter_ticket_near", ticket_number=number, position=values.get("position") or "")
        return []


class ActionCheckIn(Action):
    """Checks the client in from the chat, so the ticket can send turn reminders here.

    Uses the record this conversation created (consent), else the reference code and PIN the
    client typed into checkin_form; without either it asks for them (checkin_needs_code).
    """

    def name(self) -> str:
        return "action_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        done = [SlotSet("checkin_needs_code", False), SlotSet("checkin_code", None), SlotSet("checkin_pin", None)]
        typed_code, typed_pin = tracker.get_slot("checkin_code"), tracker.get_slot("checkin_pin")
        if typed_code and typed_pin:
            proof: tuple[str, kiosk.Proof] | None = (typed_code, kiosk.Proof(typed_pin))
        else:
            proof = record_proof(tracker)
        if proof is None:
            return [SlotSet("checkin_needs_code", True)]
        message_id = (tracker.latest_message or {}).get("message_id") or uuid.uuid4().hex
        try:
            ticket = await kiosk.check_in(
                reference_code=proof[0], proof=proof[1], conversation_id=tracker.sender_id, output_channel=output_channel(tracker),
                language=language(tracker), idempotency_key=f"bot-checkin-{tracker.sender_id}-{message_id}"[:128],
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
            dispatcher.utter_message(response="utter_ticket_called", ticket_number=ticket["display_number"], desk=ticket.get("desk") or "")
        elif not ticket.get("position"):
            dispatcher.utter_message(response="utter_checked_in_next", ticket_number=ticket["display_number"])
        else:
            dispatcher.utter_message(
                response="utter_checked_in", ticket_number=ticket["display_number"], position=ticket["position"],
                wait_minutes=ticket.get("estimated_wait_minutes") or 0,
            )
        return done


class ValidateCheckinForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checkin_form"

    def validate_checkin_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        checked = reference_code(value)
        if checked is None:
            dispatcher.utter_message(response="utter_invalid_reference_code")
        return {"checkin_code": checked}

    def validate_checkin_pin(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        checked = pin(value)
        if checked is None:
            dispatcher.utter_message(response="utter_invalid_pin")
        return {"checkin_pin": checked}
