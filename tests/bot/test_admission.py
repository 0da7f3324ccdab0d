"""Graceful overload's bookkeeping (bot/runtime/admission.py); the whole path against a real Rasa
server is in tests/bot/test_state.py."""

from __future__ import annotations

import pytest

from bot.nlg.catalogs import all_catalogs
from bot.runtime import admission as overload


def test_past_the_limit_messages_are_refused_until_one_leaves() -> None:
    door = overload.Admission(limit=2)
    assert door.enter() and door.enter()
    assert not door.enter() and door.refused == 1
    door.leave()
    assert door.enter() and door.in_flight == 2


def test_the_busy_reply_is_in_the_messages_language_else_the_conversations() -> None:
    door = overload.Admission(limit=1)
    door.remember_language("c1", "fa")
    assert door.language_for("c1", "مرحبا عندي سؤال عن الجوب سنتر") == "ar"
    assert door.language_for("c1", "/affirm") == "fa"  # a button tap has no words of its own
    assert door.language_for("someone-new", "/affirm") == overload.DEFAULT_LANGUAGE


def test_remembered_languages_are_bounded() -> None:
    door = overload.Admission(limit=1)
    for n in range(overload.REMEMBERED_CONVERSATIONS + 5):
        door.remember_language(f"c{n}", "ar")
    assert door.language_for("c0", "/affirm") == overload.DEFAULT_LANGUAGE
    assert door.language_for(f"c{overload.REMEMBERED_CONVERSATIONS + 4}", "/affirm") == "ar"


@pytest.mark.parametrize(
    ("configured", "limit"), [("", 32), ("5", 5), ("0", 32), ("-3", 32), ("many", 32)]
)
def test_the_limit_comes_from_the_environment_or_the_default(
    monkeypatch: pytest.MonkeyPatch, configured: str, limit: int
) -> None:
    monkeypatch.setenv(overload.MAX_IN_FLIGHT_SETTING, configured)
    assert overload.max_in_flight() == limit


def test_every_served_language_has_the_busy_message() -> None:
    catalogs = all_catalogs()
    for language in (
        "ar",
        "de",
        "en",
        "fa",
        "fa_AF",
        "fr",
        "ku",
        "ps",
        "ru",
        "so",
        "ti",
        "tr",
        "uk",
    ):
        assert overload.busy_text(language) == catalogs[language][overload.BUSY_KEY]
