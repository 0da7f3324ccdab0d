"""Talking to a person at the desk: the hand-over, the quiet form while the desk holds the chat,
the desk's replies."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import (
    language,
    output_channel,
    push_delivered,
    push_seen_before,
    pushed_values,
)
from bot.actions.site import conversation_site, site_of

logger = logging.getLogger(__name__)
DESK_LANGUAGE = "de"


class ActionHandover(Action):
    """Hands the conversation to the desk inbox; says when someone will answer."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        site = None
        try:
            site = await conversation_site(dispatcher, tracker, "handover")
            if site.ask:
                return site.events
            handover = await kiosk.open_handover(
                conversation_id=tracker.sender_id,
                language=language(tracker),
                output_channel=output_channel(tracker),
                reference_code=tracker.get_slot("reference_code"),
                site=site.site,
            )
        except kiosk.KioskError as error:
            logger.warning("hand-over not opened: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_handover")
            return [*(site.events if site else []), SlotSet("handover_active", False)]
        opening = handover.get("opening") or {}
        if opening.get("open_now"):
            dispatcher.utter_message(response="utter_handover_open")
        elif opening.get("next_opening_at"):
            dispatcher.utter_message(
                response="utter_handover_closed_hours",
                next_opening_datetime=opening["next_opening_at"],
            )
        else:
            dispatcher.utter_message(response="utter_handover_no_hours")
        return [*site.events, SlotSet("handover_active", True)]


class ActionSessionStart(Action):
    """A new session (after 120 idle minutes) keeps the slots, and the desk's quiet form while
    the desk holds the chat."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        events: list[Any] = [SessionStarted()]
        # As Rasa's own session start with carry_over_slots_to_new_session: every slot that has a
        # value.
        events += [
            SlotSet(name, value) for name, value in tracker.slots.items() if value is not None
        ]
        if tracker.get_slot("handover_active"):
            try:
                still_open = await kiosk.handover_is_open(tracker.sender_id, site=site_of(tracker))
            except kiosk.KioskError as error:
                logger.warning(
                    "hand-over state unknown at session start: %s %s", error.status, error.code
                )
                still_open = (
                    True  # keep forwarding; a closed hand-over is noticed with the next message
                )
            if still_open:
                events += [
                    ActiveLoop("handover_form"),
                    SlotSet("requested_slot", "handover_message"),
                ]
            else:
                events.append(SlotSet("handover_active", False))
        events.append(ActionExecuted("action_listen"))
        return events


class ValidateHandoverForm(FormValidationAction):
    """While the desk holds the chat: forwards each client message and says nothing."""

    def name(self) -> str:
        return "validate_handover_form"

    async def validate_handover_message(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or text.startswith(
            "/"
        ):  # a button pressed while the bot is quiet: nothing for the desk to read
            return {"handover_message": None}
        try:
            await kiosk.forward_to_desk(tracker.sender_id, text[:4000], site=site_of(tracker))
        except kiosk.KioskError as error:
            if error.status == 404:  # the desk closed it before its hand-back reached the chat
                return {"handover_message": None, "requested_slot": None}
            logger.warning("client message not forwarded: %s %s", error.status, error.code)
            dispatcher.utter_message(response="utter_handover_not_delivered")
        return {"handover_message": None}


class ActionStaffReply(Action):
    """A reply typed at the desk, already in the client's language, labelled as coming from the
    staff."""

    def name(self) -> str:
        return "action_staff_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        values = pushed_values(tracker)
        text, original = str(values.get("text") or ""), str(values.get("original") or "")
        if not text or push_seen_before(tracker):
            return []
        if values.get("machine_translated"):
            dispatcher.utter_message(
                response="utter_staff_reply_machine_translated",
                staff_text=text,
                original_text=original,
            )
        elif text == original and language(tracker).split("_")[0] != DESK_LANGUAGE:
            dispatcher.utter_message(response="utter_staff_reply_untranslated", staff_text=text)
        else:
            dispatcher.utter_message(response="utter_staff_reply", staff_text=text)
        return push_delivered(tracker)


class ActionHandoverEnded(Action):
    """The desk handed the chat back: the bot says so once and answers again."""

    def name(self) -> str:
        return "action_handover_ended"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if tracker.get_slot("handover_active"):
            dispatcher.utter_message(response="utter_handover_ended")
        return [SlotSet("handover_active", False), SlotSet("handover_message", None)]
