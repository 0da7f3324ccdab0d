from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from kiosk_api.models.enums import (
    Channel,
    Concern,
    CourseStatus,
    GermanLevel,
    HouseholdRelation,
    IntakeStatus,
    ResidenceStatus,
)
from kiosk_api.validation import (
    LanguageCode,
    Name,
    PastDate,
    RecentOrPastDate,
    ShortText,
    country_code,
    plain_text,
)

_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{4,24}[0-9]$")


def _phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6:
        raise ValueError("not a phone number (digits, spaces, + ( ) / - allowed)")
    return value


Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
Country = Annotated[
    str, StringConstraints(min_length=2, max_length=2), AfterValidator(country_code)
]


class HouseholdMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relation: HouseholdRelation
    given_name: Name | None = None
    birth_date: PastDate | None = None


class HouseholdMemberPublic(HouseholdMemberIn):
    model_config = ConfigDict(from_attributes=True)


class IntakeFields(BaseModel):
    """The Anmeldebogen fields a client may fill; all optional."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name | None = None
    family_name: Name | None = None
    given_name_own_spelling: Name | None = None
    family_name_own_spelling: Name | None = None
    birth_date: PastDate | None = None
    nationality: Country | None = None
    languages_spoken: Annotated[list[LanguageCode], Field(max_length=10)] | None = None
    preferred_language: LanguageCode | None = None
    german_level: GermanLevel | None = None
    interpreter_needed: bool | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
            AfterValidator(plain_text),
        ]
        | None
    ) = None
    registration_certificate: bool | None = None
    residence_status: ResidenceStatus | None = None
    residence_status_issued_on: RecentOrPastDate | None = None
    asylblg_since: PastDate | None = None
    sgb2_elsewhere_since: PastDate | None = None
    sgb2_elsewhere_office: Name | None = None
    integration_course_status: CourseStatus | None = None
    integration_course_level: GermanLevel | None = None
    schooling: ShortText | None = None
    vocational_training: ShortText | None = None
    profession: ShortText | None = None
    work_experience: ShortText | None = None
    foreign_qualifications: ShortText | None = None
    recognition_started: bool | None = None
    concern: Concern | None = None
    concern_text: ShortText | None = None
    household: Annotated[list[HouseholdMemberIn], Field(max_length=20)] | None = None


class IntakeUpdate(IntakeFields):
    """Partial update: only the fields sent are changed; `household` replaces the list."""

    submit: bool = Field(default=False, description="Mark the pre-registration as complete")
    assisted: bool | None = Field(default=None, description="A volunteer helped fill the record")


class ConsentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notice_version: str
    language: str
    channel: Channel
    share_foreigners_authority: bool
    share_social_welfare: bool
    given_at: datetime
    withdrawn_at: datetime | None


class IntakePublic(IntakeFields):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    reference_code: str
    status: IntakeStatus
    channel: Channel
    assisted: bool
    preferred_language: str
    languages_spoken: list[str]
    household: list[HouseholdMemberPublic]
    consents: list[ConsentPublic]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    checked_in_at: datetime | None


class ExportBooking(BaseModel):
    booking_code: str
    status: str
    starts_at: datetime
    service: str


class ExportTicket(BaseModel):
    number: int
    day: date
    status: str


class ExportMessage(BaseModel):
    sender: str
    language: str
    text: str
    sent_at: datetime


class IntakeExport(BaseModel):
    """Everything stored about the client (GDPR Art. 15 and 20)."""

    exported_at: datetime
    record: IntakePublic
    bookings: list[ExportBooking]
    tickets: list[ExportTicket]
    chat_with_desk: list[ExportMessage]
