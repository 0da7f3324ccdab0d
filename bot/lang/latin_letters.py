"""Which served language a message typed in Latin letters looks like, by its letter sequences.

Arabic, Persian, Pashto and Tigrinya typed without their keyboard have no letters of their own and
an open vocabulary (verbs inflect, every writer spells differently), so the cue-word lists of
bot/lang/detect.py miss many forms; their letter sequences ("3a", "kh", "yi-", "-ey") still tell
them apart. A naive Bayes model over the character 1-4-grams of the words of the training data's
Latin-letter lines (bot/data/nlu, every language), built once per process; no download."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from lotse_shared.nlu import NLU_DIR, examples_by_language, plain

LATIN_SHARE = 0.6  # a line counts as typed in Latin letters when this share of its letters are
GRAM_SIZES = (1, 2, 3, 4)
SMOOTHING = 0.1  # added to every gram's count: an unseen gram costs each language alike
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
# Digits belong to the words: Arabizi writes letters with them ("3ndi", "7aga").
_LATIN_WORD = re.compile(r"[0-9a-z\u00C0-\u024F']+")


def mostly_latin(text: str) -> bool:
    letters = len(_LETTER.findall(text))
    return bool(letters) and len(_LATIN_LETTER.findall(text)) >= LATIN_SHARE * letters


def latin_letter_lines(nlu_dir: Path = NLU_DIR) -> dict[str, list[str]]:
    """language -> its training lines typed mostly in Latin letters, lower-cased."""
    result: dict[str, list[str]] = {}
    for language, rows in examples_by_language(nlu_dir).items():
        texts = (plain(example) for _, example in rows)
        result[language] = [text.lower() for text in texts if mostly_latin(text)]
    return result


def letter_grams(text: str) -> list[str]:
    """The character 1-4-grams of each Latin-letter word, with its edges marked by spaces."""
    grams: list[str] = []
    for word in _LATIN_WORD.findall(text.lower()):
        grams.extend(_word_grams(word))
    return grams


def _word_grams(word: str) -> list[str]:
    padded = f" {word} "
    return [
        padded[start : start + size]
        for size in GRAM_SIZES
        for start in range(len(padded) - size + 1)
    ]


def _gram_counts(lines: Iterable[str]) -> Counter[str]:
    """Grams counted word by word: each distinct word is cut once (words repeat a lot)."""
    words = Counter(word for line in lines for word in _LATIN_WORD.findall(line.lower()))
    counts: Counter[str] = Counter()
    for word, times in words.items():
        for gram in _word_grams(word):
            counts[gram] += times
    return counts


class LetterModel:
    """Multinomial naive Bayes over letter grams, with a uniform prior over languages (a message's
    language is not more likely because more lines of it were written)."""

    def __init__(self, lines_by_language: Mapping[str, Iterable[str]]) -> None:
        counts = {
            language: _gram_counts(lines) for language, lines in sorted(lines_by_language.items())
        }
        self.languages = [language for language, counted in counts.items() if counted]
        vocabulary = sorted(set().union(*(counts[language] for language in self.languages)))
        self._index = {gram: row for row, gram in enumerate(vocabulary)}
        # One row per gram and a last one for grams no line has; one column per language.
        log_probabilities = np.empty((len(vocabulary) + 1, len(self.languages)), dtype=np.float32)
        for column, language in enumerate(self.languages):
            counted = counts[language]
            in_language = np.fromiter(
                (counted.get(gram, 0) for gram in vocabulary), np.float64, len(vocabulary)
            )
            denominator = math.log(in_language.sum() + SMOOTHING * len(vocabulary))
            log_probabilities[:-1, column] = np.log(in_language + SMOOTHING) - denominator
            log_probabilities[-1, column] = math.log(SMOOTHING) - denominator
        self._log_probabilities = log_probabilities

    def most_likely(self, text: str) -> str | None:
        """The language whose lines the text's letter grams fit best; None without Latin words."""
        grams = letter_grams(text)
        if not grams or not self.languages:
            return None
        unseen = len(self._index)
        rows = [self._index.get(gram, unseen) for gram in grams]
        scores = self._log_probabilities[rows].sum(axis=0, dtype=np.float64)
        return self.languages[int(np.argmax(scores))]


@lru_cache(maxsize=1)
def letter_model() -> LetterModel:
    return LetterModel(latin_letter_lines())
