"""Machine translation results and the installed-pairs view for admins."""
from __future__ import annotations

from pydantic import BaseModel


class TranslationResult(BaseModel):
    """A translation shown beside its original; machine_translated is the label the UI must show.

    available=False means nothing was translated: text is the original and notice_key says why
    (translation.unavailable takes source_language and target_language as parameters).
    """

    original: str
    text: str
    source_language: str
    target_language: str
    machine_translated: bool
    available: bool
    pivot_language: str | None
    notice_key: str | None


class InstalledPair(BaseModel):
    """One installed argostranslate package."""

    source_language: str
    target_language: str
    source_name: str
    target_name: str
    package_version: str


class TranslationRoute(BaseModel):
    """Whether the desk can read a language (to German) and write back to it (from German)."""

    source_language: str
    target_language: str
    available: bool
    pivot_language: str | None
    reason: str


class TranslationPairsPublic(BaseModel):
    pairs: list[InstalledPair]
    desk_routes: list[TranslationRoute]
    pivot_language: str
    cached_translations: int
