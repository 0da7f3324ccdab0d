from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kiosk_api.models.enums import Channel
from kiosk_api.validation import CONVERSATION_ID_PATTERN, LanguageCode


class ConsentScopes(BaseModel):
    """Optional, separate consents to share the record; the intake itself needs none of them."""

    model_config = ConfigDict(extra="forbid")

    foreigners_authority: bool = False
    social_welfare: bool = False


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: LanguageCode
    notice_version: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    channel: Channel
    scopes: ConsentScopes = Field(default_factory=ConsentScopes)
    conversation_id: Annotated[str, StringConstraints(pattern=CONVERSATION_ID_PATTERN)] | None = (
        Field(
            default=None, description="The bot's conversation id, so erasure also deletes the chat"
        )
    )


class ConsentReceipt(BaseModel):
    """The reference code and PIN are shown to the client once; only a keyed hash of the PIN is
    kept."""

    reference_code: str
    reference_code_display: str
    pin: str
    consent_id: int
    notice_version: str
    given_at: datetime


class PinIssued(BaseModel):
    """A fresh PIN for the chat that opened the record, shown to the client once."""

    reference_code: str
    reference_code_display: str
    pin: str


class NoticeScope(BaseModel):
    code: str
    title: str
    text: str


class ConsentNotice(BaseModel):
    version: str
    language: str
    fallback_language: str | None
    direction: str
    title: str
    text: str
    scopes: list[NoticeScope]
    valid_as_of: date
