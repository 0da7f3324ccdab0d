from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from kiosk_api.models.enums import DeliveryStatus, HandoverStatus
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


class DeliveryStatusUpdate(BaseModel):
    """A messenger's word on the chat's latest message (the WhatsApp channel's status callbacks)."""

    model_config = ConfigDict(extra="forbid")

    status: DeliveryStatus
    at: datetime


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
    # How far the messenger got the chat's latest message to the client (None: no word yet).
    delivery_status: DeliveryStatus | None = None
    delivery_status_at: datetime | None = None
    messages: list[InboxMessage] | None = None
