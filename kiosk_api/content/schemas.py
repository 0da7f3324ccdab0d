"""Content files (content/topics/<topic>/<lang>.yml) and what the API returns from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, model_validator

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
    """An optional permission in the data-protection notice (e.g. sharing with the
    Ausländerbehörde)."""

    model_config = ConfigDict(extra="forbid")

    id: Literal["foreigners_authority", "social_welfare"]
    title: ShortText
    text: Paragraph


FactId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,48}$")]
FactKind = Literal[
    "money", "date", "percent", "number", "days", "weeks", "months", "years", "hours", "rule"
]
FactStatus = Literal["in_force", "announced", "unverified"]


class FactSource(Source):
    """Where a fact is written: the law's paragraph (§ 22 Abs. 4 Satz 1 SGB II) or the official
    page's section."""

    pinpoint: ShortText


class Fact(BaseModel):
    """One amount, date, deadline or rule of a topic, with its pinpoint source; texts render it
    as {id}."""

    model_config = ConfigDict(extra="forbid")

    id: FactId
    kind: FactKind
    # A number for money/percent/number/durations, a date for `date`; none for a `rule`, which
    # `statement` words.
    value: float | int | dt.date | None = None
    # In German, for reviewers; never shown to clients (texts say it in each language).
    statement: ShortText
    status: FactStatus
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    source: FactSource

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Fact:
        if self.kind == "rule":
            if self.value is not None:
                raise ValueError("a rule has no value; its statement says it")
        elif self.kind == "date":
            if not isinstance(self.value, dt.date):
                raise ValueError("a date fact needs a date value (YYYY-MM-DD)")
        elif isinstance(self.value, dt.date) or self.value is None or isinstance(self.value, bool):
            raise ValueError(f"a {self.kind} fact needs a number value")
        return self


class FactsFile(BaseModel):
    """content/topics/<topic>/facts.yml: the key facts of a topic, one list for every language."""

    model_config = ConfigDict(extra="forbid")

    topic: TopicId
    checked_on: dt.date
    facts: list[Fact]


class DatedText(BaseModel):
    """What every text a client reads states about itself: when it was checked, against what,
    and who wrote and reviewed it."""

    model_config = ConfigDict(extra="forbid")

    topic: TopicId
    language: str
    valid_as_of: dt.date
    review_by: dt.date | None = None
    sources: list[Source] = Field(min_length=1)
    reviewed: Review | None
    machine_translated: bool
    # Who wrote the words: a person, or an AI assistant (the client is told so until a person has
    # reviewed it).
    drafted_by: Literal["person", "ai_assistant"]


class ContentFile(DatedText):
    """One topic in one language, exactly as stored on disk."""

    version: int = Field(ge=1)
    translation_of: TranslationOf | None = None
    unreviewed_translation: bool = False
    title: ShortText
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=900)]
    body: list[Paragraph] = Field(min_length=1)
    scopes: list[ConsentScope] | None = None


class SourcePublic(BaseModel):
    title: str
    url: str


class FactPublic(BaseModel):
    """A key fact as the client reads it: the value in their locale, its status and its pinpoint
    source."""

    id: str
    kind: str
    text: str | None
    status: str
    valid_from: dt.date | None
    source: SourcePublic
    pinpoint: str


class TopicSummary(BaseModel):
    topic: str
    theme: str
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
    themes: dict[str, list[str]]


class TopicMatch(TopicSummary):
    score: float


class TopicSearchResult(BaseModel):
    """Topics most like the question, best first; empty when none is close enough (outside what
    Lotse explains)."""

    language: str
    direction: Literal["ltr", "rtl"]
    matches: list[TopicMatch]


class ContentPublic(BaseModel):
    """A topic for the client: `language` is the text's language, `fallback_language` set when it
    is not the one asked for."""

    topic: str
    theme: str
    requested_language: str
    language: str
    fallback_language: str | None
    direction: Literal["ltr", "rtl"]
    version: int
    valid_as_of: dt.date
    # valid_as_of as the reader writes dates (Babel, the text's locale)
    valid_as_of_text: str
    review_by: dt.date
    title: str
    summary: str
    body: list[str]
    sources: list[SourcePublic]
    facts: list[FactPublic]
    machine_translated: bool
    reviewed: bool
    reviewed_on: dt.date | None
    # Past its re-check date: the answer says it may be out of date.
    outdated: bool
    scopes: list[ConsentScope] | None = None
    # The site whose own text (address, local services) was added to or replaced the shared one.
    local_site: str | None = None
    local_language: str | None = None


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
