"""The catalog tooling: extract, update, compile and the check that guards the catalogs in `make
test`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_api import i18n
from tests.i18n.conftest import WriteCatalog
from tools import i18n_tools as tools

PROJECT = Path(__file__).resolve().parents[2]
KIOSK_SOURCES = tools.EXTRACT_SOURCES[
    "kiosk"
]  # before the fixture below swaps it for an empty tree
ENGLISH = {"greeting": "Hello {name}", "bye": "Goodbye", "count": ("%(n)s item", "%(n)s items")}
GERMAN = {
    "greeting": "Hallo {name}",
    "bye": "Tschüss",
    "count": ("%(n)s Eintrag", "%(n)s Einträge"),
}
ARABIC = {
    "greeting": "مرحبا {name}",
    "bye": "مع السلامة",
    "count": ("%(n)s", "%(n)s", "%(n)s", "%(n)s", "%(n)s", "%(n)s"),
}


@pytest.fixture(autouse=True)
def no_source_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates come from an empty source tree unless a test writes one (see `source`)."""
    empty = tmp_path / "empty-src"
    empty.mkdir()
    monkeypatch.setitem(tools.EXTRACT_SOURCES, "kiosk", empty)


@pytest.fixture
def good(locales_dir: Path, write_catalog: WriteCatalog) -> Path:
    """A catalog set that passes: en, de complete, ar complete, every other language an empty
    catalog."""
    write_catalog("en", ENGLISH)
    write_catalog("de", GERMAN)
    write_catalog("ar", ARABIC)
    for language in i18n.language_codes(locales_dir):
        if language not in {"en", "de", "ar"}:
            write_catalog(language, {})
    return locales_dir


def errors(locales_dir: Path, **kwargs: object) -> list[str]:
    return tools.check(locales_dir, ["kiosk"], **kwargs).errors  # type: ignore[arg-type]


def test_the_tool_lives_outside_the_service_and_reads_the_service_source() -> None:
    assert KIOSK_SOURCES == PROJECT / "kiosk_api"
    assert (KIOSK_SOURCES / "main.py").is_file()


def test_real_catalogs_pass_the_check_through_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.i18n_tools", "check"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_a_good_catalog_set_passes_and_untranslated_draft_languages_are_warnings(
    good: Path,
) -> None:
    report = tools.check(good, ["kiosk"])
    assert report.errors == []
    assert any("fr/LC_MESSAGES/kiosk.po: missing entry bye" in w for w in report.warnings)


def test_strict_mode_requires_every_language(good: Path) -> None:
    assert any(
        "fr/LC_MESSAGES/kiosk.po: missing entry greeting" in e for e in errors(good, strict=True)
    )


def test_fuzzy_entry_fails(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("ar", ARABIC, fuzzy={"bye"})
    assert errors(good) == ["ar/LC_MESSAGES/kiosk.po: fuzzy entry bye"]


def test_empty_entry_in_german_fails(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("de", {**GERMAN, "bye": ""})
    assert errors(good) == ["de/LC_MESSAGES/kiosk.po: empty entry bye"]


def test_a_key_only_in_german_is_stale_because_english_is_the_source(
    good: Path, write_catalog: WriteCatalog
) -> None:
    write_catalog("de", {**GERMAN, "extra": "Nur auf Deutsch"})
    assert errors(good) == [
        "de/LC_MESSAGES/kiosk.po: stale entry extra (not in template nor en catalog)"
    ]


def test_missing_entry_in_german_fails(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("de", {k: v for k, v in GERMAN.items() if k != "bye"})
    assert errors(good) == ["de/LC_MESSAGES/kiosk.po: missing entry bye"]


def test_missing_entry_in_a_language_marked_complete_fails(good: Path) -> None:
    yml = good / "languages.yml"
    yml.write_text(
        yml.read_text(encoding="utf-8").replace(
            '  tr:\n    babel: tr\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: '
            "[]",
            '  tr:\n    babel: tr\n    plural_forms: "nplurals=2; plural=(n != 1);"\n    complete: '
            "[kiosk]",
        ),
        encoding="utf-8",
    )
    i18n.reload_catalogs()
    assert "tr/LC_MESSAGES/kiosk.po: missing entry greeting" in errors(good)


def test_stale_entry_fails(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("ar", {**ARABIC, "removed.key": "قديم"})
    assert errors(good) == [
        "ar/LC_MESSAGES/kiosk.po: stale entry removed.key (not in template nor en catalog)"
    ]


def test_obsolete_entry_fails(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("ar", ARABIC, obsolete={"old.key": "قديم"})
    assert errors(good) == ["ar/LC_MESSAGES/kiosk.po: stale (obsolete) entry old.key"]


@pytest.mark.parametrize("wrong", ["مرحبا {nom}", "مرحبا", "مرحبا {name} {name2}"])
def test_placeholder_differing_from_english_fails(
    good: Path, write_catalog: WriteCatalog, wrong: str
) -> None:
    write_catalog("ar", {**ARABIC, "greeting": wrong})
    found = errors(good)
    assert len(found) == 1 and "greeting placeholders" in found[0]


def test_percent_placeholder_in_plural_forms_is_checked(
    good: Path, write_catalog: WriteCatalog
) -> None:
    write_catalog("de", {**GERMAN, "count": ("%(n)s Eintrag", "%(m)s Einträge")})
    assert any("count placeholders" in e for e in errors(good))


def test_escaped_braces_are_not_placeholders() -> None:
    assert tools.placeholders("{{literal}} and {real} and %(also)s") == {"real", "also"}


def test_wrong_plural_header_fails(good: Path) -> None:
    path = good / "ar" / "LC_MESSAGES" / "kiosk.po"
    text = path.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms:')
    end = text.index('"MIME-Version')
    path.write_text(
        text[:start] + '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n' + text[end:],
        encoding="utf-8",
    )
    found = errors(good)
    assert any("differs from languages.yml" in e for e in found), found
    assert any("plural rules: nplurals=2, CLDR has 6 forms" in e for e in found)


def test_cldr_check_catches_a_subtly_wrong_arabic_rule() -> None:
    # Babel's own table puts 100-102 in form 4 ("many"); CLDR says they are "other".
    babel_rule = (
        "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
        ": n%100>=0 && n%100<=2 ? 4 : 5);"
    )
    problem = tools.cldr_plural_mismatch(babel_rule, "ar")
    assert problem is not None and "n=11" in problem


def test_every_configured_plural_rule_matches_cldr() -> None:
    for language in i18n.languages():
        assert tools.cldr_plural_mismatch(language.plural_forms, language.babel_locale) is None, (
            language.code
        )


def test_language_without_plural_header_fails(good: Path) -> None:
    path = good / "so" / "LC_MESSAGES" / "kiosk.po"
    text = path.read_text(encoding="utf-8")
    lines = [
        line
        for line in text.splitlines()
        if "Plural-Forms" not in line and not line.startswith('"n%')
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert any(e.startswith("so/LC_MESSAGES/kiosk.po: plural rules") for e in errors(good))


def test_missing_catalog_and_unknown_language_fail(good: Path, write_catalog: WriteCatalog) -> None:
    (good / "ti" / "LC_MESSAGES" / "kiosk.po").unlink()
    stray = good / "xx" / "LC_MESSAGES"
    stray.mkdir(parents=True)
    (stray / "kiosk.po").write_bytes((good / "so" / "LC_MESSAGES" / "kiosk.po").read_bytes())
    found = errors(good)
    assert "ti/LC_MESSAGES/kiosk.po: catalog missing (run make catalogs-update)" in found
    assert "xx/LC_MESSAGES/kiosk.po: catalog for a language not in languages.yml" in found


@pytest.mark.parametrize("content", [b"garbage line here\n", b'msgid "a"\n', b"\xff\xfe not utf-8"])
def test_broken_file_is_reported_not_crashing(good: Path, content: bytes) -> None:
    (good / "fr" / "LC_MESSAGES" / "kiosk.po").write_bytes(content)
    assert any(e.startswith("fr/LC_MESSAGES/kiosk.po: does not parse") for e in errors(good))


def test_check_covers_every_domain_present(good: Path, write_catalog: WriteCatalog) -> None:
    write_catalog("en", {"utter_greet": "Hi"}, domain="bot")
    write_catalog("de", {"utter_greet": "Hallo"}, domain="bot", fuzzy={"utter_greet"})
    report = tools.check(good)
    assert "de/LC_MESSAGES/bot.po: fuzzy entry utter_greet" in report.errors
    assert any(e.startswith("ar/LC_MESSAGES/bot.po: catalog missing") for e in report.errors)


def test_cli_exit_code_reflects_errors(good: Path, write_catalog: WriteCatalog) -> None:
    assert tools.main(["check", "--locales", str(good)]) == 0
    write_catalog("ar", ARABIC, fuzzy={"greeting"})
    assert tools.main(["check", "--locales", str(good)]) == 1


# --- extract, update, compile --------------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "views.py").write_text(
        "from kiosk_api.i18n import t, nt\n"
        "def view(locale, n):\n"
        "    a = t('error.slot_full', locale)\n"
        "    b = nt('queue.people_waiting', n, locale)\n"
        "    c = translate_something('not.a.key')\n"
        "    d = translate('common.yes' if n else 'common.no', locale)\n"
        "    e = translate(f'error.{n}', locale)  # built at run time: lives in the en catalog\n"
        "    return t(\"kiosk.start.title\", locale, name='x')\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(tools.EXTRACT_SOURCES, "kiosk", src)
    return src


def test_extract_finds_t_and_nt_calls_only(source: Path, locales_dir: Path) -> None:
    assert tools.main(["extract", "--locales", str(locales_dir)]) == 0
    template = i18n.read_catalog(locales_dir / "kiosk.pot")
    ids = {m.id if isinstance(m.id, str) else m.id for m in template if m.id}
    assert ids == {
        "error.slot_full",
        "kiosk.start.title",
        "common.yes",
        "common.no",
        ("queue.people_waiting", "queue.people_waiting"),
    }


def test_update_creates_every_language_with_its_plural_rules_and_keeps_translations(
    source: Path, locales_dir: Path, write_catalog: WriteCatalog
) -> None:
    write_catalog("en", {"error.slot_full": "This slot is full."})
    assert tools.main(["update", "--locales", str(locales_dir)]) == 0
    for language in i18n.languages(locales_dir):
        catalog = i18n.read_catalog(i18n.catalog_path(locales_dir, language.code, "kiosk"))
        header = dict(catalog.mime_headers)["Plural-Forms"]
        assert tools._normalize_plural(header) == tools._normalize_plural(language.plural_forms)
        keys = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert keys == {
            "error.slot_full",
            "kiosk.start.title",
            "queue.people_waiting",
            "common.yes",
            "common.no",
        }
    en = i18n.read_catalog(i18n.catalog_path(locales_dir, "en", "kiosk"))
    assert en["error.slot_full"].string == "This slot is full."
    # a second run changes nothing
    before = {p: p.read_bytes() for p in locales_dir.rglob("*.po*")}
    tools.main(["update", "--locales", str(locales_dir)])
    assert {p: p.read_bytes() for p in locales_dir.rglob("*.po*")} == before


def test_update_removes_keys_gone_from_the_code(
    source: Path, locales_dir: Path, write_catalog: WriteCatalog
) -> None:
    tools.main(["update", "--locales", str(locales_dir)])
    write_catalog(
        "ar",
        {
            "error.slot_full": "الموعد ممتلئ",
            "kiosk.start.title": "ابدأ",
            "queue.people_waiting": ("a", "b", "c", "d", "e", "f"),
        },
    )
    (source / "views.py").write_text(
        "from kiosk_api.i18n import t\nx = t('kiosk.start.title', 'de')\n", encoding="utf-8"
    )
    tools.main(["update", "--locales", str(locales_dir)])
    ar = i18n.read_catalog(i18n.catalog_path(locales_dir, "ar", "kiosk"))
    assert [m.id for m in ar if m.id] == ["kiosk.start.title"]
    assert ar["kiosk.start.title"].string == "ابدأ"
    assert not ar.obsolete


def test_check_sees_a_key_used_in_code_but_missing_in_the_catalogs(
    source: Path, locales_dir: Path
) -> None:
    tools.main(["update", "--locales", str(locales_dir)])
    found = errors(locales_dir)
    assert "en/LC_MESSAGES/kiosk.po: empty entry error.slot_full" in found
    assert "de/LC_MESSAGES/kiosk.po: empty entry kiosk.start.title" in found


def test_compile_writes_mo_files_and_tolerates_no_catalogs(good: Path, tmp_path: Path) -> None:
    assert tools.main(["compile", "--locales", str(good)]) == 0
    assert (good / "ar" / "LC_MESSAGES" / "kiosk.mo").stat().st_size > 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert tools.main(["compile", "--locales", str(empty)]) == 0
