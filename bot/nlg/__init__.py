"""Gettext-based natural language generation for the Rasa server (endpoints.yml `nlg.type`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.lang.languages import current_language, native_name
from bot.nlg.render import render, text

logger = logging.getLogger(__name__)
DISCLOSURE = "utter_disclosure"
DOMAIN_DIR = Path(__file__).resolve().parents[1] / "domain"


def _first_bot_message(tracker: DialogueStateTracker) -> bool:
    """True when the bot has not spoken yet in this session (so it must say it is automated)."""
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == "action_session_start":
            return True
    return True


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
        return message
