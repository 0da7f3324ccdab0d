"""SGB II questions answered from the dated, sourced content the kiosk API serves; unsure: the
closest three."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.api import kiosk
from bot.actions.common import language, site_of
from bot.actions.registration import documents_for
from bot.actions.understanding import DOCUMENTS, RELATED_BELOW, decide, topic_of

# Longer key points are cut at a sentence end, so each part fits a messenger message comfortably.
PART_CHARACTERS = 700
SENTENCE_ENDS = (". ", "! ", "? ", "। ", "። ", "؟ ", "。")


def info_page(topic: str, language_code: str) -> str:
    return kiosk.public_page("/info?" + urlencode({"lang": language_code, "topic": topic}))


def topic_buttons(topic: str) -> list[dict[str, str]]:
    """More, documents, book, source: offered under every answer (the last message of the turn
    keeps them visible)."""
    return [
        {"title_key": "button.topic_more", "payload": "/topic_more" + json.dumps({"topic": topic})},
        {"title_key": "button.documents", "payload": "/ask_documents"},
        {"title_key": "button.book", "payload": "/book_appointment"},
        {
            "title_key": "button.topic_source",
            "payload": "/topic_source" + json.dumps({"topic": topic}),
        },
    ]


def notes(item: dict[str, Any]) -> list[str]:
    """What the client must know about the text itself: unchecked draft, machine translation,
    possibly outdated."""
    found = ["note.topic_checked" if item.get("reviewed") else "note.topic_draft"]
    if item.get("machine_translated"):
        found.append("note.machine_translated")
    if item.get("outdated"):
        found.append("note.topic_outdated")
    return found


def parts(paragraph: str, limit: int = PART_CHARACTERS) -> list[str]:
    """A key point in messenger-sized parts, cut after a sentence where it is too long."""
    rest = paragraph.strip()
    out: list[str] = []
    while len(rest) > limit:
        cut = max(rest.rfind(end, 0, limit) for end in SENTENCE_ENDS)
        cut = cut + 1 if cut > 0 else rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return out + ([rest] if rest else [])


def known_topics(domain: dict[str, Any]) -> list[str]:
    return [
        topic
        for name in domain.get("intents", [])
        if isinstance(name, str) and (topic := topic_of(name))
    ]


async def searched(message: dict[str, Any], language_code: str) -> list[str]:
    """The kiosk's topic search for the message; nothing when it cannot be reached (the
    classifier still ranks)."""
    try:
        return [
            match["topic"]
            for match in await kiosk.search_topics(
                message.get("text") or "", language=language_code
            )
        ]
    except kiosk.KioskError:
        return []


def requested_topic(tracker: Tracker) -> str | None:
    """The topic a button names, else the one answered last."""
    entity = next(tracker.get_latest_entity_values("topic"), None)
    return entity or tracker.get_slot("topic")


def related_buttons(topics: list[str]) -> list[dict[str, str]]:
    return [{"title_key": f"topic.{topic}", "payload": f"/ask_{topic}"} for topic in topics]


async def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, related: list[str] | None = None
) -> list[Any]:
    if topic == DOCUMENTS:
        dispatcher.utter_message(
            response="utter_documents_checklist",
            documents=documents_for(tracker.get_slot("residence_status")),
        )
        return []
    try:
        item = await kiosk.content(topic, language=language(tracker), site=site_of(tracker))
    except kiosk.KioskError:
        dispatcher.utter_message(response="utter_topic_unavailable")
        return []
    dispatcher.utter_message(
        response="utter_topic_answer", title=item["title"], summary=item["summary"]
    )
    dispatcher.utter_message(
        response="utter_topic_footer",
        notes=notes(item),
        valid_as_of_date=item["valid_as_of"],
        choices=topic_buttons(topic) + related_buttons(related or []),
    )
    return [SlotSet("topic", topic)]


class ActionAnswerTopic(Action):
    """The topic is the intent name without "ask_": summary, what the text is (draft,
    translation), buttons; when the classifier was not sure, the two next closest topics beside
    it."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        message = tracker.latest_message
        topic = topic_of((message.get("intent") or {}).get("name")) or ""
        decision = None
        if (message.get("intent") or {}).get("confidence", 1.0) < RELATED_BELOW:
            decision = decide(
                message, await searched(message, language(tracker)), known_topics(domain)
            )
        return await answer(dispatcher, tracker, topic, decision.related if decision else [])


class ActionTopicMore(Action):
    """The topic's key points, one message each (long ones in parts), then the buttons again."""

    def name(self) -> str:
        return "action_topic_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        topic = requested_topic(tracker)
        if not topic:
            dispatcher.utter_message(response="utter_help")
            return []
        try:
            item = await kiosk.content(topic, language=language(tracker), site=site_of(tracker))
        except kiosk.KioskError:
            dispatcher.utter_message(response="utter_topic_unavailable")
            return []
        points = [part for paragraph in item.get("body") or [] for part in parts(paragraph)]
        for point in points[:-1]:
            dispatcher.utter_message(response="utter_topic_point", point=point)
        dispatcher.utter_message(
            response="utter_topic_point",
            point=points[-1] if points else item["summary"],
            choices=[b for b in topic_buttons(topic) if not b["payload"].startswith("/topic_more")],
        )
        return [SlotSet("topic", topic)]


class ActionTopicSource(Action):
    """Where the text comes from (official pages) and the topic's page to read, print or take to
    the phone."""

    def name(self) -> str:
        return "action_topic_source"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        topic = requested_topic(tracker)
        if not topic:
            dispatcher.utter_message(response="utter_help")
            return []
        code = language(tracker)
        try:
            item = await kiosk.content(topic, language=code, site=site_of(tracker))
        except kiosk.KioskError:
            dispatcher.utter_message(response="utter_topic_unavailable")
            return []
        sources = "\n".join(
            f"• {source['title']}: {source['url']}" for source in item.get("sources") or []
        )
        dispatcher.utter_message(
            response="utter_topic_sources",
            sources=sources,
            page_url=info_page(topic, code),
            valid_as_of_date=item["valid_as_of"],
            notes=notes(item),
        )
        return [SlotSet("topic", topic)]


class ActionSuggestTopics(Action):
    """Unsure or out of scope: offers the three closest topics, or says honestly where else to
    ask."""

    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Any]:
        return await suggest_topics(dispatcher, tracker, domain, tracker.latest_message)


async def suggest_topics(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    message: dict[str, Any],
) -> list[Any]:
    """The answer, the closest topics or an honest no for `message` (Rasa's parse)."""
    decision = decide(message, await searched(message, language(tracker)), known_topics(domain))
    if decision is not None and decision.answer:
        return await answer(dispatcher, tracker, decision.answer, decision.related)
    if decision is not None and decision.suggestions:
        choices = related_buttons(decision.suggestions)
        choices.append({"title_key": "button.other_question", "payload": "/help"})
        dispatcher.utter_message(response="utter_did_you_mean", choices=choices)
        return []
    dispatcher.utter_message(response="utter_out_of_scope")
    return []
