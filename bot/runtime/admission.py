"""Graceful overload: past a number of client messages in progress on this Rasa instance, a new one
is answered at once, in the client's language, with "many people are writing right now, please send
it again in a minute" (catalog key BUSY_KEY), instead of waiting behind the others.

Applied by the `overload_admission` patch (bot/runtime/patches.py) around Agent.handle_message, so
every channel (REST, socket.io, messengers) gets it; the kiosk API's pushes (trigger_intent) are not
refused. A refused message is neither parsed nor stored: the client is told to send it again.
"""

from __future__ import annotations

import os
from collections import OrderedDict

# Past this many messages in progress (waiting for their conversation's lock, parsed, predicted,
# answered) one instance answers later ones with the busy message. ~32 keeps the p95 of those it
# serves near 500 ms at its measured capacity (~60 msg/s at ~15 ms each; docs/benchmarks.md).
MAX_IN_FLIGHT_SETTING = "LOTSE_RASA_MAX_IN_FLIGHT"
DEFAULT_MAX_IN_FLIGHT = 32
BUSY_KEY = "busy.try_again"
# A message this instance could not handle because a store it needs (the tracker store in
# PostgreSQL, the lock store in Redis) is unreachable: nothing of it was kept, send it again.
UNAVAILABLE_KEY = "unavailable.try_again"
DEFAULT_LANGUAGE = "de"
# Conversations whose language this process last answered in, for a busy reply to a button tap.
REMEMBERED_CONVERSATIONS = 10_000


def max_in_flight() -> int:
    configured = os.environ.get(MAX_IN_FLIGHT_SETTING, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return DEFAULT_MAX_IN_FLIGHT


class Admission:
    """Counts the messages in progress; all on the event loop's one thread, so no lock is needed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0
        self._languages: OrderedDict[str, str] = OrderedDict()

    def enter(self) -> bool:
        if self.in_flight >= self.limit:
            self.refused += 1
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    def remember_language(self, conversation_id: str, language: str) -> None:
        self._languages[conversation_id] = language
        self._languages.move_to_end(conversation_id)
        while len(self._languages) > REMEMBERED_CONVERSATIONS:
            self._languages.popitem(last=False)

    def language_for(self, conversation_id: str, text: str | None) -> str:
        """The message's own language when it has words, else the conversation's last one."""
        from bot.lang.detect import detect

        detected = detect(text or "").language
        return detected or self._languages.get(conversation_id) or DEFAULT_LANGUAGE


_admission: Admission | None = None


def admission() -> Admission:
    global _admission
    if _admission is None:
        _admission = Admission(max_in_flight())
    return _admission


def busy_text(language: str) -> str:
    from bot.nlg.render import text

    return text(BUSY_KEY, language) or text(BUSY_KEY, DEFAULT_LANGUAGE) or ""


def unavailable_text(language: str) -> str:
    from bot.nlg.render import text

    return text(UNAVAILABLE_KEY, language) or text(UNAVAILABLE_KEY, DEFAULT_LANGUAGE) or ""
