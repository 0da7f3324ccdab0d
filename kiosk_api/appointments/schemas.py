from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kiosk_api.models.enums import BookingStatus
from kiosk_api.validation import LanguageCode

# Bounded so day arithmetic (time zones, +14 days) can never overflow Python's date range.
ServiceDay = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2099, 12, 31), description="A calendar day at the site")]


class ServicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    bookable: bool
    minutes_per_client: int


class SlotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_code: str
    starts_at: datetime
    ends_at: datetime
    free_places: int
    interpreter_language: str | None


class BookingCreate(BaseModel):
    """Book a slot for an intake record (proof in headers) or, without one, as an anonymous info appointment."""

    model_config = ConfigDict(extra="forbid")

    slot_id: int = Field(ge=1, le=2**31 - 1)
    reference_code: Annotated[str, StringConstraints(min_length=3, max_length=32)] | None = None
    language: LanguageCode


class BookingMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: int = Field(ge=1, le=2**31 - 1)


class BookingPublic(BaseModel):
    booking_code: str
    booking_code_display: str
    status: BookingStatus
    anonymous: bool
    language: str
    slot: SlotPublic
    pin: str | None = Field(default=None, description="Only in the answer that created an anonymous booking")

