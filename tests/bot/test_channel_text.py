"""Long answers split for messengers (bot/channels/text.py)."""

from __future__ import annotations

import pytest

from bot.channels.text import split_message


def test_short_text_stays_one_part_with_its_line_breaks() -> None:
    text = "Hallo. Wie geht es?\n\nZweiter Absatz."
    assert split_message(text, 100) == [text]


def test_long_text_breaks_after_sentences_within_the_limit() -> None:
    parts = split_message("Erster Satz hier. Zweiter Satz hier. Dritter.", 20)
    assert parts == ["Erster Satz hier.", "Zweiter Satz hier.", "Dritter."]


def test_arabic_and_ethiopic_sentence_marks_are_break_points() -> None:
    assert split_message("ما هو الجوب سنتر؟ هو مكتب.", 18) == ["ما هو الجوب سنتر؟", "هو مكتب."]
    assert split_message("እዚ ሓበሬታ እዩ። ጽሓፉ።", 12) == ["እዚ ሓበሬታ እዩ።", "ጽሓፉ።"]


def test_a_sentence_over_the_limit_breaks_between_words_and_a_word_inside_itself() -> None:
    parts = split_message("eins zwei drei " + "x" * 12, 10)
    assert parts == ["eins zwei", "drei", "xxxxxxxxxx", "xx"]
    assert all(len(part) <= 10 for part in parts)


@pytest.mark.parametrize("limit", [5, 17, 70, 160])
def test_nothing_is_lost_but_whitespace(limit: int) -> None:
    text = "Bitte bringen Sie Ihren Ausweis mit. " * 9 + "Danke!\nBis bald."
    parts = split_message(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_a_custom_measure_counts_what_the_platform_counts() -> None:
    # e.g. SMS: every character of a UCS-2 message counts as 2 bytes.
    parts = split_message("abc def ghi", 8, size=lambda part: 2 * len(part))
    assert parts == ["abc", "def", "ghi"]
