"""Kiosk and display credentials: what a site admin creates and sees, what a device enrols with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DeviceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
DeviceKind = Literal["kiosk", "display"]
DeviceState = Literal["pending", "expired", "enrolled", "revoked"]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DeviceName = Field(description="Where it stands, e.g. 'Kiosk lobby left'")
    kind: DeviceKind = "kiosk"


class DevicePublic(BaseModel):
    id: int
    name: str
    kind: str
    state: DeviceState
    enrolment_expires_at: datetime | None
    enrolled_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class DeviceEnrolmentCode(BaseModel):
    """The one-time code, shown once to the admin who typed it into the kiosk."""

    device: DevicePublic
    enrolment_code: str
    enrolment_code_display: str
    expires_at: datetime


class DeviceEnrol(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enrolment_code: str = Field(min_length=3, max_length=32, description="e.g. KE-7K3M-9QXP")


class DeviceToken(BaseModel):
    """The device's credential, shown once; it sends it as X-Lotse-Device."""

    device_id: int
    name: str
    kind: str
    token: str
    site: str = Field(description="The code of the site the device works for")
    site_name: str
