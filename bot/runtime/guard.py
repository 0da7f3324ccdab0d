"""What a client's message may be when it enters Rasa, whatever the channel (REST, socket.io,
messengers).

Applied by the `message_guard` patch (bot/runtime/patches.py) before the message is parsed or
stored:
* a message over MAX_MESSAGE_CHARACTERS, or with a word over MAX_WORD_CHARACTERS, becomes the intent
  TOO_LONG_INTENT, which the bot answers in the client's language (utter_message_too_long);
* `/intent{…}` text (how buttons send their payloads) may name only an intent of the domain that a
  client can choose, never an EXTERNAL_ one (those come from the kiosk API through trigger_intent);
  any other slash text is read as plain words;
* control characters and bidirectional overrides are removed, and the text is NFC-normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

MAX_MESSAGE_CHARACTERS = 2000
# Longer than any word or web address a client types; a pasted blob is answered, not parsed.
MAX_WORD_CHARACTERS = 200
TOO_LONG_INTENT = "message_too_long"
EXTERNAL_PREFIX = "EXTERNAL_"
_SLASH_INTENT = re.compile(r"/([\w-]+)")
# C0/C1 controls except tab and newline, and the bidirectional embeddings, overrides and isolates.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARACTERS or any(
        len(word) > MAX_WORD_CHARACTERS for word in text.split()
    )


def client_may_send(intent: str, intents: Collection[str]) -> bool:
    """Whether a client's `/intent` text may name this intent (the payload of a button Lotse
    offers)."""
    return (
        intent in intents and not intent.startswith(EXTERNAL_PREFIX) and intent != TOO_LONG_INTENT
    )


def screen(text: str | None, intents: Collection[str]) -> str | None:
    """The text Rasa gets instead of what the client sent; None stays None (a channel's non-text
    event)."""
    if text is None:
        return None
    if too_long(text):
        return f"/{TOO_LONG_INTENT}"
    text = unicodedata.normalize("NFC", _UNWANTED.sub("", text))
    slash = _SLASH_INTENT.match(text.lstrip())
    if slash and not client_may_send(slash.group(1), intents):
        return text.lstrip().lstrip("/")
    return text
