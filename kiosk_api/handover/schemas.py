from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from kiosk_api.models.enums import HandoverStatus
from kiosk_api.translation.schemas import TranslatedText
from kiosk_api.validation import CONVERSATION_ID_PATTERN, LanguageCode, MessageText

ConversationId = Annotated[str, StringConstraints(pattern=CONVERSATION_ID_PATTERN)]


class OpeningStatus(BaseModel):
    open_now: bool
    next_opening_at: datetime | None


class HandoverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: ConversationId
    language: LanguageCode
    output_channel: Annotated[
        str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    ] = "latest"
    reference_code: Annotated[str, StringConstraints(min_length=3, max_length=32)] | None = None


class HandoverPublic(BaseModel):
    id: int
    conversation_id: str
    status: HandoverStatus
    created_at: datetime
    opening: OpeningStatus


class ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: MessageText


class StaffReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: MessageText


class InboxMessage(BaseModel):
    id: int
    sender: str
    created_at: datetime
    german: TranslatedText
    client_language: TranslatedText


class InboxConversation(BaseModel):
    id: int
    conversation_id: str
    language: str
    language_name: str
    status: HandoverStatus
    created_at: datetime
    last_message_at: datetime | None
    unanswered: int
    messages: list[InboxMessage] | None = None
