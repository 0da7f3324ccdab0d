"""The questions written apart from the training data stay apart, and cover what the assistant serves."""
from __future__ import annotations

from collections import Counter

import pytest

from bot.scripts.evaluate_real import load_questions, topics
from lotse_shared.nlu import examples_by_language, plain
from lotse_shared.text import fold

BOT_LANGUAGES = ["de", "en", "ar", "fa", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so"]
QUESTIONS = load_questions()


def test_every_served_language_has_at_least_forty_in_scope_questions():
    assert sorted(QUESTIONS) == sorted(BOT_LANGUAGES)
    for language, questions in QUESTIONS.items():
        assert sum(q["topic"] != "out_of_scope" for q in questions) >= 40, language


def test_questions_name_real_topics():
    known = set(topics()) | {"documents", "out_of_scope"}
    for questions in QUESTIONS.values():
        for question in questions:
            assert {question["topic"], *(question.get("also") or [])} <= known, question


def test_every_topic_is_asked_somewhere():
    asked = Counter(q["topic"] for questions in QUESTIONS.values() for q in questions)
    assert set(topics()) <= set(asked)


@pytest.mark.parametrize("language", BOT_LANGUAGES)
def test_no_question_is_in_the_training_data(language):
    trained = {fold(plain(text)) for rows in examples_by_language().values() for _, text in rows}
    leaked = [q["text"] for q in QUESTIONS[language] if fold(q["text"]) in trained]
    assert leaked == []
