"""Runtime lookup, fallback, language data and locale formatting of kiosk_api.i18n."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_api import i18n
from tests.i18n.conftest import WriteCatalog

ENABLED = ["de", "en", "ar", "fa", "fa_AF", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so"]


# --- languages -----------------------------------------------------------------------------------


def test_enabled_languages_are_the_agreed_list_in_order() -> None:
    assert i18n.language_codes() == ENABLED


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("ar", "العربية"),
        ("fa", "فارسی"),
        ("fa_AF", "دری"),
        ("tr", "Türkçe"),
        ("ti", "ትግርኛ"),
        ("ps", "پښتو"),
        ("uk", "українська"),
        ("ru", "русский"),
        ("so", "Soomaali"),
        ("ku", "Kurdî (Kurmancî)"),
        ("de", "Deutsch"),
        ("fr", "français"),
    ],
)
def test_native_names_come_from_cldr_or_the_data_file(code: str, name: str) -> None:
    assert i18n.native_name(code) == name


def test_every_language_has_names_direction_and_plural_rules() -> None:
    for language in i18n.languages():
        assert language.native_name and language.english_name
        assert language.direction in {"ltr", "rtl"}
        assert language.plural_forms.startswith("nplurals=")


@pytest.mark.parametrize("code", ["ar", "fa", "fa_AF", "ps", "ckb", "fa-AF"])
def test_right_to_left_languages(code: str) -> None:
    assert i18n.direction(code) == "rtl"


@pytest.mark.parametrize("code", ["de", "en", "fr", "tr", "ku", "ti", "uk", "ru", "so"])
def test_left_to_right_languages(code: str) -> None:
    assert i18n.direction(code) == "ltr"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(i18n.UnknownLanguage):
        i18n.direction("xx-invalid-123")
    assert not i18n.is_supported("xx")
    assert not i18n.is_supported("")
    assert not i18n.is_supported(None)


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("fa-AF", "fa_AF"),
        ("FA_af", "fa_AF"),
        ("prs", "fa_AF"),
        ("ar-SY", "ar"),
        ("de-AT", "de"),
        ("kmr", "ku"),
        ("fa-IR", "fa"),
        ("uk-UA", "uk"),
        ("en", "en"),
    ],
)
def test_codes_are_normalized(tag: str, code: str) -> None:
    assert i18n.normalize_code(tag) == code
    assert i18n.is_supported(tag)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-AF,fa;q=0.8,en;q=0.5", "fa_AF"),
        ("ar-SY,ar;q=0.9", "ar"),
        ("xx, en;q=0.1", "en"),
        ("de-AT;q=0.2, so;q=0.9", "so"),
        ("en;q=0, tr", "tr"),
        ("*", "de"),
        ("", "de"),
        (None, "de"),
        (";;;,q=,,x-y-z;q=abc", "de"),
        ("ti;q=0.5, ps;q=0.5", "ti"),
    ],
)
def test_negotiate_accept_language(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_negotiate_never_fails_and_always_returns_an_enabled_language(header: str) -> None:
    assert i18n.negotiate(header) in ENABLED


def test_language_names_for_the_desk() -> None:
    assert i18n.language_name("ar", "de") == "Arabisch"
    assert i18n.language_name("fa_AF", "en") == "Dari"
    assert i18n.language_name("ku", "en") == "Kurdish (Kurmanji)"


# --- catalog lookup and fallback -----------------------------------------------------------------


@pytest.fixture
def catalogs(
    locales_dir: Path, write_catalog: WriteCatalog, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("LOTSE_LOCALES_DIR", str(locales_dir))
    write_catalog(
        "en",
        {
            "greeting": "Hello {name}",
            "only.en": "English only",
            "files": ("{n} file", "{n} files"),
            "common.text_unavailable": "Text not available",
        },
    )
    write_catalog(
        "de",
        {
            "greeting": "Hallo {name}",
            "only.en": "Nur Englisch",
            "only.de": "Nur Deutsch",
            "files": ("{n} Datei", "{n} Dateien"),
            "common.text_unavailable": "Text nicht verfügbar",
        },
    )
    write_catalog(
        "ar",
        {
            "greeting": "مرحبا {name}",
            "fuzzy.key": "نص غير مؤكد",
            "files": ("لا ملفات", "ملف واحد", "ملفان", "{n} ملفات", "{n} ملفًا", "{n} ملف"),
        },
        fuzzy={"fuzzy.key"},
    )
    write_catalog("fa", {"greeting": "سلام {name}"})
    return locales_dir


def test_translation_in_the_clients_language_with_parameters(catalogs: Path) -> None:
    assert i18n.translate("greeting", "ar", name="Lina") == "مرحبا Lina"
    text = i18n.translate_text("greeting", "ar", name="Lina")
    assert (text.language, text.is_fallback) == ("ar", False)


def test_missing_text_falls_back_visibly_to_english_then_german(catalogs: Path) -> None:
    english = i18n.translate_text("only.en", "ar")
    assert (english.text, english.language, english.is_fallback) == ("English only", "en", True)
    german = i18n.translate_text("only.de", "ar")
    assert (german.text, german.language) == ("Nur Deutsch", "de")


def test_dari_falls_back_to_persian_before_english(catalogs: Path) -> None:
    text = i18n.translate_text("greeting", "fa_AF", name="Ali")
    assert (text.text, text.language) == ("سلام Ali", "fa")


def test_fuzzy_entries_are_never_shown(catalogs: Path) -> None:
    text = i18n.translate_text("fuzzy.key", "ar")
    assert text.text != "نص غير مؤكد"


def test_a_key_without_any_text_never_shows_the_raw_key(catalogs: Path) -> None:
    with pytest.raises(i18n.MissingTranslation):
        i18n.lookup("no.such.key", "ar")
    assert i18n.translate("no.such.key", "ar") == "Text not available"
    assert i18n.translate("no.such.key", "de") == "Text nicht verfügbar"


def test_without_catalogs_the_last_resort_is_not_the_key(
    locales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOTSE_LOCALES_DIR", str(locales_dir))
    result = i18n.translate("error.slot_full", "ar")
    assert result and "error.slot_full" not in result and "slot" not in result


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "لا ملفات"),
        (1, "ملف واحد"),
        (2, "ملفان"),
        (3, "3 ملفات"),
        (10, "10 ملفات"),
        (11, "11 ملفًا"),
        (99, "99 ملفًا"),
        (100, "100 ملف"),
        (102, "102 ملف"),
        (103, "103 ملفات"),
    ],
)
def test_arabic_plural_forms_follow_cldr(catalogs: Path, n: int, expected: str) -> None:
    assert i18n.translate_plural("files", n, "ar") == expected


def test_german_plural_and_fallback_plural(catalogs: Path) -> None:
    assert i18n.translate_plural("files", 1, "de") == "1 Datei"
    assert i18n.translate_plural("files", 5, "de") == "5 Dateien"
    assert i18n.translate_plural("files", 5, "tr") == "5 files"  # no tr catalog: en


def test_missing_parameter_keeps_the_placeholder_instead_of_crashing(catalogs: Path) -> None:
    assert i18n.translate("greeting", "de") == "Hallo {name}"


def test_compiled_catalog_is_used_and_a_newer_po_wins(
    catalogs: Path, write_catalog: WriteCatalog
) -> None:
    from tools.i18n_tools import cmd_compile

    cmd_compile(catalogs, ["kiosk"])
    assert (catalogs / "ar" / "LC_MESSAGES" / "kiosk.mo").exists()
    assert i18n.translate("greeting", "ar", name="A") == "مرحبا A"
    path = write_catalog("ar", {"greeting": "أهلا {name}"})
    import os

    mo = catalogs / "ar" / "LC_MESSAGES" / "kiosk.mo"
    os.utime(path, (mo.stat().st_mtime + 5, mo.stat().st_mtime + 5))
    assert i18n.translate("greeting", "ar", name="A") == "أهلا A"


def test_every_key_of_the_real_catalogs_has_text_in_every_language() -> None:
    """The real catalogs: no key shows as a raw key or an 'unavailable' text in any enabled
    language."""
    from tools.i18n_tools import discover_domains, effective_keys

    i18n.reload_catalogs()
    for domain in discover_domains(i18n.DEFAULT_LOCALES_DIR):
        for key in effective_keys(domain, i18n.DEFAULT_LOCALES_DIR):
            for language in ENABLED:
                text = i18n.lookup(key, language, domain, locales_dir=i18n.DEFAULT_LOCALES_DIR)
                assert text.text and text.text != key


# --- formatting ----------------------------------------------------------------------------------

DAY = dt.date(2026, 11, 24)


def test_arabic_uses_arabic_indic_digits() -> None:
    assert i18n.format_number(1234.5, "ar") == "١٬٢٣٤٫٥"
    assert i18n.format_date(DAY, "ar") == "٢٤ نوفمبر ٢٠٢٦"
    assert "٥٦٣٫٠٠" in i18n.format_currency(563, "ar")


def test_persian_pashto_and_dari_use_extended_arabic_indic_digits() -> None:
    assert i18n.format_number(1234.5, "fa") == "۱٬۲۳۴٫۵"
    assert i18n.format_date(DAY, "fa") == "۲۴ نوامبر ۲۰۲۶"
    assert i18n.format_time(dt.time(9, 30), "fa") == "۹:۳۰"
    for code in ("ps", "fa_AF"):
        assert set(i18n.format_number(2026, code)) <= set("۰۱۲۳۴۵۶۷۸۹٬")


def test_european_locales() -> None:
    assert i18n.format_number(1234.5, "de") == "1.234,5"
    assert i18n.format_currency(563, "de") == "563,00\xa0€"
    assert i18n.format_currency(563, "en") == "€563.00"
    assert i18n.format_date(DAY, "de") == "24. November 2026"
    assert i18n.format_date(DAY, "uk") == "24 листопада 2026\u202fр."
    for code in ("de", "en", "fr", "tr", "ku", "ti", "uk", "ru", "so"):
        assert (
            i18n.format_number(2026, code)
            .replace(".", "")
            .replace(",", "")
            .replace("\u202f", "")
            .replace("\xa0", "")
            == "2026"
        )


def test_datetimes_are_shown_on_the_job_centres_clock() -> None:
    utc_morning = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    assert i18n.format_datetime(utc_morning, "de", format="short") == "24.11.26, 10:30"
    summer = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)
    assert i18n.format_time(summer, "de") == "11:30"


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("٠١٧٦ ٢٣٤٥", 1762345),
        ("۱۲۳", 123),
        ("123", 123),
        ("١٢٣", 123),
        (" 42 ", 42),
        ("-٥", -5),
        ("\u200f٣٣", 33),
    ],
)
def test_parse_int_accepts_western_and_eastern_arabic_digits(typed: str, value: int) -> None:
    assert i18n.parse_int(typed) == value


@pytest.mark.parametrize("typed", ["", "abc", "1.5", "١a", "--1"])
def test_parse_int_rejects_non_numbers(typed: str) -> None:
    with pytest.raises(ValueError):
        i18n.parse_int(typed)


@pytest.mark.parametrize(
    ("typed", "locale", "value"),
    [
        ("١٬٢٣٤٫٥", "ar", "1234.5"),
        ("1234.5", "ar", "1234.5"),
        ("۱۲٫۵", "fa", "12.5"),
        ("1.234,5", "de", "1234.5"),
        ("12,5", "de", "12.5"),
        ("1 234,5", "fr", "1234.5"),
        ("12.5", "en", "12.5"),
    ],
)
def test_parse_number_in_the_locales_notation(typed: str, locale: str, value: str) -> None:
    assert i18n.parse_number(typed, locale) == Decimal(value)


@pytest.mark.parametrize(
    "typed",
    ["٢٤/١١/٢٠٢٦", "24.11.2026", "2026-11-24", "۲۴-۱۱-۲۰۲۶", "24 / 11 / 2026", "٢٠٢٦/١١/٢٤"],
)
def test_parse_date_in_any_digits(typed: str) -> None:
    assert i18n.parse_date(typed) == DAY


@pytest.mark.parametrize("typed", ["", "31.02.2026", "24.11.26", "tomorrow", "2026-13-01"])
def test_parse_date_rejects_impossible_or_ambiguous_input(typed: str) -> None:
    with pytest.raises(ValueError):
        i18n.parse_date(typed)


@given(
    value=st.decimals(
        min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False
    ),
    language=st.sampled_from(ENABLED),
)
@settings(max_examples=300, deadline=None)
def test_formatted_numbers_parse_back_in_every_language(value: Decimal, language: str) -> None:
    assert i18n.parse_number(i18n.format_number(value, language), language) == value
