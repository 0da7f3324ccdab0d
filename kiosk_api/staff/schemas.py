from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from kiosk_api.models.enums import StaffRole

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# The least a password chosen for a staff account must have.
NewPassword = Annotated[str, StringConstraints(min_length=12, max_length=256)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: StaffRole
    # This session can only change the password (and log out) until the password is changed.
    must_change_password: bool = False


class StaffSite(BaseModel):
    """A site a staff member works for, as the desk's site choice shows it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    timezone: str


class StaffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: StaffRole
    active: bool
    must_change_password: bool
    sites: list[StaffSite]


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    role: StaffRole
    password: NewPassword


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    role: StaffRole | None = None
    active: bool | None = None
    password: NewPassword | None = None


class PasswordChange(BaseModel):
    """A staff member's own password change: the current password proves it is them."""

    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: NewPassword
