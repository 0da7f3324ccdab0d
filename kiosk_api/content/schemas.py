"""Content files (content/topics/<topic>/<lang>.yml) and what the API returns from them."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1200)]
TopicId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,48}$")]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ShortText
    url: AnyHttpUrl


class Review(BaseModel):
    """Who checked this text against its sources, and when."""

    model_config = ConfigDict(extra="forbid")

    by: ShortText
    on: dt.date


class TranslationOf(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str
    version: int = Field(ge=1)


class ConsentScope(BaseModel):
    """An optional permission in the data-protection notice (e.g. sharing with the Ausländerbehörde)."""

    model_config = ConfigDict(extra="forbid")

    id: Literal["foreigners_authority", "social_welfare"]
    title: ShortText
    text: Paragraph


class ContentFile(BaseModel):
    """One topic in one language, exactly as stored on disk."""

    model_config = ConfigDict(extra="forbid")

    topic: TopicId
    language: str
    version: int = Field(ge=1)
    valid_as_of: dt.date
    review_by: dt.date | None = None
    sources: list[Source] = Field(min_length=1)
    reviewed: Review | None
    machine_translated: bool
    translation_of: TranslationOf | None = None
    unreviewed_translation: bool = False
    title: ShortText
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=900)]
    body: list[Paragraph] = Field(min_length=1)
    scopes: list[ConsentScope] | None = None


class SourcePublic(BaseModel):
    title: str
    url: str


class TopicSummary(BaseModel):
    topic: str
    title: str
    summary: str
    language: str
    fallback_language: str | None
    version: int
    valid_as_of: dt.date


class TopicList(BaseModel):
    language: str
    direction: Literal["ltr", "rtl"]
    topics: list[TopicSummary]


class ContentPublic(BaseModel):
    """A topic for the client: `language` is the text's language, `fallback_language` set when it is not the one asked for."""

    topic: str
    requested_language: str
    language: str
    fallback_language: str | None
    direction: Literal["ltr", "rtl"]
    version: int
    valid_as_of: dt.date
    review_by: dt.date
    title: str
    summary: str
    body: list[str]
    sources: list[SourcePublic]
    machine_translated: bool
    reviewed: bool
    reviewed_on: dt.date | None
    scopes: list[ConsentScope] | None = None


class ContentReviewItem(BaseModel):
    """An item for the admin page: unreviewed, machine-translated, or behind its source."""

    topic: str
    language: str
    version: int
    valid_as_of: dt.date
    review_by: dt.date
    machine_translated: bool
    reviewed: bool
    unreviewed_translation: bool
    translation_of: TranslationOf | None
    outdated_translation: bool
    expired: bool


class ContentReviewList(BaseModel):
    total: int
    items: list[ContentReviewItem]
