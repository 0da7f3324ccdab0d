"""The client's choice of language confirmed (the language itself is set inside Rasa:
bot/lang/conversation.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.lang.conversation import chosen_language


class ActionLanguageChosen(Action):
    """Confirms a language switch, or offers the languages when the one asked for is not served."""

    def name(self) -> str:
        return "action_language_chosen"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        if chosen_language(tracker.latest_message or {}):
            dispatcher.utter_message(response="utter_language_set")
        else:
            dispatcher.utter_message(response="utter_choose_language", language_buttons=True)
        return []
