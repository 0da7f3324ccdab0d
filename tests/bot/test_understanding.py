"""What a question gets: its topic's answer, the closest three, or an honest no
(bot.actions.understanding)."""

from __future__ import annotations

from bot.actions.understanding import RELATED_BELOW, decide

TOPICS = ["housing_costs", "moving_house", "household_energy", "objection", "applying"]


def parse(intent: str, confidence: float, ranking: list[tuple[str, float]]) -> dict:
    return {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": value} for name, value in ranking],
    }


def test_a_sure_answer_comes_alone():
    sure = parse("ask_housing_costs", RELATED_BELOW, [("ask_housing_costs", RELATED_BELOW)])
    decision = decide(sure, ["moving_house"], TOPICS)
    assert decision is not None
    assert (decision.answer, decision.related) == ("housing_costs", [])


def test_an_unsure_answer_has_two_related_topics_even_when_the_rest_scores_low():
    unsure = parse(
        "ask_housing_costs",
        0.8,
        [
            ("ask_housing_costs", 0.8),
            ("book_appointment", 0.04),
            ("ask_moving_house", 0.03),
            ("greet", 0.02),
            ("ask_household_energy", 0.01),
        ],
    )
    decision = decide(unsure, [], TOPICS)
    assert decision is not None
    assert decision.put_forward == ["housing_costs", "moving_house", "household_energy"]


def test_did_you_mean_offers_three_once_one_topic_is_likely():
    unsure = parse(
        "nlu_fallback",
        0.5,
        [
            ("ask_objection", 0.45),
            ("ask_applying", 0.02),
            ("thank", 0.02),
            ("ask_moving_house", 0.01),
        ],
    )
    decision = decide(unsure, ["housing_costs"], TOPICS)
    assert decision is not None
    assert decision.answer is None
    assert decision.suggestions == ["objection", "housing_costs", "applying"]


def test_a_topic_both_the_classifier_and_the_search_find_comes_first():
    unsure = parse(
        "nlu_fallback",
        0.5,
        [("ask_objection", 0.45), ("ask_applying", 0.2), ("ask_moving_house", 0.1)],
    )
    decision = decide(unsure, ["applying", "housing_costs"], TOPICS)
    assert decision is not None
    assert decision.suggestions == ["applying", "objection", "housing_costs"]


def test_nothing_likely_is_an_honest_no_not_a_guess():
    lost = parse(
        "nlu_fallback", 0.5, [("greet", 0.3), ("ask_objection", 0.04), ("ask_applying", 0.03)]
    )
    decision = decide(lost, [], TOPICS)
    assert decision is not None
    assert decision.put_forward == []


def test_unsure_with_out_of_scope_as_best_guess_is_an_honest_no():
    outside = parse(
        "nlu_fallback",
        0.5,
        [("nlu_fallback", 0.5), ("out_of_scope", 0.4), ("ask_applying", 0.3)],
    )
    decision = decide(outside, ["applying"], TOPICS)
    assert decision is not None
    assert decision.put_forward == []
    inside = parse(
        "nlu_fallback",
        0.5,
        [("nlu_fallback", 0.5), ("ask_applying", 0.4), ("out_of_scope", 0.3)],
    )
    assert decide(inside, [], TOPICS).suggestions[0] == "applying"
