"""The glossary file and the placeholder protection of official terms."""

from __future__ import annotations

import pytest

from kiosk_api.config import PROJECT_ROOT
from kiosk_api.translation.glossary import GlossaryError, load_glossary, parse_glossary

GLOSSARY = load_glossary(PROJECT_ROOT / "content" / "glossary.yml")
REQUIRED_TERMS = {
    "Grundsicherungsgeld",
    "Jobcenter",
    "Meldebescheinigung",
    "Aufenthaltserlaubnis",
    "Fiktionsbescheinigung",
    "Duldung",
    "Bedarfsgemeinschaft",
    "Widerspruch",
    "Ausländerbehörde",
    "Familienkasse",
    "Integrationskurs",
}
FIRST_CLASS = ("en", "ar", "fa", "fr")

SMALL = parse_glossary(
    """
terms:
  - de: Aufenthaltserlaubnis
    forms: [Aufenthaltserlaubnisse]
    translations: {en: residence permit, ar: تصريح الإقامة}
  - de: Jobcenter
    translations: {en: job centre}
    aliases: {en: [job center]}
""".encode()
)


def test_the_project_glossary_has_the_official_terms_in_the_first_class_languages() -> None:
    terms = {term.german: term for term in GLOSSARY.terms}
    assert REQUIRED_TERMS <= set(terms)
    missing = [
        (name, lang)
        for name in sorted(REQUIRED_TERMS)
        for lang in FIRST_CLASS
        if not terms[name].rendering(lang)
    ]
    assert missing == []


def test_dari_falls_back_to_persian_renderings() -> None:
    term = next(t for t in GLOSSARY.terms if t.german == "Jobcenter")
    assert term.rendering("fa_AF") == term.rendering("fa")


def test_into_client_language_the_german_term_stays_in_brackets() -> None:
    protected = SMALL.protect("Ihre Aufenthaltserlaubnisse und das Jobcenter", "de", "en")

    assert protected.text == "Ihre ZXQ0 und das ZXQ1"
    assert (
        protected.restore("Your ZXQ0 and the ZXQ1")
        == "Your residence permit (Aufenthaltserlaubnisse) and the job centre (Jobcenter)"
    )


def test_into_german_client_spellings_become_the_german_term() -> None:
    protected = SMALL.protect("I went to the Job Center with my residence permit", "en", "de")

    assert (
        protected.restore(protected.text) == "I went to the Jobcenter with my Aufenthaltserlaubnis"
    )


def test_without_a_rendering_the_german_term_stays_alone() -> None:
    protected = SMALL.protect("das Jobcenter", "de", "ti")

    assert protected.restore("ZXQ0") == "Jobcenter"


def test_placeholders_mangled_by_the_model_are_still_found() -> None:
    protected = SMALL.protect("das Jobcenter", "de", "en")

    assert protected.restore("the zxq 0.") == "the job centre (Jobcenter)."


def test_a_placeholder_the_model_dropped_is_appended() -> None:
    protected = SMALL.protect("Aufenthaltserlaubnis vom Jobcenter", "de", "en")

    assert (
        protected.restore("ZXQ0 from")
        == "residence permit (Aufenthaltserlaubnis) from (job centre (Jobcenter))"
    )


def test_text_that_looks_like_a_placeholder_is_left_alone() -> None:
    protected = SMALL.protect("Code ZXQ7 beim Jobcenter", "de", "en")

    assert (protected.text, protected.replacements) == ("Code ZXQ7 beim Jobcenter", [])


def test_terms_inside_other_words_are_not_touched() -> None:
    assert SMALL.protect("Jobcenterfiliale", "de", "en").replacements == []


@pytest.mark.parametrize(
    "raw",
    [
        b"terms: nope",
        b"terms:\n  - translations: {en: x}",
        b"terms:\n  - de: X\n    translations: [a]",
        b"terms:\n  - de: X\n    aliases: {en: y}",
    ],
)
def test_a_malformed_glossary_is_refused(raw: bytes) -> None:
    with pytest.raises(GlossaryError):
        parse_glossary(raw)


def test_the_digest_changes_with_the_file() -> None:
    assert parse_glossary(b"terms: []").digest != parse_glossary(b"terms: []\n# edited").digest
