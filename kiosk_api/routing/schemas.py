from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from kiosk_api.models.enums import CourseStatus, ResidenceStatus


class RuleConditions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    residence_status_in: list[ResidenceStatus] | None = None
    residence_status_missing: bool | None = None
    integration_course_status_in: list[CourseStatus] | None = None
    sgb2_elsewhere_months_over: int | None = Field(default=None, ge=0)
    sgb2_elsewhere_months_at_most: int | None = Field(default=None, ge=0)
    age_under: int | None = Field(default=None, ge=0)
    age_at_least: int | None = Field(default=None, ge=0)
    always: bool | None = None


class RoutingRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    when: RuleConditions
    service: str
    reason: str


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    valid_as_of: date
    rules: list[RoutingRule] = Field(min_length=1)


class RoutingResult(BaseModel):
    """A suggestion for the desk with its reason; never an eligibility decision."""

    service_code: str
    service_name: str
    rule: str
    reason_key: str
    reason: str
    rules_valid_as_of: date
