from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kiosk_api.intake.schemas import IntakePublic
from kiosk_api.routing.schemas import RoutingResult
from kiosk_api.translation.schemas import TranslatedText
from kiosk_api.validation import LanguageCode


class LabelledValue(BaseModel):
    """One line of the German intake sheet: label, value as the desk reads it, and the raw value."""

    field: str
    label: str
    value: str | None
    translation: TranslatedText | None = None


class IntakeStaffView(BaseModel):
    record_id: int
    reference_code: str
    language_name: str
    fields: list[LabelledValue]
    routing: RoutingResult
    record: IntakePublic
    read_at: datetime


class StaffBookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: int = Field(ge=1, le=2**31 - 1)
    intake_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    language: LanguageCode = "de"
