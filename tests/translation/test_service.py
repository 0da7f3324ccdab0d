"""Machine translation through real argostranslate packages (tiny hand-wired models), offline."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk_api import i18n
from kiosk_api.models import TranslationCacheEntry
from kiosk_api.translation import service
from kiosk_api.translation.provider import PackageInstallError
from tests.translation.argos_builder import build_argos_package
from tests.translation.lexicons import AR_DE, DE_AR, EN_DE, FA_EN


def cache_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TranslationCacheEntry)) or 0


def rendering(german: str, language: str) -> str:
    term = next(t for t in service.current_glossary().terms if t.german == german)
    found = term.rendering(language)
    assert found, f"glossary has no {language} rendering for {german}"
    return found


def test_package_runs_through_argostranslate_itself(
    packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    installed = service.install_packages(argos_files["ar_de"])

    assert [(p.source_language, p.target_language, p.package_version) for p in installed] == [
        ("ar", "de", "1.0")
    ]
    import argostranslate.translate

    assert (
        argostranslate.translate.translate("أحتاج موعدا", "ar", "de")
        == f"{AR_DE['أحتاج']} {AR_DE['موعدا']}"
    )


def test_client_text_into_german_keeps_original_and_label(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])

    result = service.translate_text(
        session=session, text="أحتاج موعدا شكرا", source_language="ar", target_language="de"
    )

    assert result.text == "brauche Termin danke"
    assert result.original == "أحتاج موعدا شكرا"
    assert (result.machine_translated, result.available, result.pivot_language) == (
        True,
        True,
        None,
    )
    assert result.notice_key == "translation.machine_translated"
    assert (result.source_language, result.target_language) == ("ar", "de")


def test_to_german_writes_the_notice_in_german_and_sends_only_what_the_desk_reads(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])

    shown = service.to_german(session=session, text="أحتاج موعدا", source_language="ar")
    missing = service.to_german(session=session, text="ሰላም", source_language="ti")

    assert shown is not None and (shown.text, shown.original, shown.machine_translated) == (
        "brauche Termin",
        "أحتاج موعدا",
        True,
    )
    assert shown.notice == i18n.translate(
        "translation.machine_translated", "de", source="ar", target="de"
    )
    assert missing is not None and missing.notice == i18n.translate(
        "translation.unavailable", "de", source="ti", target="de"
    )
    assert list(shown.model_dump()) == [
        "original",
        "text",
        "source_language",
        "target_language",
        "machine_translated",
        "available",
        "notice",
    ]
    assert service.to_german(session=session, text="", source_language="ar") is None


def test_words_outside_the_vocabulary_are_copied(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])

    result = service.translate_text(
        session=session, text="أحتاج Ahmad موعدا", source_language="ar", target_language="de"
    )

    assert result.text == "brauche Ahmad Termin"


def test_sentences_and_paragraphs_are_all_translated(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])

    result = service.translate_text(
        session=session,
        text="سلام. من کار میخواهم\nسلام.",
        source_language="fa",
        target_language="en",
    )

    assert result.text == "hello. I work want\nhello."


def test_pivot_through_english_when_no_direct_package(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])
    service.install_packages(argos_files["en_de"])

    assert service.is_enabled("fa", "de") == (True, "pivot:en")
    result = service.translate_text(
        session=session, text="سلام. من کار میخواهم", source_language="fa", target_language="de"
    )

    assert result.text == "hallo. ich Arbeit will"
    assert (result.available, result.machine_translated, result.pivot_language) == (
        True,
        True,
        "en",
    )


def test_dari_uses_the_persian_packages(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])

    result = service.translate_text(
        session=session, text="من کار میخواهم", source_language="fa_AF", target_language="en"
    )

    assert (result.text, result.source_language) == ("I work want", "fa_AF")


def test_glossary_term_into_german_overrules_the_model(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    # what many clients call the Jobcenter: an alias in the glossary
    text = "أحتاج موعدا في مركز العمل"
    route = service.current_provider().route("ar", "de")
    assert route is not None
    assert (
        service.current_provider().translate(text, route) == "brauche Termin im Zentrum Arbeit"
    )  # unprotected

    result = service.translate_text(
        session=session, text=text, source_language="ar", target_language="de"
    )

    assert result.text == "brauche Termin im Jobcenter"


def test_glossary_term_into_client_language_keeps_german_in_brackets(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["de_ar"])
    text = "Bitte die Meldebescheinigung mitbringen"

    result = service.translate_text(
        session=session, text=text, source_language="de", target_language="ar"
    )

    expected = (
        f"{DE_AR['Bitte']} {DE_AR['die']} {rendering('Meldebescheinigung', 'ar')} "
        f"(Meldebescheinigung) {DE_AR['mitbringen']}"
    )
    assert result.text == expected
    assert DE_AR["Meldebescheinigung"] not in result.text.split()


def test_glossary_survives_the_pivot(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])
    service.install_packages(argos_files["en_de"])

    result = service.translate_text(
        session=session, text="من جاب سنتر میخواهم", source_language="fa", target_language="de"
    )

    assert result.text == "ich Jobcenter will"
    assert EN_DE[FA_EN["جاب"]] not in result.text


def test_second_call_is_served_from_the_cache(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    first = service.translate_text(
        session=session, text="شكرا", source_language="ar", target_language="de"
    )
    assert cache_rows(session) == 1
    entry = session.scalar(select(TranslationCacheEntry))
    assert entry is not None
    assert (
        entry.source_text,
        entry.translated_text,
        entry.source_language,
        entry.target_language,
    ) == ("شكرا", first.text, "ar", "de")
    assert entry.engine.startswith("argos:ar-de@1.0;glossary=")
    entry.translated_text = "aus dem Cache"  # only a cache hit can return this
    session.flush()

    second = service.translate_text(
        session=session, text="شكرا", source_language="ar", target_language="de"
    )

    assert second.text == "aus dem Cache"
    assert (second.machine_translated, second.available, second.original) == (True, True, "شكرا")
    assert cache_rows(session) == 1


def test_a_new_package_version_is_not_served_old_cache_entries(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    assert (
        service.translate_text(
            session=session, text="شكرا", source_language="ar", target_language="de"
        ).text
        == "danke"
    )

    service.install_packages(argos_files["ar_de_v2"])
    result = service.translate_text(
        session=session, text="شكرا", source_language="ar", target_language="de"
    )

    assert result.text == "Dankeschön"
    assert cache_rows(session) == 2
    assert [(p.source_language, p.package_version) for p in service.installed_pairs()] == [
        ("ar", "1.1")
    ]


def test_missing_pair_gives_the_original_and_a_notice(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])

    assert service.is_enabled("ti", "de") == (False, "no_package:ti->de")
    result = service.translate_text(
        session=session, text="ሰላም", source_language="ti", target_language="de"
    )

    assert (result.text, result.original) == ("ሰላም", "ሰላም")
    assert (result.available, result.machine_translated, result.pivot_language) == (
        False,
        False,
        None,
    )
    assert result.notice_key == "translation.unavailable"
    assert (result.source_language, result.target_language) == ("ti", "de")
    assert cache_rows(session) == 0


def test_no_packages_installed_at_all(session: Session, packages_dir: Path) -> None:
    result = service.translate_text(
        session=session, text="أحتاج", source_language="ar", target_language="de"
    )

    assert (result.available, result.text, result.notice_key) == (
        False,
        "أحتاج",
        "translation.unavailable",
    )
    assert service.installed_pairs() == []


@pytest.mark.parametrize("source, target", [("de", "de"), ("fa", "fa_AF")])
def test_same_language_is_returned_unchanged(
    session: Session, packages_dir: Path, source: str, target: str
) -> None:
    result = service.translate_text(
        session=session, text="Guten Tag", source_language=source, target_language=target
    )

    assert (result.text, result.machine_translated, result.available, result.notice_key) == (
        "Guten Tag",
        False,
        True,
        None,
    )


@pytest.mark.parametrize("language", ["", "../../etc", "a" * 40, "d e"])
def test_malformed_language_codes_are_refused_quietly(
    session: Session, packages_dir: Path, language: str
) -> None:
    result = service.translate_text(
        session=session, text="Hallo", source_language=language, target_language="de"
    )

    assert (result.available, result.text, result.notice_key) == (
        False,
        "Hallo",
        "translation.unavailable",
    )
    assert service.is_enabled(language, "de") == (False, "unknown_language")


def test_overlong_text_is_not_translated(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    text = "شكرا " * (service.MAX_TEXT_CHARS // 5 + 1)

    result = service.translate_text(
        session=session, text=text, source_language="ar", target_language="de"
    )

    assert (result.available, result.text, result.notice_key) == (
        False,
        text,
        "translation.too_long",
    )


def test_broken_model_gives_the_original_and_a_notice(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    (next(packages_dir.iterdir()) / "model" / "model.bin").write_bytes(b"not a model")

    result = service.translate_text(
        session=session, text="شكرا", source_language="ar", target_language="de"
    )

    assert (result.available, result.text, result.notice_key) == (
        False,
        "شكرا",
        "translation.failed",
    )
    assert cache_rows(session) == 0


def test_install_from_a_directory(
    packages_dir: Path, argos_files: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("fa_en", "en_de"):
        (folder / argos_files[name].name).write_bytes(argos_files[name].read_bytes())

    installed = service.install_packages(folder)

    pairs = {(p.source_language, p.target_language) for p in installed}
    assert pairs == {("fa", "en"), ("en", "de")}
    assert {(p.source_language, p.target_language) for p in service.installed_pairs()} == pairs


def test_a_bad_file_in_a_directory_installs_nothing(
    packages_dir: Path, argos_files: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / argos_files["ar_de"].name).write_bytes(argos_files["ar_de"].read_bytes())
    (folder / "zz_broken.argosmodel").write_bytes(b"not a zip")

    with pytest.raises(PackageInstallError, match="not a zip archive"):
        service.install_packages(folder)
    assert service.installed_pairs() == []


def test_archive_without_a_model_is_refused(packages_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "empty.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("translate-xx_de/metadata.json", '{"from_code": "xx", "to_code": "de"}')

    with pytest.raises(PackageInstallError, match="model/model.bin"):
        service.install_packages(archive)
    with pytest.raises(PackageInstallError, match="no such file"):
        service.install_packages(tmp_path / "missing.argosmodel")


def test_admin_overview_shows_routes_to_and_from_german(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])
    service.install_packages(argos_files["en_de"])
    service.translate_text(
        session=session, text="من کار میخواهم", source_language="fa", target_language="de"
    )

    overview = service.translation_overview(session=session)

    routes = {
        (r.source_language, r.target_language): (r.available, r.pivot_language, r.reason)
        for r in overview.desk_routes
    }
    assert routes[("fa", "de")] == (True, "en", "pivot:en")
    assert routes[("de", "fa")] == (False, None, "no_package:de->fa")
    assert routes[("en", "de")] == (True, None, "direct")
    assert overview.cached_translations == 1
    assert len(overview.pairs) == 2


def test_forget_texts_erases_cached_translations(
    session: Session, packages_dir: Path, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["ar_de"])
    service.translate_text(session=session, text="شكرا", source_language="ar", target_language="de")
    service.translate_text(
        session=session, text="أحتاج موعدا", source_language="ar", target_language="de"
    )

    assert service.forget_texts(session=session, texts=["شكرا", "unrelated"]) == 1
    assert cache_rows(session) == 1


@pytest.mark.parametrize(
    "bundled",
    [
        {"stanza/resources.json": b"{}"},  # Stanza would fetch resources.json and models
        {"minisbd/ar.onnx": b"not an onnx model"},  # MiniSBD would fetch a model by language
    ],
    ids=["stanza", "minisbd"],
)
def test_unusable_bundled_sentence_models_never_reach_the_network(
    session: Session, packages_dir: Path, tmp_path: Path, bundled: dict[str, bytes]
) -> None:
    package = build_argos_package(
        tmp_path, from_code="ar", to_code="de", lexicon=AR_DE, extra_files=bundled
    )
    service.install_packages(package)

    result = service.translate_text(
        session=session, text="شكرا. أحتاج موعدا", source_language="ar", target_language="de"
    )

    assert (result.available, result.text) == (True, "شكرا. brauche Termin")
