"""The questions written apart from the training data stay apart, and cover what the assistant
serves."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.scripts.evaluate_real import SETS, load_questions, topics
from lotse_shared.nlu import examples_by_language, plain
from lotse_shared.text import fold

BOT_LANGUAGES = ["de", "en", "ar", "fa", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so"]
QUESTIONS = {question_set: load_questions(question_set) for question_set in SETS}


@pytest.mark.parametrize("question_set", SETS)
def test_every_served_language_has_at_least_forty_in_scope_questions(question_set):
    assert sorted(QUESTIONS[question_set]) == sorted(BOT_LANGUAGES)
    for language, questions in QUESTIONS[question_set].items():
        assert sum(q["topic"] != "out_of_scope" for q in questions) >= 40, language


@pytest.mark.parametrize("question_set", SETS)
def test_questions_name_real_topics(question_set):
    known = set(topics()) | {"documents", "out_of_scope"}
    for questions in QUESTIONS[question_set].values():
        for question in questions:
            assert {question["topic"], *(question.get("also") or [])} <= known, question


@pytest.mark.parametrize("question_set", SETS)
def test_every_topic_is_asked_somewhere(question_set):
    asked = Counter(q["topic"] for questions in QUESTIONS[question_set].values() for q in questions)
    assert set(topics()) <= set(asked)


@pytest.mark.parametrize("language", BOT_LANGUAGES)
def test_no_question_is_in_the_training_data(language):
    trained = {fold(plain(text)) for rows in examples_by_language().values() for _, text in rows}
    leaked = [
        q["text"]
        for question_set in SETS
        for q in QUESTIONS[question_set][language]
        if fold(q["text"]) in trained
    ]
    assert leaked == []
