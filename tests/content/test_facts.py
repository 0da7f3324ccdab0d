"""Key facts: rendered per locale from one data file, and the check that keeps numbers out of the
texts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from kiosk_api.content.facts import render_value, stray_numbers
from kiosk_api.content.schemas import Fact
from kiosk_api.content.service import check_store, content_warnings, get_topic, load_store

TODAY = dt.date(2026, 12, 3)
LANGUAGES = ["de", "en", "ar"]
SOURCE = {
    "title": "§ 20 SGB II – Regelbedarf",
    "url": "https://www.gesetze-im-internet.de/sgb_2/__20.html",
    "pinpoint": "§ 20 Abs. 1a SGB II",
}


def fact(**values: object) -> Fact:
    return Fact.model_validate(
        {
            "id": "amount",
            "kind": "money",
            "value": 563,
            "statement": "Regelbedarf",
            "status": "in_force",
            "source": SOURCE,
            **values,
        }
    )


@pytest.mark.parametrize(
    ("kind", "value", "language", "expected"),
    [
        ("money", 563, "de", "563\u00a0€"),
        ("money", 563, "en", "€563"),
        ("money", 5.5, "de", "5,50\u00a0€"),
        ("money", 563, "ar", "٥٦٣"),
        ("money", 563, "fa", "۵۶۳"),
        ("months", 3, "de", "3 Monate"),
        ("months", 1, "de", "1 Monat"),
        ("months", 3, "uk", "3 місяці"),
        ("weeks", 3, "fa", "۳ هفته"),
        ("months", 3, "ti", "3 ኣዋርሕ"),
        ("percent", 30, "de", "30\u00a0%"),
        ("percent", 30, "ar", "٣٠"),
        ("percent", 2.3, "de", "2,3\u00a0%"),
        ("date", dt.date(2026, 7, 1), "de", "1. Juli 2026"),
        ("date", dt.date(2026, 7, 1), "fa", "۲۰۲۶"),
    ],
)
def test_values_are_written_as_the_reader_writes_them(kind, value, language, expected) -> None:
    assert expected in render_value(fact(kind=kind, value=value), language)


def test_a_rule_has_no_value_and_a_number_needs_one() -> None:
    with pytest.raises(ValueError):
        fact(kind="rule", value=3)
    with pytest.raises(ValueError):
        fact(kind="money", value=None)
    with pytest.raises(ValueError):
        fact(kind="date", value=3)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Der Regelbedarf beträgt 563 Euro.", "563"),
        ("يبلغ ٥٦٣ يورو", "٥٦٣"),
        ("Innerhalb von drei Wochen, spätestens am 3.", "3."),
        ("Siehe § 99 SGB II.", "§ 99"),
    ],
)
def test_numbers_outside_the_facts_are_found(text, problem) -> None:
    found = stray_numbers(text, cited={"20", "22"})
    assert found and problem in found[0]


@pytest.mark.parametrize(
    "text",
    [
        "Der Regelbedarf beträgt {amount} im Monat (§ 20 Abs. 1a SGB II).",
        "Deutschkurs bis B1, danach C1.",
        "Nach §§ 20, 22 SGB II zahlt das Jobcenter.",
    ],
)
def test_placeholders_citations_and_language_levels_are_fine(text) -> None:
    assert stray_numbers(text, cited={"20", "22"}) == []


def write_topic(
    root: Path, texts: dict[str, str], facts: list[dict], *, valid_as_of: str = "2026-12-03"
) -> Path:
    (root / "topics" / "demo").mkdir(parents=True)
    (root / "config.yml").write_text(
        yaml.safe_dump(
            {
                "max_age_days": 183,
                "source_languages": ["de", "en"],
                "allowed_source_hosts": ["gesetze-im-internet.de"],
                "themes": {"money": ["demo"]},
            }
        ),
        encoding="utf-8",
    )
    (root / "topics" / "demo" / "facts.yml").write_text(
        yaml.safe_dump({"topic": "demo", "checked_on": "2026-12-03", "facts": facts}),
        encoding="utf-8",
    )
    for language, summary in texts.items():
        translation = language not in ("de", "en")
        (root / "topics" / "demo" / f"{language}.yml").write_text(
            yaml.safe_dump(
                {
                    "topic": "demo",
                    "language": language,
                    "version": 1,
                    "valid_as_of": valid_as_of,
                    "review_by": "2027-06-03",
                    "machine_translated": translation,
                    "drafted_by": "ai_assistant",
                    "reviewed": None,
                    "translation_of": {"language": "en", "version": 1} if translation else None,
                    "unreviewed_translation": translation,
                    "sources": [{"title": SOURCE["title"], "url": SOURCE["url"]}],
                    "title": "Demo",
                    "summary": summary,
                    "body": ["Punkt."],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
    return root


AMOUNT = {
    "id": "amount",
    "kind": "money",
    "value": 563,
    "statement": "Regelbedarf",
    "status": "in_force",
    "source": SOURCE,
}


def test_a_clean_topic_passes_and_renders_its_facts_in_each_language(tmp_path) -> None:
    root = write_topic(
        tmp_path,
        {
            "de": "Es sind {amount} im Monat.",
            "en": "It is {amount} a month.",
            "ar": "المبلغ {amount} شهريا.",
        },
        [AMOUNT],
    )
    store = load_store(root)
    assert check_store(store, today=TODAY, languages=LANGUAGES) == []
    assert (
        get_topic(store=store, topic="demo", language="de", today=TODAY).summary
        == "Es sind 563\u00a0€ im Monat."
    )
    arabic = get_topic(store=store, topic="demo", language="ar", today=TODAY)
    assert "٥٦٣" in arabic.summary and [f.text for f in arabic.facts] == [
        render_value(fact(), "ar")
    ]


@pytest.mark.parametrize(
    ("texts", "facts", "expected"),
    [
        (
            {"de": "Es sind 563 Euro.", "en": "It is {amount}.", "ar": "{amount}"},
            [AMOUNT],
            "states the number '563'",
        ),
        (
            {"de": "Es sind {other}.", "en": "It is {amount}.", "ar": "{amount}"},
            [AMOUNT],
            "{other} is not a fact",
        ),
        (
            {"de": "Es sind {amount}.", "en": "It is {amount}.", "ar": "{amount}"},
            [{**AMOUNT, "status": "unverified"}],
            "unverified",
        ),
        (
            {"de": "Es sind {amount}.", "en": "It is {amount}.", "ar": "المبلغ"},
            [AMOUNT],
            "uses the facts []",
        ),
        ({"de": "Es.", "en": "It.", "ar": "هو."}, [], "facts.yml: missing"),
        (
            {"de": "Es.", "en": "It.", "ar": "هو."},
            [{**AMOUNT, "source": {**SOURCE, "url": "https://example.org/x"}}],
            "not an https URL of an official site",
        ),
    ],
)
def test_the_check_refuses(tmp_path, texts, facts, expected) -> None:
    problems = check_store(
        load_store(write_topic(tmp_path, texts, facts)), today=TODAY, languages=LANGUAGES
    )
    assert any(expected in problem for problem in problems), problems


def test_age_is_a_warning_and_a_notice_never_a_failed_check(tmp_path) -> None:
    root = write_topic(
        tmp_path,
        {"de": "Es sind {amount}.", "en": "It is {amount}.", "ar": "{amount}"},
        [{**AMOUNT, "valid_until": "2026-12-31"}],
    )
    store = load_store(root)
    later = dt.date(2027, 7, 1)
    assert check_store(store, today=later, languages=LANGUAGES) == []
    warnings = content_warnings(store, today=later)
    assert any("due for a re-check" in w for w in warnings) and any(
        "valid until 2026-12-31" in w for w in warnings
    )
    assert content_warnings(store, today=TODAY) == []
    assert get_topic(store=store, topic="demo", language="en", today=later).outdated is True
    assert get_topic(store=store, topic="demo", language="en", today=TODAY).outdated is False
