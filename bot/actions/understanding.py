"""What the assistant does with a question: answer a topic, offer the closest three, or say honestly
it cannot.

One function for the live action (with the kiosk API's topic search) and for `make bot-eval-real`
(with the same search run locally), so the figures measure what clients get."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TOPIC_PREFIX = "ask_"
# The checklist of documents is answered like a topic, from the site's checklist rules.
DOCUMENTS = "documents"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
SUGGESTIONS = 3
# "How do I cancel my appointment?" without a booking in Lotse means one the Jobcenter set: its
# topic answers.
CANCEL_JOBCENTER_APPOINTMENT_TOPIC = "missed_appointment"
ANSWERED_WITHOUT_BOOKING = {"cancel_appointment": CANCEL_JOBCENTER_APPOINTMENT_TOPIC}
# "Are you a person or a robot?" is answered by a rule (utter_disclosure), with these topics one tap
# away.
OFFERED_WITH_RULE_ANSWER = {"bot_challenge": ["privacy_notice"]}
# A topic intent this far down the classifier's ranking is still worth offering when it is unsure;
# once one is, the next ones below fill the offer up (three buttons, or an answer's two related).
MIN_RANKED_CONFIDENCE = 0.05
# Below this confidence an answer comes with the two next closest topics, one tap away if it was
# misread (on 1,600 dev-set questions no answer at or above it was wrong; two at 0.90-0.92 were).
RELATED_BELOW = 0.95
RELATED = 2
# Reciprocal rank fusion of the classifier's and the search's rankings: a topic at place p (from 0)
# scores 1 / (p + 2) in each. Against taking them in turn, on 2,066 dev-set questions: top-1
# 2,000 -> 2,004, top-3 2,056 -> 2,057; on 740 held-out questions top-1 715 -> 717, top-3 734.
FUSION_OFFSET = 2


@dataclass(frozen=True)
class Decision:
    """`answer`: the topic answered at once, with `related` topics beside it; else `suggestions`
    ("Did you mean …?"); neither: out of scope."""

    answer: str | None = None
    suggestions: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)

    @property
    def put_forward(self) -> list[str]:
        return [self.answer, *self.related] if self.answer else list(self.suggestions)


def topic_of(intent: str | None) -> str | None:
    return intent[len(TOPIC_PREFIX) :] if intent and intent.startswith(TOPIC_PREFIX) else None


def decide(
    parse: dict[str, Any], searched: Iterable[str], topics: Iterable[str], *, booked: bool = True
) -> Decision | None:
    """None when the message is not a question about a topic (greeting, booking …: the rules answer
    it); the topics a rule's answer offers as buttons, for a question a rule answers.

    `parse` is Rasa's parse of the message, `searched` the topic search's matches, best first;
    `booked`: whether the client has an appointment booked through Lotse (a first message never
    has)."""
    known = set(topics) | {DOCUMENTS}
    intent = (parse.get("intent") or {}).get("name")
    if intent == OUT_OF_SCOPE:
        return Decision()
    topic = topic_of(intent)
    if topic in known:
        confident = (parse.get("intent") or {}).get("confidence", 0.0) >= RELATED_BELOW
        related = (
            []
            if confident
            else [t for t in closest(parse, searched, known) if t != topic][:RELATED]
        )
        return Decision(answer=topic, related=related)
    if intent in OFFERED_WITH_RULE_ANSWER:
        return Decision(suggestions=OFFERED_WITH_RULE_ANSWER[intent])
    if not booked and intent in ANSWERED_WITHOUT_BOOKING:
        return Decision(answer=ANSWERED_WITHOUT_BOOKING[intent])
    if intent != FALLBACK:
        return None
    if best_guess(parse) == OUT_OF_SCOPE:
        # Unsure, but its best guess is "none of Lotse's topics": an honest no, not three strays.
        return Decision()
    return Decision(suggestions=closest(parse, searched, known)[:SUGGESTIONS])


def best_guess(parse: dict[str, Any]) -> str | None:
    """The classifier's best intent behind a fallback."""
    for ranked in parse.get("intent_ranking") or []:
        if ranked.get("name") != FALLBACK:
            return ranked.get("name")
    return None


def closest(parse: dict[str, Any], searched: Iterable[str], known: set[str]) -> list[str]:
    """The classifier's and the search's best three topics, fused by rank: a topic both put forward
    comes before one only one of them does (each catches what the other misses); on a tie the
    classifier's first. Empty when neither finds a topic close enough; else filled up with the
    classifier's next topics."""
    ranked = [
        (topic, r.get("confidence", 0.0))
        for r in parse.get("intent_ranking") or []
        if (topic := topic_of(r.get("name"))) in known
    ]
    from_classifier = [t for t, confidence in ranked if confidence >= MIN_RANKED_CONFIDENCE]
    from_search = [topic for topic in searched if topic in known]
    fused: dict[str, float] = {}
    for ranking in (from_classifier[:SUGGESTIONS], from_search[:SUGGESTIONS]):
        for place, topic in enumerate(ranking):
            fused[topic] = fused.get(topic, 0.0) + 1 / (place + FUSION_OFFSET)
    offered = sorted(fused, key=lambda topic: -fused[topic])  # stable: classifier first on a tie
    if offered:
        offered += [topic for topic, _ in ranked if topic not in offered]
    return offered
