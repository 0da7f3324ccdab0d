"""The cue-word report (`make bot-cue-words`): what it counts as a clash and as a new cue word."""

from __future__ import annotations

from collections import Counter

from bot.scripts.cue_words import candidates, clashes, line_counts


def counts() -> dict[str, Counter[str]]:
    return {
        "ti": line_counts(["kemey yikeal do", "kemey geza", "kemey kiray", "nab jobcenter"]),
        "ar": line_counts(["shu a3mel", "shu nab", "kif 3ndi"]),
        "en": line_counts(["how do i apply", "can i do it"]),
    }


def test_a_word_counts_once_per_line() -> None:
    assert line_counts(["kemey kemey entay", "kemey"]) == Counter({"kemey": 2, "entay": 1})


def test_cue_words_used_by_another_language_are_clashes_with_its_line_count() -> None:
    assert clashes(counts(), "ti", frozenset({"kemey", "nab", "do"})) == {
        "do": {"en": 2},
        "nab": {"ar": 1},
    }


def test_candidates_are_frequent_in_the_language_only_and_not_yet_cue_words() -> None:
    found = candidates(counts(), "ti", frozenset({"geza"}), min_lines=2)
    assert found == [("kemey", 3)]
    assert candidates(counts(), "ti", frozenset({"kemey"}), min_lines=2) == []
    # "do" is in two English lines: never a Tigrinya candidate however often Tigrinya uses it.
    assert ("do", 1) not in candidates(counts(), "ti", frozenset(), min_lines=1)
