"""Which language the conversation is in: the client's explicit choice, else what they write in.

Rasa decides it for every message inside its own process, when it extracts the slots
(bot/runtime/patches.py, `language_slots_in_rasa`); `action_language_chosen` reads the same choice.
"""

from __future__ import annotations

from typing import Any

from bot.lang.languages import normalize

# A first message sets the language when the detection is confident, or when it is a sentence and
# its language likelier than all the others together (else the site's default answers); once it is
# set, only a confident whole sentence outside the form switches it (a name like "Haddad" never).
MIN_FIRST_CONFIDENCE = 0.50
MIN_CONFIDENCE = 0.80
MIN_LETTERS = 4
MIN_WORDS_TO_SWITCH = 3


def detected_language(message: dict[str, Any]) -> tuple[str | None, float]:
    """What LanguageIdentifier found in the message (bot/components), and how sure it is."""
    detection = message.get("language_detection") or {}
    return normalize(detection.get("language")), float(detection.get("confidence") or 0.0)


def chosen_language(message: dict[str, Any]) -> str | None:
    """A served language the client named ("English please", "بالعربي", a language button)."""
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


def language_slots(
    message: dict[str, Any], *, language: str | None, explicit: bool, in_form: bool
) -> dict[str, Any]:
    """The `language` and `language_explicit` slots this message sets (none when they stay), given
    the conversation's language and whether the client chose it before and is inside a form."""
    chosen = chosen_language(message)
    if chosen:
        return {"language": chosen, "language_explicit": True}
    if explicit:
        return {}
    code, confidence = detected_language(message)
    text = message.get("text") or ""
    letters = sum(ch.isalpha() for ch in text)
    if not code or letters < MIN_LETTERS or code == language:
        return {}
    sentence = len(text.split()) >= MIN_WORDS_TO_SWITCH
    if language is None:
        likeliest = sentence and confidence >= MIN_FIRST_CONFIDENCE
        return {"language": code} if confidence >= MIN_CONFIDENCE or likeliest else {}
    if confidence >= MIN_CONFIDENCE and sentence and not in_form:
        return {"language": code}
    return {}
