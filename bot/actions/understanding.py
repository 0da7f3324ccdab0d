"""What the assistant does with a question: answer a topic, offer the closest three, or say honestly it cannot.

One function for the live action (with the kiosk API's topic search) and for `make bot-eval-real` (with the
same search run locally), so the figures measure what clients get."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

TOPIC_PREFIX = "ask_"
# The checklist of documents is answered like a topic, from the site's checklist rules.
DOCUMENTS = "documents"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
SUGGESTIONS = 3
# "How do I cancel my appointment?" without a booking in Lotse means one the Jobcenter set: its topic answers.
CANCEL_JOBCENTER_APPOINTMENT_TOPIC = "missed_appointment"
ANSWERED_WITHOUT_BOOKING = {"cancel_appointment": CANCEL_JOBCENTER_APPOINTMENT_TOPIC}
# A topic intent this far down the classifier's ranking is still worth offering when it is unsure.
MIN_RANKED_CONFIDENCE = 0.05


@dataclass(frozen=True)
class Decision:
    """`answer`: the topic answered at once; else `suggestions` ("Did you mean …?"); neither: out of scope."""

    answer: str | None = None
    suggestions: list[str] = field(default_factory=list)

    @property
    def put_forward(self) -> list[str]:
        return [self.answer] if self.answer else list(self.suggestions)


def topic_of(intent: str | None) -> str | None:
    return intent[len(TOPIC_PREFIX):] if intent and intent.startswith(TOPIC_PREFIX) else None


def decide(parse: dict[str, Any], searched: Iterable[str], topics: Iterable[str], *, booked: bool = True) -> Decision | None:
    """None when the message is not a question about a topic (greeting, booking …: the rules answer it).

    `parse` is Rasa's parse of the message, `searched` the topic search's matches, best first; `booked`: whether
    the client has an appointment booked through Lotse (a first message never has)."""
    known = set(topics) | {DOCUMENTS}
    intent = (parse.get("intent") or {}).get("name")
    if intent == OUT_OF_SCOPE:
        return Decision()
    topic = topic_of(intent)
    if topic in known:
        return Decision(answer=topic)
    if not booked and intent in ANSWERED_WITHOUT_BOOKING:
        return Decision(answer=ANSWERED_WITHOUT_BOOKING[intent])
    if intent != FALLBACK:
        return None
    offered: list[str] = []
    for ranked in parse.get("intent_ranking") or []:
        candidate = topic_of(ranked.get("name"))
        if candidate in known and ranked.get("confidence", 0.0) >= MIN_RANKED_CONFIDENCE and candidate not in offered:
            offered.append(candidate)
        if len(offered) == 1:
            break  # the classifier's best guess first, then the search's
    for candidate in searched:
        if candidate in known and candidate not in offered:
            offered.append(candidate)
    return Decision(suggestions=offered[:SUGGESTIONS])
