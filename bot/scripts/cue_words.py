"""The cue words of bot/lang/detect.py against the training data (`make bot-cue-words`).

The Latin-letter cue lists (Arabizi, Finglish, Pashto and Tigrinya in Latin letters, Kurmanji,
Somali) were grown by one rule: a word in at least `--min-lines` Latin-letter training lines of its
language and in none of another language's. This prints, per list:
  clashes     cue words that some other language's Latin-letter training lines use (with how many
              lines), which could make a message of that language look like this one
  candidates  words the rule would add now (`--candidates`), to be read before any is added
It changes nothing. The lists' older, hand-written words predate the rule and some clash; dropping
the 18 used more by another language than by their own changed nothing on the training lines (47,651
of 48,292 either way) and lost two held-out questions (Dec 2026), so they stay.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

from bot.lang.detect import (  # the word pattern detect() counts with
    _WORD,
    ARABIZI_WORDS,
    FINGLISH_WORDS,
    KURMANJI_WORDS,
    PASHTO_LATIN_WORDS,
    SOMALI_WORDS,
    TIGRINYA_LATIN_WORDS,
)
from bot.lang.latin_letters import latin_letter_lines

CUE_LISTS: dict[str, tuple[str, frozenset[str]]] = {
    "arabizi": ("ar", ARABIZI_WORDS),
    "finglish": ("fa", FINGLISH_WORDS),
    "pashto_latin": ("ps", PASHTO_LATIN_WORDS),
    "tigrinya_latin": ("ti", TIGRINYA_LATIN_WORDS),
    "kurmanji": ("ku", KURMANJI_WORDS),
    "somali": ("so", SOMALI_WORDS),
}
_LATIN_WORD = re.compile(r"[0-9a-z\u00C0-\u024F]+")


def line_counts(lines: list[str]) -> Counter[str]:
    """word -> in how many of the lines it occurs."""
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(set(_WORD.findall(line)))
    return counts


def clashes(
    counts: dict[str, Counter[str]], language: str, words: frozenset[str]
) -> dict[str, dict[str, int]]:
    """cue word -> {other language: lines of it that use the word}."""
    found: dict[str, dict[str, int]] = {}
    for word in sorted(words):
        others = {
            other: counted[word]
            for other, counted in counts.items()
            if other != language and counted[word]
        }
        if others:
            found[word] = others
    return found


def candidates(
    counts: dict[str, Counter[str]], language: str, words: frozenset[str], min_lines: int
) -> list[tuple[str, int]]:
    """Words in at least `min_lines` of the language's Latin-letter lines and in no other's, not yet
    cue words; most frequent first, then alphabetical (the same order in every run)."""
    own = counts[language]
    return [
        (word, n)
        for word, n in sorted(own.items(), key=lambda item: (-item[1], item[0]))
        if n >= min_lines
        and len(word) >= 2
        and _LATIN_WORD.fullmatch(word)
        and word not in words
        and not any(counted[word] for other, counted in counts.items() if other != language)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", action="store_true", help="also print the rule's new words")
    parser.add_argument("--min-lines", type=int, default=3)
    args = parser.parse_args()
    counts = {language: line_counts(lines) for language, lines in latin_letter_lines().items()}
    for name, (language, words) in CUE_LISTS.items():
        clashing = clashes(counts, language, words)
        print(f"{name} ({language}): {len(words)} cue words, {len(clashing)} clash")
        for word, others in clashing.items():
            where = ", ".join(f"{other} {n}" for other, n in sorted(others.items()))
            print(f"  {word}: {counts[language][word]} {language} lines; {where}")
        if args.candidates:
            new = candidates(counts, language, words, args.min_lines)
            print(f"  candidates ({len(new)}): " + " ".join(f"{w}:{n}" for w, n in new))


if __name__ == "__main__":
    main()
