from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kiosk_api.admin.schemas import Label, OpeningWindow
from kiosk_api.staff.schemas import StaffPublic

SiteCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]


class SitePublic(BaseModel):
    """An office as a client is told about it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    street: str | None
    postcode: str | None
    city: str | None
    phone: str | None
    timezone: str


class SiteWithHours(SitePublic):
    opening_hours: list[OpeningWindow]


class SiteOverview(SitePublic):
    """A site as the deployment admin manages it: settings and sizes, no personal data."""

    active: bool
    retention_days: int
    desks: int
    staff: int
    devices: int


class SiteActivation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class StaffSites(BaseModel):
    """The sites a staff account works for (replaces its list)."""

    model_config = ConfigDict(extra="forbid")

    sites: list[SiteCode] = Field(max_length=500)


class StaffWithSites(StaffPublic):
    pass


class SiteWeek(BaseModel):
    week: str
    arrivals: int
    bookings: int
    handovers: int


class SiteStatistics(BaseModel):
    """Counts only: what a deployment admin may compare across sites."""

    site: str
    name: Label
    weeks: list[SiteWeek]
