from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kiosk_api.consent.schemas import ConsentCreate, ConsentReceipt
from kiosk_api.models.enums import Concern, TicketStatus
from kiosk_api.translation.schemas import TranslatedText
from kiosk_api.validation import CONVERSATION_ID_PATTERN, LanguageCode, Name
from kiosk_api.validation import ShortText as FreeText

Code = Annotated[str, StringConstraints(min_length=3, max_length=32)]


class QuickIntake(BaseModel):
    """Pre-registration on the spot at the kiosk; consent first, then the few fields the desk
    needs."""

    model_config = ConfigDict(extra="forbid")

    consent: ConsentCreate
    concern: Concern
    concern_text: FreeText | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    interpreter_needed: bool | None = None


class WalkIn(BaseModel):
    """A ticket without any personal data, for a client who did not consent."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode
    concern: Concern
    interpreter_needed: bool = False


class CheckinCreate(BaseModel):
    """Exactly one of: reference code (proof in headers), anonymous booking code, quick intake,
    walk-in."""

    model_config = ConfigDict(extra="forbid")

    reference_code: Code | None = None
    booking_code: Code | None = None
    quick_intake: QuickIntake | None = None
    walk_in: WalkIn | None = None
    concern: Concern | None = Field(
        default=None, description="Overrides the concern stored on the record"
    )
    conversation_id: Annotated[str, StringConstraints(pattern=CONVERSATION_ID_PATTERN)] | None = (
        Field(default=None, description="Bot only: the chat to send turn reminders to")
    )
    output_channel: (
        Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")] | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one_way(self) -> CheckinCreate:
        given = [self.reference_code, self.booking_code, self.quick_intake, self.walk_in]
        if sum(item is not None for item in given) != 1:
            raise ValueError(
                "give exactly one of reference_code, booking_code, quick_intake, walk_in"
            )
        return self


class TicketPublic(BaseModel):
    ticket_code: str
    number: int
    display_number: str
    service_day: date
    status: TicketStatus
    position: int | None = Field(description="Clients waiting before this one for the same team")
    estimated_wait_minutes: int | None
    service_code: str
    service_name: str
    desk: str | None
    language: str
    arrived_at: datetime
    called_at: datetime | None
    receipt: ConsentReceipt | None = Field(
        default=None, description="Reference code and PIN of a quick intake, shown once"
    )


class IntakeSummary(BaseModel):
    id: int
    reference_code: str
    given_name: str | None
    family_name: str | None
    given_name_own_spelling: str | None
    family_name_own_spelling: str | None
    birth_date: date | None
    nationality: str | None
    nationality_name: str | None
    residence_status: str | None
    residence_status_label: str | None
    german_level: str | None
    assisted: bool


class QueueEntry(BaseModel):
    """A ticket as the desk sees it, in German."""

    id: int
    number: int
    display_number: str
    status: TicketStatus
    status_label: str
    arrived_at: datetime
    waiting_minutes: int
    language: str
    language_name: str
    interpreter_needed: bool
    concern: Concern
    concern_label: str
    concern_text: TranslatedText | None
    service_code: str
    service_name: str
    routing_rule: str | None
    routing_reason: str | None
    handed_to_service_code: str | None
    desk: str | None
    called_at: datetime | None
    appointment_at: datetime | None
    intake: IntakeSummary | None
    # As in the desk's live stream: a screen re-reads this ticket when the stream names another.
    version: str


class CallNext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    desk: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    service_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class CallTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    desk: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Handover(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    desk: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None


class DisplayCall(BaseModel):
    """What the lobby call display shows: no names, only numbers and desks."""

    display_number: str
    desk: str | None
    language: str
    called_at: datetime | None
