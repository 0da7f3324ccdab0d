"""Which language the conversation is in: the client's explicit choice, else what they write in."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot.lang.languages import normalize

# Only confident detections on messages with some substance set the language unasked; once it is
# set, only a whole sentence outside the form switches it (a name like "Haddad" never does).
MIN_CONFIDENCE = 0.80
MIN_LETTERS = 4
MIN_WORDS_TO_SWITCH = 3


def detected_language(tracker: Tracker) -> tuple[str | None, float]:
    detection = (tracker.latest_message or {}).get("language_detection") or {}
    return normalize(detection.get("language")), float(detection.get("confidence") or 0.0)


def chosen_language(tracker: Tracker) -> str | None:
    """A served language the client named ("English please", "بالعربي", a language button)."""
    message = tracker.latest_message or {}
    # language_choice: the classifier answered a question asked together with the choice ("English
    # please, …").
    if (message.get("intent") or {}).get("name") != "choose_language" and not message.get(
        "language_choice"
    ):
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "language":
            code = normalize(str(entity.get("value")))
            if code:
                return code
    return None


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message (custom slot mappings) and keeps `language` current."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        chosen = chosen_language(tracker)
        if chosen:
            return {"language": chosen}
        if tracker.get_slot("language_explicit"):
            return {}
        code, confidence = detected_language(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        letters = sum(ch.isalpha() for ch in text)
        current = tracker.get_slot("language")
        if not code or confidence < MIN_CONFIDENCE or letters < MIN_LETTERS or code == current:
            return {}
        if current is None:
            return {"language": code}
        in_form = bool((tracker.active_loop or {}).get("name")) or bool(
            tracker.get_slot("requested_slot")
        )
        if len(text.split()) >= MIN_WORDS_TO_SWITCH and not in_form:
            return {"language": code}
        return {}

    async def extract_language_explicit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"language_explicit": True} if chosen_language(tracker) else {}


class ActionLanguageChosen(Action):
    """Confirms a language switch, or offers the languages when the one asked for is not served."""

    def name(self) -> str:
        return "action_language_chosen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if chosen_language(tracker):
            dispatcher.utter_message(response="utter_language_set")
        else:
            dispatcher.utter_message(response="utter_choose_language", language_buttons=True)
        return []
