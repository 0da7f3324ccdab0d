"""SGB II questions answered from the dated, sourced content the kiosk API serves."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import language
from bot.actions.registration import documents_for

INTENT_PREFIX = "ask_"


class ActionAnswerTopic(Action):
    """The topic is the intent name without "ask_"; says "valid as of" and links the source."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        topic = intent[len(INTENT_PREFIX):] if intent.startswith(INTENT_PREFIX) else ""
        try:
            item = await kiosk.content(topic, language=language(tracker))
        except kiosk.KioskError:
            dispatcher.utter_message(response="utter_topic_unavailable")
            return []
        source = (item.get("sources") or [{}])[0]
        dispatcher.utter_message(
            response="utter_topic_answer",
            title=item["title"],
            summary=item["summary"],
            valid_as_of_date=item["valid_as_of"],
            source_title=source.get("title", ""),
            source_url=source.get("url", ""),
        )
        if item.get("machine_translated"):
            dispatcher.utter_message(response="utter_topic_machine_translated")
        return []


class ActionDocumentsChecklist(Action):
    def name(self) -> str:
        return "action_documents_checklist"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[Any]:
        dispatcher.utter_message(response="utter_documents_checklist", documents=documents_for(tracker.get_slot("residence_status")))
        return []
