"""The content check on the real content and on broken copies of it; what the real content
promises."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kiosk_api import i18n
from kiosk_api.content.service import check_store, content_warnings, get_topic, load_store
from tests.content.conftest import REAL_CONTENT

PROJECT = REAL_CONTENT.parent
LANGUAGES = i18n.language_codes()
TODAY = dt.date(2026, 12, 3)


def problems(root: Path, today: dt.date = TODAY) -> list[str]:
    return check_store(load_store(root), today=today, languages=LANGUAGES)


def edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --- the real content ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    return load_store(REAL_CONTENT)


def test_real_content_passes_the_check_on_any_later_day(store) -> None:  # type: ignore[no-untyped-def]
    assert check_store(store, today=TODAY, languages=LANGUAGES) == []
    # Age is an alert, never a failed build: years later the check still passes.
    assert check_store(store, today=dt.date(2031, 1, 1), languages=LANGUAGES) == []


def test_the_check_cli_passes_on_the_real_content() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_api.content.check"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    topics = len(load_store(REAL_CONTENT).config.topics)
    assert (
        f"{topics} topics x {len(LANGUAGES)} languages, {len(LANGUAGES) * topics} files loaded"
        in result.stdout
    )


def test_every_topic_exists_in_every_language(store) -> None:  # type: ignore[no-untyped-def]
    assert len(store.config.topics) >= 32
    for topic in store.config.topics:
        assert sorted(store.items[topic]) == sorted(LANGUAGES), topic
        assert store.facts[topic].facts, topic


def test_real_content_is_due_for_a_re_check_when_its_review_date_passes(store) -> None:  # type: ignore[no-untyped-def]
    assert content_warnings(store, today=TODAY) == []
    late = dt.date(2027, 7, 1)
    due = [w for w in content_warnings(store, today=late) if "due for a re-check" in w]
    expected = sum(
        1
        for by_language in store.items.values()
        for item in by_language.values()
        if store.expiry(item) < late
    )
    assert len(due) == expected > 0
    assert get_topic(store=store, topic="housing_costs", language="ar", today=late).outdated is True


def test_nothing_claims_a_review_that_did_not_happen(store) -> None:  # type: ignore[no-untyped-def]
    for topic, by_language in store.items.items():
        for language, item in by_language.items():
            assert item.reviewed is None
            if language in ("de", "en"):
                assert not item.machine_translated and item.translation_of is None
            else:
                assert item.machine_translated and item.unreviewed_translation, (topic, language)
                assert item.translation_of is not None and item.translation_of.language == "en"


def test_translations_are_not_english_copies(store) -> None:  # type: ignore[no-untyped-def]
    for topic, by_language in store.items.items():
        english = by_language["en"]
        for language, item in by_language.items():
            if language == "en":
                continue
            assert item.title != english.title, (topic, language)
            assert item.summary != english.summary, (topic, language)
            assert len(item.body) == len(english.body), (topic, language)


ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
ETHIOPIC = re.compile(r"[\u1200-\u137f]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@pytest.mark.parametrize(
    ("languages", "script"),
    [
        (("ar", "fa", "fa_AF", "ps"), ARABIC_SCRIPT),
        (("ti",), ETHIOPIC),
        (("uk", "ru"), CYRILLIC),
    ],
)
def test_texts_are_written_in_their_languages_script(store, languages, script) -> None:  # type: ignore[no-untyped-def]
    for by_language in store.items.values():
        for language in languages:
            item = by_language[language]
            for text in (item.title, item.summary, *item.body):
                assert script.search(text), (item.topic, language, text)


def test_official_german_terms_stay_beside_translations(store) -> None:  # type: ignore[no-untyped-def]
    """So a client can match the word on a letter: the German terms appear in every language."""
    for language in LANGUAGES:
        assert "Grundsicherungsgeld" in store.items["grundsicherungsgeld"][language].title
        authorities = " ".join(store.items["authorities"][language].body)
        for term in ("Jobcenter", "Sozialamt", "Ausländerbehörde", "BAMF", "Familienkasse"):
            assert term in authorities, (language, term)
        assert "Widerspruch" in store.items["objection"][language].title


def test_privacy_notice_says_it_is_an_assistant_and_has_both_optional_scopes(store) -> None:  # type: ignore[no-untyped-def]
    for language in LANGUAGES:
        notice = store.items["privacy_notice"][language]
        assert notice.scopes is not None
        assert [scope.id for scope in notice.scopes] == ["foreigners_authority", "social_welfare"]
        assert notice.version == store.items["privacy_notice"]["de"].version
    assert "automatischen Assistenten" in store.items["privacy_notice"]["de"].summary
    assert "automated assistant" in store.items["privacy_notice"]["en"].summary


def test_reform_of_july_2026_is_reflected(store) -> None:  # type: ignore[no-untyped-def]
    def summary(topic: str, language: str) -> str:
        return get_topic(store=store, topic=topic, language=language, today=TODAY).summary

    assert "1. Juli 2026" in summary("grundsicherungsgeld", "de") and "Bürgergeld" in summary(
        "grundsicherungsgeld", "de"
    )
    for topic in ("missed_appointment", "duties"):
        assert "1. Juli 2026" in summary(topic, "de"), topic
        assert "July 1, 2026" in summary(topic, "en"), topic
    assert "Neue Grundsicherung" in summary("housing_costs", "de")
    # the old flat rule for missed appointments is gone; the staged rule is said without unverified
    # numbers
    assert "10" not in summary("missed_appointment", "de") and "gestuft" in summary(
        "missed_appointment", "de"
    )


def test_content_never_decides_eligibility(store) -> None:  # type: ignore[no-untyped-def]
    assert "entscheidet" in store.items["eligibility"]["de"].summary
    assert "decides" in store.items["eligibility"]["en"].summary


# --- broken copies -------------------------------------------------------------------------------


def test_a_missing_language_file_fails(content_copy: Path) -> None:
    (content_copy / "topics" / "housing_costs" / "ti.yml").unlink()
    assert problems(content_copy) == ["topics/housing_costs/ti.yml: missing"]


def test_a_missing_topic_fails(content_copy: Path) -> None:
    import shutil

    shutil.rmtree(content_copy / "topics" / "objection")
    found = problems(content_copy)
    assert len(found) == len(LANGUAGES) + 1 and all(
        p.startswith("topics/objection/") for p in found
    )  # + facts.yml


def test_a_topic_not_in_the_config_fails(content_copy: Path) -> None:
    import shutil

    shutil.copytree(content_copy / "topics" / "objection", content_copy / "topics" / "extra_topic")
    for path in (content_copy / "topics" / "extra_topic").glob("*.yml"):
        edit(path, topic="extra_topic")
    assert problems(content_copy) == ["topics/extra_topic: not listed in content/config.yml"]


def test_no_sources_fails(content_copy: Path) -> None:
    edit(content_copy / "topics" / "duties" / "de.yml", sources=[])
    found = problems(content_copy)
    assert any(p.startswith("topics/duties/de.yml: schema: sources") for p in found), found


def test_an_unofficial_source_fails(content_copy: Path) -> None:
    edit(
        content_copy / "topics" / "duties" / "en.yml",
        sources=[{"title": "A blog", "url": "https://www.example-blog.de/buergergeld"}],
    )
    assert problems(content_copy) == [
        "topics/duties/en.yml: source https://www.example-blog.de/buergergeld is not an https URL "
        "of an official site in config.yml"
    ]


def test_plain_http_source_fails(content_copy: Path) -> None:
    edit(
        content_copy / "topics" / "duties" / "en.yml",
        sources=[{"title": "SGB II", "url": "http://www.gesetze-im-internet.de/sgb_2/"}],
    )
    assert len(problems(content_copy)) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": ...}, "schema: title: Field required"),
        ({"summary": ""}, "schema: summary"),
        ({"body": []}, "schema: body"),
        ({"valid_as_of": "yesterday"}, "schema: valid_as_of"),
        ({"surprise": 1}, "schema: surprise: Extra inputs are not permitted"),
        ({"reviewed": ...}, "schema: reviewed: Field required"),
    ],
)
def test_schema_violations_fail(
    content_copy: Path, change: dict[str, object], expected: str
) -> None:
    edit(content_copy / "topics" / "applying" / "fr.yml", **change)
    found = problems(content_copy)
    assert any(p.startswith("topics/applying/fr.yml: " + expected) for p in found), found


def test_invalid_yaml_fails(content_copy: Path) -> None:
    (content_copy / "topics" / "applying" / "so.yml").write_text(
        "topic: [unclosed\n", encoding="utf-8"
    )
    found = problems(content_copy)
    assert any(p.startswith("topics/applying/so.yml: not valid YAML") for p in found), found


def test_file_in_the_wrong_place_fails(content_copy: Path) -> None:
    edit(content_copy / "topics" / "applying" / "tr.yml", language="ku")
    found = problems(content_copy)
    assert "topics/applying/tr.yml: missing" in found
    assert any("the path says otherwise" in p for p in found)


def test_content_older_than_allowed_is_due_for_a_re_check(content_copy: Path) -> None:
    edit(
        content_copy / "topics" / "housing_costs" / "de.yml",
        valid_as_of="2025-01-10",
        review_by=...,
    )
    assert problems(content_copy) == []
    assert content_warnings(load_store(content_copy), today=TODAY) == [
        "topics/housing_costs/de.yml: due for a re-check since 2025-07-12 (valid_as_of 2025-01-10)"
    ]


def test_valid_as_of_in_the_future_fails(content_copy: Path) -> None:
    edit(content_copy / "topics" / "housing_costs" / "en.yml", valid_as_of="2026-12-24")
    assert "topics/housing_costs/en.yml: valid_as_of 2026-12-24 is in the future" in problems(
        content_copy
    )


def test_translation_behind_its_source_fails(content_copy: Path) -> None:
    version = load_store(content_copy).items["missed_appointment"]["en"].version
    for language in ("de", "en"):
        edit(
            content_copy / "topics" / "missed_appointment" / f"{language}.yml", version=version + 1
        )
    found = problems(content_copy)
    assert len(found) == len(LANGUAGES) - 2
    assert (
        f"topics/missed_appointment/ar.yml: translated from version {version}, the en text is "
        f"version {version + 1}"
    ) in found


def test_unreviewed_flag_must_be_honest(content_copy: Path) -> None:
    edit(content_copy / "topics" / "free_advice" / "ps.yml", unreviewed_translation=False)
    assert problems(content_copy) == [
        "topics/free_advice/ps.yml: unreviewed_translation must be true exactly when reviewed is "
        "null"
    ]


def test_a_reviewed_translation_passes(content_copy: Path) -> None:
    edit(
        content_copy / "topics" / "free_advice" / "ps.yml",
        unreviewed_translation=False,
        reviewed={"by": "Sprachmittler, Jobcenter Dortmund", "on": "2026-11-20"},
    )
    assert problems(content_copy) == []
    assert load_store(content_copy).items["free_advice"]["ps"].reviewed is not None


def test_privacy_notice_without_scopes_fails(content_copy: Path) -> None:
    edit(content_copy / "topics" / "privacy_notice" / "uk.yml", scopes=...)
    assert problems(content_copy) == [
        "topics/privacy_notice/uk.yml: topic privacy_notice needs `scopes`"
    ]


def test_source_language_cannot_claim_to_be_a_translation(content_copy: Path) -> None:
    edit(content_copy / "topics" / "applying" / "de.yml", machine_translated=True)
    assert problems(content_copy) == [
        "topics/applying/de.yml: a source language text cannot be a translation"
    ]


def test_the_check_cli_fails_on_a_broken_copy(content_copy: Path) -> None:
    (content_copy / "topics" / "applying" / "ar.yml").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_api.content.check", "--content", str(content_copy)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "ERROR topics/applying/ar.yml: missing" in result.stdout
