from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kiosk_api.routing.schemas import RuleConditions


class ChecklistConditions(RuleConditions):
    model_config = ConfigDict(extra="forbid")

    has_children: bool | None = None
    has_partner: bool | None = None
    registration_certificate: bool | None = None
    asylblg: bool | None = None
    sgb2_elsewhere: bool | None = None
    foreign_qualifications: bool | None = None
    recognition_started: bool | None = None
    has_address: bool | None = None


class ChecklistEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    when: ChecklistConditions


class ChecklistRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    valid_as_of: date
    documents: list[ChecklistEntry]
    steps: list[ChecklistEntry]


class ChecklistItem(BaseModel):
    """One line: in the client's language, with the German wording beside it for staff and
    letters."""

    id: str
    kind: Literal["document", "step"]
    text: str
    text_language: str
    german: str


class Checklist(BaseModel):
    reference_code: str
    language: str
    direction: str
    title: str
    intro: str
    documents_heading: str
    steps_heading: str
    documents: list[ChecklistItem]
    steps: list[ChecklistItem]
    valid_as_of: date
