"""Appointments through the kiosk API: free days and times as buttons, book, move, cancel, show."""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import api_failed, booking_proof, chat_proof, language, record_proof
from bot.actions.dates import parse_day
from bot.actions.info import answer
from bot.actions.site import SITE_SLOT, conversation_site, site_of
from bot.actions.understanding import CANCEL_JOBCENTER_APPOINTMENT_TOPIC
from bot.nlg.render import parse_moment

SITE_TZ = ZoneInfo("Europe/Berlin")
DAYS_AHEAD = 21
MAX_DAY_BUTTONS = 5
MAX_SLOT_BUTTONS = 8


def info_service() -> str:
    """The team that takes anonymous information appointments (site setting for the bot)."""
    return os.environ.get("LOTSE_BOT_INFO_SERVICE", "integration_point")


def latest_entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None


def local_day(slot: dict[str, Any]) -> date:
    moment = parse_moment(slot["starts_at"])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SITE_TZ)
    return moment.astimezone(SITE_TZ).date()


async def info_service_at(tracker: Tracker) -> str:
    """The information team at the conversation's site: LOTSE_BOT_INFO_SERVICE where the site has
    it, else the site's first bookable team (its first contact: sites/<site>/site.yml lists it
    first)."""
    wanted = info_service()
    try:
        offered = [
            s["code"]
            for s in await kiosk.services(language=language(tracker), site=site_of(tracker))
            if s.get("bookable", True)
        ]
    except kiosk.KioskError:
        return wanted
    return wanted if wanted in offered or not offered else offered[0]


async def service_for(tracker: Tracker) -> str:
    """The routed team for a submitted record, else the information team."""
    proof = record_proof(tracker)
    if proof and tracker.get_slot("intake_submitted"):
        try:
            return (await kiosk.routing(proof[0], proof[1], language=language(tracker)))[
                "service_code"
            ]
        except kiosk.KioskError:
            pass
    return await info_service_at(tracker)


async def free_slots(tracker: Tracker, first: date, last: date) -> list[dict[str, Any]]:
    return await kiosk.free_slots(
        service=await service_for(tracker),
        date_from=first.isoformat(),
        date_to=last.isoformat(),
        language=language(tracker),
        site=site_of(tracker),
    )


async def offer_days(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any]:
    today = date.today()
    slots = await free_slots(tracker, today, today + timedelta(days=DAYS_AHEAD))
    days = sorted({local_day(slot) for slot in slots if slot.get("free_places", 1) > 0})[
        :MAX_DAY_BUTTONS
    ]
    if not days:
        dispatcher.utter_message(response="utter_no_slots")
        return []
    dispatcher.utter_message(response="utter_choose_day", days=[d.isoformat() for d in days])
    return []


async def offer_times(dispatcher: CollectingDispatcher, tracker: Tracker, day: date) -> list[Any]:
    slots = [
        s
        for s in await free_slots(tracker, day, day)
        if local_day(s) == day and s.get("free_places", 1) > 0
    ]
    if not slots:
        dispatcher.utter_message(response="utter_no_slots")
        return await offer_days(dispatcher, tracker)
    chosen = [
        {
            "id": s["id"],
            "starts_at": s["starts_at"],
            "interpreter_language": s.get("interpreter_language"),
        }
        for s in slots[:MAX_SLOT_BUTTONS]
    ]
    dispatcher.utter_message(response="utter_choose_slot", day_date=day.isoformat(), slots=chosen)
    return [SlotSet("day", day.isoformat())]


async def book(dispatcher: CollectingDispatcher, tracker: Tracker, slot_id: int) -> list[Any]:
    lang = language(tracker)
    moving = tracker.get_slot("booking_mode") == "move" and booking_proof(tracker)
    try:
        if moving:
            code, proof = booking_proof(tracker)  # type: ignore[misc]
            result = await kiosk.move_booking(code, proof, slot_id=slot_id, language=lang)
            dispatcher.utter_message(
                response="utter_moved", start_datetime=result["slot"]["starts_at"]
            )
            return [SlotSet("booking_mode", None), SlotSet("slot_id", None)]
        record = record_proof(tracker) if tracker.get_slot("consent") == "given" else None
        result = await kiosk.book(
            slot_id=slot_id,
            language=lang,
            reference_code=record[0] if record else None,
            proof=chat_proof(tracker),
            site=site_of(tracker),
            # One key per client message: a retried request never books twice, a new choice always
            # books.
            idempotency_key=(
                f"bot-{tracker.sender_id}-"
                f"{(tracker.latest_message or {}).get('message_id') or uuid.uuid4().hex}-{slot_id}"
            )[:128],
        )
    except kiosk.KioskError as error:
        if error.status == 409:
            dispatcher.utter_message(response="utter_slot_taken")
            day = tracker.get_slot("day")
            return (
                await offer_times(dispatcher, tracker, date.fromisoformat(day))
                if day
                else await offer_days(dispatcher, tracker)
            )
        return api_failed(dispatcher, error)
    if result.get("anonymous"):
        # The booking's PIN, shown once (masked in the tracker store); this chat proves the
        # booking by itself later.
        dispatcher.utter_message(
            response="utter_booked_anonymous",
            start_datetime=result["slot"]["starts_at"],
            booking_code=result["booking_code_display"],
            pin=result.get("pin"),
        )
    else:
        dispatcher.utter_message(
            response="utter_booked",
            start_datetime=result["slot"]["starts_at"],
            booking_code=result["booking_code_display"],
        )
    return [SlotSet("booking_code", result["booking_code"]), SlotSet("slot_id", None)]


async def handle_choice(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any]:
    """A time button books; a day (button or typed: "tomorrow", "next Tuesday") offers its times."""
    try:
        slot_id = latest_entity(tracker, "slot_id")
        if slot_id and slot_id.isdigit():
            return await book(dispatcher, tracker, int(slot_id))
        day_value = latest_entity(tracker, "day")
        day = date.fromisoformat(day_value) if day_value else None
        if day is None:
            day = parse_day(
                (tracker.latest_message or {}).get("text") or "", language(tracker), date.today()
            )
        if day is None:
            dispatcher.utter_message(response="utter_date_not_understood")
            return await offer_days(dispatcher, tracker)
        return await offer_times(dispatcher, tracker, day)
    except kiosk.KioskError as error:
        return api_failed(dispatcher, error)


def booking_site(found: dict[str, Any]) -> str | None:
    """The site code a booking from the kiosk API names, if it names one."""
    site = found.get("site_code") or found.get("site")
    if isinstance(site, dict):
        site = site.get("code")
    return str(site) if site else None


async def current_booking(tracker: Tracker) -> dict[str, Any] | None:
    """The client's upcoming booking: the one booked in this chat, else the record's first."""
    lang = language(tracker)
    proof = booking_proof(tracker)
    if proof:
        found = await kiosk.booking(proof[0], proof[1], language=lang)
        if found.get("status") == "booked":
            return found
    record = record_proof(tracker)
    if record:
        for found in await kiosk.record_bookings(record[0], record[1], language=lang):
            if found.get("status") == "booked":
                return found
    return None


class ActionOfferDays(Action):
    def name(self) -> str:
        return "action_offer_days"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        events: list[Any] = []
        try:
            if (tracker.latest_message.get("intent") or {}).get("name") == "move_appointment":
                found = await current_booking(tracker)
                if not found:
                    dispatcher.utter_message(response="utter_no_booking")
                    return []
                events = [
                    SlotSet("booking_mode", "move"),
                    SlotSet("booking_code", found["booking_code"]),
                ]
                # A new time comes from the booking's own site.
                booked_at = booking_site(found)
                if booked_at and booked_at != site_of(tracker):
                    tracker.slots[SITE_SLOT] = booked_at
                    events.append(SlotSet(SITE_SLOT, booked_at))
            else:
                site = await conversation_site(dispatcher, tracker, "book")
                if site.ask:
                    return site.events
                events = [*site.events, SlotSet("booking_mode", None)]
            return events + await offer_days(dispatcher, tracker)
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)


class ActionOfferSlots(Action):
    def name(self) -> str:
        return "action_offer_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        return await handle_choice(dispatcher, tracker)


class ActionBookSlot(Action):
    def name(self) -> str:
        return "action_book_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        return await handle_choice(dispatcher, tracker)


class BookingAnswer(Action, ABC):
    """Finds the client's upcoming booking and answers about it; says so when there is none."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        try:
            found = await current_booking(tracker)
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        if not found:
            return await self.without_booking(dispatcher, tracker)
        return self.answer(dispatcher, found)

    async def without_booking(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[Any]:
        dispatcher.utter_message(response="utter_no_booking")
        return []

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, booking: dict[str, Any]) -> list[Any]:
        """What to say and set about the booking."""


class ActionShowBooking(BookingAnswer):
    """Answers "when is my appointment?"."""

    def name(self) -> str:
        return "action_show_booking"

    def answer(self, dispatcher: CollectingDispatcher, booking: dict[str, Any]) -> list[Any]:
        dispatcher.utter_message(
            response="utter_your_appointment",
            start_datetime=booking["slot"]["starts_at"],
            booking_code=booking["booking_code_display"],
        )
        return []


class ActionAskCancel(BookingAnswer):
    def name(self) -> str:
        return "action_ask_cancel"

    def answer(self, dispatcher: CollectingDispatcher, booking: dict[str, Any]) -> list[Any]:
        dispatcher.utter_message(
            response="utter_ask_confirm_cancel", start_datetime=booking["slot"]["starts_at"]
        )
        return [SlotSet("booking_code", booking["booking_code"])]

    async def without_booking(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[Any]:
        """No appointment booked here: the client means one the Jobcenter gave them, so explain
        how to cancel that."""
        dispatcher.utter_message(response="utter_no_booking")
        return await answer(dispatcher, tracker, CANCEL_JOBCENTER_APPOINTMENT_TOPIC)


class ActionCancelBooking(Action):
    def name(self) -> str:
        return "action_cancel_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        proof = booking_proof(tracker)
        if not proof:
            dispatcher.utter_message(response="utter_no_booking")
            return []
        try:
            await kiosk.cancel_booking(proof[0], proof[1], language=language(tracker))
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        dispatcher.utter_message(response="utter_cancelled")
        return [SlotSet("booking_code", None)]
