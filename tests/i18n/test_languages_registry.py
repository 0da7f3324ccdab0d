"""lotse_shared.languages: the one registry of languages (locales/languages.yml + CLDR) kiosk API
and bot share."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotse_shared import languages
from lotse_shared.residence import RESIDENCE_STATUSES

ALL = ("de", "en", "ar", "fa", "fa_AF", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so")


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    languages.reload()


# --- codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("prs", "fa_AF"),
        ("PRS", "fa_AF"),
        ("fa-AF", "fa_AF"),
        ("fa_af", "fa_AF"),
        ("FA-af", "fa_AF"),
        ("fa-IR", "fa"),
        ("fa_IR", "fa"),
        ("fa", "fa"),
        ("kmr", "ku"),
        ("pus", "ps"),
        ("tir", "ti"),
        ("som", "so"),
        ("de-AT", "de"),
        ("ar-SY", "ar"),
        ("AR_sy", "ar"),
        ("en_GB", "en"),
        (" en ", "en"),
        ("uk-UA", "uk"),
        ("fa-Arab-AF", "fa_AF"),
        ("EN", "en"),
    ],
)
def test_aliases_case_separators_and_regions_are_normalized(tag: str, code: str) -> None:
    assert languages.normalize(tag) == code
    for part in languages.PARTS:
        assert languages.normalize(tag, part) == code


@pytest.mark.parametrize(
    "tag", [None, "", "   ", "xx", "ckb", "he", "12", "-en", "x-de", "zz_AF", "deutsch"]
)
def test_unknown_codes_normalize_to_none(tag: str | None) -> None:
    assert languages.normalize(tag) is None
    assert languages.normalize(tag, "bot") is None


def test_unknown_codes_are_refused_or_fall_back() -> None:
    with pytest.raises(languages.UnknownLanguage):
        languages.get_language("xx")
    for function in (
        languages.direction,
        languages.numbering,
        languages.babel_locale,
        languages.native_name,
        languages.english_name,
    ):
        with pytest.raises(languages.UnknownLanguage):
            function("xx-invalid-123")
    assert issubclass(languages.UnknownLanguage, ValueError)
    assert languages.fallback_chain("xx") == ["en", "de"]
    assert languages.fallback_chain(None) == ["en", "de"]
    assert languages.localize_digits("2026", "xx-invalid-123") == "2026"


def test_codes_outside_the_registry_are_looked_up_in_cldr() -> None:
    assert languages.direction("ckb") == "rtl"
    assert languages.direction("he") == "rtl"
    assert languages.numbering("ckb") == "arab"
    assert languages.english_name("ckb") == "Central Kurdish"


# --- fallback ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "chain"),
    [
        ("fa_AF", ["fa_AF", "fa", "en", "de"]),
        ("prs", ["fa_AF", "fa", "en", "de"]),
        ("fa-IR", ["fa", "en", "de"]),
        ("ar", ["ar", "en", "de"]),
        ("en", ["en", "de"]),
        ("de", ["de", "en"]),
        ("de-AT", ["de", "en"]),
    ],
)
def test_fallback_chain(code: str, chain: list[str]) -> None:
    assert languages.fallback_chain(code) == chain
    assert languages.fallback_chain(code, "bot") == chain
    assert languages.fallback_chain(code, "kiosk") == chain


def test_default_language() -> None:
    assert languages.default_language() == "de"


# --- direction, digits, names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("fa_AF", "rtl"),
        ("ps", "rtl"),
        ("ti", "ltr"),
        ("de", "ltr"),
        ("ku", "ltr"),
        ("prs", "rtl"),
        ("fa-AF", "rtl"),
    ],
)
def test_direction(code: str, expected: str) -> None:
    assert languages.direction(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ar", "arab"),  # set in languages.yml (CLDR's default for `ar` is latn)
        ("fa", "arabext"),
        ("fa_AF", "arabext"),
        ("ps", "arabext"),  # CLDR's defaults
        ("de", "latn"),
        ("en", "latn"),
        ("ti", "latn"),
    ],
)
def test_numbering(code: str, expected: str) -> None:
    assert languages.numbering(code) == expected


def test_localize_and_latinize_digits() -> None:
    assert languages.localize_digits("24.11.2026", "ar") == "٢٤.١١.٢٠٢٦"
    assert languages.localize_digits("24.11.2026", "fa") == "۲۴.۱۱.۲۰۲۶"
    assert languages.localize_digits("24.11.2026", "ps") == "۲۴.۱۱.۲۰۲۶"
    assert languages.localize_digits("24.11.2026", "de") == "24.11.2026"
    assert languages.to_numbering_system("10:30", "arab") == "١٠:٣٠"
    assert languages.to_numbering_system("10:30", "unknown") == "10:30"
    assert languages.to_latin_digits("٠١٧٦ ۲۳۴ ３ 5") == "0176 234 3 5"
    assert languages.to_latin_digits("abc") == "abc"
    for code in ALL:
        assert (
            languages.to_latin_digits(languages.localize_digits("0123456789", code)) == "0123456789"
        )


def test_names_and_babel_locales() -> None:
    assert languages.native_name("fa_AF") == "دری"
    assert languages.native_name("ar") == "العربية"
    assert languages.native_name("ku") == "Kurdî (Kurmancî)"
    assert languages.english_name("fa_AF") == "Dari"
    assert languages.english_name("ar") == "Arabic"
    assert languages.babel_locale("prs") == "fa_AF"
    assert languages.babel_locale("de-AT") == "de"


# --- served sets ---------------------------------------------------------------------------------


def test_served_sets() -> None:
    assert languages.served_by("kiosk") == ALL
    assert languages.served_by("content") == ALL
    assert languages.served_by("bot") == ALL
    with pytest.raises(ValueError):
        languages.served_by("desk")


def test_a_part_only_gets_the_languages_it_serves(tmp_path: Path) -> None:
    (tmp_path / "languages.yml").write_text(
        "default: de\nfallback: [en, de]\naliases:\n  prs: fa_AF\nlanguages:\n  de: {babel: de, "
        "plural_forms: 'nplurals=2; plural=(n != 1);', serves: [kiosk, bot, content]}\n  en: "
        "{babel: en, plural_forms: 'nplurals=2; plural=(n != 1);'}\n  fa: {babel: fa, "
        "plural_forms: 'nplurals=2; plural=(n > 1);', serves: [kiosk, bot], direction: ltr}\n  "
        "fa_AF: {babel: fa_AF, parent: fa, plural_forms: 'nplurals=2; plural=(n > 1);', serves: "
        "[bot]}\n",
        encoding="utf-8",
    )
    assert languages.served_by("kiosk", locales_dir=tmp_path) == ("de", "en", "fa")
    assert languages.served_by("bot", locales_dir=tmp_path) == ("de", "en", "fa", "fa_AF")
    assert languages.served_by("content", locales_dir=tmp_path) == ("de", "en")
    assert languages.normalize("prs", "bot", locales_dir=tmp_path) == "fa_AF"
    assert (
        languages.normalize("fa-AF", "kiosk", locales_dir=tmp_path) == "fa"
    )  # the region Lotse's kiosk lacks
    assert languages.normalize("prs", "kiosk", locales_dir=tmp_path) is None
    assert languages.fallback_chain("fa_AF", "bot", locales_dir=tmp_path) == [
        "fa_AF",
        "fa",
        "en",
        "de",
    ]
    assert languages.direction("fa", locales_dir=tmp_path) == "ltr"  # the file overrides CLDR


@pytest.mark.parametrize("bad", ["serves: [kiosks]", "direction: up"])
def test_bad_entries_are_refused(tmp_path: Path, bad: str) -> None:
    (tmp_path / "languages.yml").write_text(
        "default: de\nlanguages:\n  de:\n    plural_forms: 'nplurals=2; plural=(n != 1);'\n    "
        f"{bad}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError):
        languages.registry(tmp_path)


def test_the_registry_is_read_once() -> None:
    assert languages.registry() is languages.registry()


# --- residence statuses --------------------------------------------------------------------------


def test_kiosk_enum_and_bot_accept_the_same_residence_statuses() -> None:
    from bot.actions import validation  # plain Python: no Rasa needed
    from kiosk_api.models.enums import ResidenceStatus

    assert tuple(status.value for status in ResidenceStatus) == RESIDENCE_STATUSES
    assert ResidenceStatus.duldung == "duldung"
    assert validation.RESIDENCE_STATUSES == RESIDENCE_STATUSES
    assert [validation.residence_status(status) for status in RESIDENCE_STATUSES] == list(
        RESIDENCE_STATUSES
    )
