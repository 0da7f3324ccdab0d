"""Topics ranked by similarity to a client's message: the kiosk's search box and the chat's "Did you
mean …?".

Each topic is described, per language, by its texts and by the example questions the assistant
learns from; a message is compared with each description on character n-grams of its normalised
form (lotse_shared.text), which tolerates typos, inflection and mixed scripts. Pure Python: both
environments run it."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lotse_shared.files import read_yaml
from lotse_shared.nlu import NLU_DIR, examples_by_language, plain
from lotse_shared.text import normalize

NGRAM_SIZES = (3, 4, 5)
# Below this similarity a question is taken as outside what Lotse explains (measured: make
# bot-eval-real).
MINIMUM_SCORE = 0.08


def features(text: str) -> Counter[str]:
    """Character 3-5-grams inside word boundaries, plus whole words, of the normalised text."""
    grams: list[str] = []
    extend = grams.extend
    for word in normalize(text).split():
        padded = " " + word + " "
        length = len(padded)
        grams.append("w:" + word)
        for size in NGRAM_SIZES:
            extend(padded[start : start + size] for start in range(max(1, length - size + 1)))
    return Counter(grams)


@dataclass(frozen=True)
class Match:
    topic: str
    score: float


class TopicIndex:
    """Nearest description wins: a topic scores its best cosine similarity over its per-language
    descriptions.

    A description (a topic's example questions in one language, or its texts in one language) is
    the sum of its texts' n-gram counts, weighted by how few descriptions share an n-gram (idf
    over descriptions)."""

    def __init__(self, documents: Iterable[tuple[str, str, str]]) -> None:
        """`documents`: (topic, description key such as "fa:examples", text)."""
        grouped: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for topic, description, text in documents:
            grouped[(topic, description)].update(features(text))
        document_frequency: Counter[str] = Counter()
        for counted in grouped.values():
            document_frequency.update(counted.keys())
        count = len(grouped)
        self._idf = {
            feature: math.log((1 + count) / (1 + df)) + 1.0
            for feature, df in document_frequency.items()
        }
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._topics: list[str] = []
        for index, ((topic, _), counted) in enumerate(sorted(grouped.items())):
            for feature, weight in self._unit(counted).items():
                self._postings[feature].append((index, weight))
            self._topics.append(topic)

    def _unit(self, counted: Counter[str]) -> dict[str, float]:
        idf = self._idf
        log = math.log
        weights = {f: (1.0 + log(n)) * idf.get(f, 0.0) for f, n in counted.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {f: w / norm for f, w in weights.items() if w}

    def rank(self, text: str, limit: int = 3, minimum: float = 0.0) -> list[Match]:
        """The best `limit` topics, most similar first, each scored by its closest description."""
        scores: dict[int, float] = defaultdict(float)
        for feature, weight in self._unit(features(text)).items():
            for index, description_weight in self._postings.get(feature, ()):
                scores[index] += weight * description_weight
        best: dict[str, float] = {}
        for index, score in scores.items():
            topic = self._topics[index]
            if score > best.get(topic, 0.0):
                best[topic] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [
            Match(topic, round(score, 4)) for topic, score in ranked[:limit] if score >= minimum
        ]


CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
TOPIC_INTENT_PREFIX = "ask_"
_PLACEHOLDER = re.compile(r"\{[a-z][a-z0-9_]*\}")


def topic_documents(
    content_dir: Path = CONTENT_DIR, nlu_dir: Path = NLU_DIR
) -> list[tuple[str, str, str]]:
    """What describes each topic of content/config.yml: its title, summary and key points in
    every language, and the assistant's example questions for it (intent ask_<topic>)."""
    config = read_yaml(content_dir / "config.yml")
    topics = [topic for members in config["themes"].values() for topic in members]
    documents: list[tuple[str, str, str]] = []
    for topic in topics:
        for path in sorted((content_dir / "topics" / topic).glob("*.yml")):
            if path.stem == "facts":
                continue
            item = read_yaml(path) or {}
            for text in [
                item.get("title") or "",
                item.get("summary") or "",
                *(item.get("body") or []),
            ]:
                documents.append((topic, f"{path.stem}:text", _PLACEHOLDER.sub(" ", text)))
    known = set(topics)
    for language, rows in examples_by_language(nlu_dir).items():
        for intent, text in rows:
            topic = (
                intent[len(TOPIC_INTENT_PREFIX) :]
                if intent.startswith(TOPIC_INTENT_PREFIX)
                else None
            )
            if topic in known:
                documents.append((topic, f"{language}:examples", plain(text)))
    return documents


def build_index(content_dir: Path = CONTENT_DIR, nlu_dir: Path = NLU_DIR) -> TopicIndex:
    return TopicIndex(topic_documents(content_dir, nlu_dir))
