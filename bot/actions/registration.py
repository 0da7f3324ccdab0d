"""The pre-registration form: validation, skip, pause, correct, summary, submit and routing."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import validation
from bot.actions.api import kiosk
from bot.actions.common import api_failed, language, record_proof
from bot.actions.validation import SKIPPED

FORM_SLOTS = (
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "residence_status",
    "concern_text",
)
OPTIONAL_SLOTS = frozenset({"phone", "residence_status", "concern_text"})
ADMITTED_PERMITS = frozenset({"permit_25_1", "permit_25_2", "permit_25_3", "permit_23_4"})


def intake_fields(tracker: Tracker) -> dict[str, Any]:
    """The answers given so far, as the kiosk API's intake fields (skipped ones left out)."""
    fields: dict[str, Any] = {}
    for slot in FORM_SLOTS:
        value = tracker.get_slot(slot)
        if value is None or value == SKIPPED:
            continue
        fields[slot] = value
    fields["preferred_language"] = language(tracker)
    return fields


class ValidateIntakeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_intake_form"

    @staticmethod
    def _checked(
        slot: str, value: Any, checked: Any, dispatcher: CollectingDispatcher, invalid: str
    ) -> dict[str, Any]:
        if value == SKIPPED:
            return {slot: SKIPPED}
        if checked is None:
            dispatcher.utter_message(response=invalid)
        return {slot: checked}

    def validate_given_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._checked(
            "given_name", value, validation.name(value), dispatcher, "utter_invalid_name"
        )

    def validate_family_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._checked(
            "family_name", value, validation.name(value), dispatcher, "utter_invalid_name"
        )

    def validate_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._checked(
            "birth_date",
            value,
            validation.birth_date(value, date.today()),
            dispatcher,
            "utter_invalid_date",
        )

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._checked(
            "phone", value, validation.phone(value), dispatcher, "utter_invalid_phone"
        )

    def validate_residence_status(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        checked = validation.residence_status(value)
        return self._checked(
            "residence_status", value, checked, dispatcher, "utter_invalid_residence_status"
        )

    def validate_concern_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._checked(
            "concern_text", value, validation.free_text(value), dispatcher, "utter_invalid_name"
        )


class ActionSkipField(Action):
    def name(self) -> str:
        return "action_skip_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        slot = tracker.get_slot("requested_slot")
        if slot in OPTIONAL_SLOTS:
            dispatcher.utter_message(response="utter_skipped")
            return [SlotSet(slot, SKIPPED)]
        dispatcher.utter_message(response="utter_cannot_skip")
        return []


class ActionPauseIntake(Action):
    """Saves the answers so far to the record (a draft), so the client can resume on any channel."""

    def name(self) -> str:
        return "action_pause_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        proof = record_proof(tracker)
        if proof:
            try:
                await kiosk.update_intake(
                    proof[0], proof[1], intake_fields(tracker), language=language(tracker)
                )
            except kiosk.KioskError as error:
                return api_failed(dispatcher, error)
        dispatcher.utter_message(response="utter_paused")
        return []


class ActionIntakeSummary(Action):
    def name(self) -> str:
        return "action_intake_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        def shown(slot: str) -> Any:
            value = tracker.get_slot(slot)
            return "value.skipped" if value in (None, SKIPPED) else value

        status = tracker.get_slot("residence_status")
        dispatcher.utter_message(
            response="utter_intake_summary",
            given_name=shown("given_name"),
            family_name=shown("family_name"),
            birth_date=tracker.get_slot("birth_date"),
            phone=shown("phone"),
            residence_label=f"residence.{status}"
            if status and status != SKIPPED
            else "value.skipped",
            concern=shown("concern_text"),
        )
        return []


class ActionSubmitIntake(Action):
    def name(self) -> str:
        return "action_submit_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        proof = record_proof(tracker)
        if not proof:
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        try:
            await kiosk.update_intake(
                proof[0], proof[1], intake_fields(tracker), language=language(tracker), submit=True
            )
            issued = await kiosk.issue_pin(proof[0], proof[1], language=language(tracker))
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        # Shown once; the tracker store keeps this message with the PIN masked
        # (bot/runtime/secrets.py).
        dispatcher.utter_message(
            response="utter_intake_done", reference_code=proof[0], pin=issued["pin"]
        )
        return [SlotSet("intake_submitted", True)]


def documents_for(residence_status: str | None) -> list[str]:
    """The checklist for the desk visit, tailored to the residence situation."""
    documents = ["passport", "residence_document", "registration_certificate"]
    if residence_status in ADMITTED_PERMITS:
        documents += ["asylum_decision", "asylblg_notice"]
    documents += [
        "rent_contract",
        "bank_account",
        "health_insurance",
        "income_proof",
        "children_birth_certificates",
    ]
    return documents


class ActionRouting(Action):
    """Which team will help and why (a suggestion from the site's rules), plus the documents to
    bring."""

    def name(self) -> str:
        return "action_routing"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        proof = record_proof(tracker)
        if not proof or not tracker.get_slot("intake_submitted"):
            return []
        try:
            result = await kiosk.routing(proof[0], proof[1], language=language(tracker))
        except kiosk.KioskError as error:
            return api_failed(dispatcher, error)
        dispatcher.utter_message(
            response="utter_routing", service_name=result["service_name"], reason=result["reason"]
        )
        dispatcher.utter_message(
            response="utter_documents_checklist",
            documents=documents_for(tracker.get_slot("residence_status")),
        )
        return []


class ActionResetField(Action):
    """Clears the answer the client wants to change, so the form asks it again."""

    def name(self) -> str:
        return "action_reset_field"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        field = tracker.get_slot("field")
        events: list[Any] = [SlotSet("field", None)]
        if field in FORM_SLOTS:
            events.append(SlotSet(field, None))
        return events
