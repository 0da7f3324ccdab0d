"""Machine translation results and the installed-pairs view for admins."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TranslatedText(BaseModel):
    """A translation shown beside its original; machine_translated is the label the UI must show.

    available=False means nothing was translated: text is the original and notice says why.
    """

    original: str
    text: str
    source_language: str
    target_language: str
    machine_translated: bool
    available: bool
    notice: str | None
    # Kept on the server, not sent: the route taken, and the catalog key of the notice (rendered
    # into `notice` in the reader's language; translation.unavailable takes source and target as
    # parameters).
    pivot_language: str | None = Field(default=None, exclude=True)
    notice_key: str | None = Field(default=None, exclude=True)


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
