from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kiosk_api.models.enums import BookingStatus
from kiosk_api.validation import LanguageCode

# Bounded so day arithmetic (time zones, +14 days) can never overflow Python's date range.
ServiceDay = Annotated[
    date,
    Field(ge=date(2000, 1, 1), le=date(2099, 12, 31), description="A calendar day at the site"),
]
ServiceCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
]


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
    """Book a slot for an intake record (proof in headers) or, without one, as an anonymous info
    appointment."""

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
    pin: str | None = Field(
        default=None, description="Only in the answer that created an anonymous booking"
    )


class SlotGenerate(BaseModel):
    """Creates slots for every opening window in a date range."""

    model_config = ConfigDict(extra="forbid")

    service_code: ServiceCode
    date_from: ServiceDay
    date_to: ServiceDay
    minutes: int = Field(default=30, ge=5, le=480)
    capacity: int = Field(default=1, ge=1, le=500)
    interpreter_language: LanguageCode | None = None

    @model_validator(mode="after")
    def _range(self) -> SlotGenerate:
        if self.date_to < self.date_from or (self.date_to - self.date_from).days > 92:
            raise ValueError("date_to must be on or after date_from, at most 92 days later")
        return self
