"""Gettext-based natural language generation for the Rasa server (endpoints.yml `nlg.type`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.lang.languages import current_language, native_name
from bot.nlg.render import render, text
from bot.runtime.admission import admission

logger = logging.getLogger(__name__)
DISCLOSURE = "utter_disclosure"
DOMAIN_DIR = Path(__file__).resolve().parents[1] / "domain"
# Each message carries when the client last wrote (seconds since the epoch): a messenger's reply
# window counts from there (WhatsApp: 24 hours).
CLIENT_WROTE_AT = "client_wrote_at"
# When the client sent a message, as its channel put it in the message's metadata.
SENT_AT = "sent_at"


def _first_bot_message(tracker: DialogueStateTracker) -> bool:
    """True when the bot has not spoken yet in this session (so it must say it is automated)."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == "action_session_start":
            return True
    return True


def client_wrote_at(tracker: DialogueStateTracker) -> float | None:
    """When the client last wrote themselves (a push through trigger_intent is not them): the
    platform's time when the channel gives it, else Rasa's; carried by the bot's messages, so a
    new session that holds no client message yet still knows it."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered) and not (event.metadata or {}).get(IS_EXTERNAL):
            sent_at = (event.metadata or {}).get(SENT_AT)
            return float(sent_at) if isinstance(sent_at, (int, float)) else event.timestamp
        if isinstance(event, BotUttered):
            carried = (event.metadata or {}).get(CLIENT_WROTE_AT)
            if isinstance(carried, (int, float)):
                return float(carried)
    return None


class GettextNLG(NaturalLanguageGenerator):
    """Renders response names from locales/<lang>/LC_MESSAGES/bot.po in the `language` slot's
    locale."""

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None
    ) -> None:
        # Rasa creates the NLG before the model's domain is loaded; the buttons then come from the
        # domain files the model was trained from.
        if domain is None or not domain.responses:
            domain = Domain.load(str(DOMAIN_DIR))
        self.domain = domain

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        slots = tracker.current_slot_values()
        language = current_language(slots)
        variations = self.domain.responses.get(utter_action) or [{}]
        message = render(utter_action, language, variations[0], slots, kwargs)
        if utter_action != DISCLOSURE and _first_bot_message(tracker):
            disclosure = text(DISCLOSURE, language, {"language_name": native_name(language)})
            message["text"] = (
                f"{disclosure}\n\n{message['text']}" if disclosure else message["text"]
            )
        message[CLIENT_WROTE_AT] = client_wrote_at(tracker)
        # A busy reply to this conversation's next button tap comes in its language.
        admission().remember_language(tracker.sender_id, language)
        return message
