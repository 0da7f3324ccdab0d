from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from kiosk_api.appointments.schemas import ServiceCode
from kiosk_api.validation import LanguageCode

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _without_offset(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local time at the site, without a UTC offset")
    return value


# The site's wall-clock time without an offset; JSON Schema's "time" format would demand one.
LocalTime = Annotated[
    time,
    AfterValidator(_without_offset),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
            "description": "Local time at the site, HH:MM[:SS]",
        }
    ),
]


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ServiceCode
    name: Label
    minutes_per_client: int = Field(default=15, ge=1, le=480)
    bookable: bool = True


class ServiceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Label | None = None
    minutes_per_client: int | None = Field(default=None, ge=1, le=480)
    bookable: bool | None = None
    active: bool | None = None


class ServiceAdmin(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    minutes_per_client: int
    bookable: bool
    active: bool


class OpeningWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _opens_before_closes(self) -> OpeningWindow:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class OpeningHoursUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    windows: Annotated[list[OpeningWindow], Field(max_length=50)]


class SiteSettings(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    timezone: str
    retention_days: int
    desks: int
    street: str | None
    postcode: str | None
    city: str | None
    phone: str | None


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Label | None = None
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    desks: int | None = Field(default=None, ge=1, le=200)
    street: Label | None = None
    postcode: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None
    city: Label | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9 +()/-]{3,40}$")] | None = None


class SlotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=0, le=500)
    interpreter_language: LanguageCode | None = None


class SlotAdmin(BaseModel):
    id: int
    service_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    interpreter_language: str | None


class WeeklyCount(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W48")
    arrivals: int
    bookings: int
    handovers: int
    by_language: dict[str, int]
    by_concern: dict[str, int]
    by_service: dict[str, int]


class WeeklyStatistics(BaseModel):
    site: str
    weeks: list[WeeklyCount]
