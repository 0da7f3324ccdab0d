from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kiosk_api.i18n import language_codes, normalize_code
from kiosk_api.models.enums import CourseStatus, ResidenceStatus

REASON_KEY = r"^routing\.reason\.[a-z0-9_]+$"


class RuleConditions(BaseModel):
    """What a rule asks of the intake record; the header of sites/<site>/routing.yml explains each
    condition."""

    model_config = ConfigDict(extra="forbid")

    residence_status_in: list[ResidenceStatus] | None = None
    residence_status_missing: bool | None = None
    integration_course_status_in: list[CourseStatus] | None = None
    sgb2_elsewhere_months_over: int | None = Field(default=None, ge=0)
    sgb2_elsewhere_months_at_most: int | None = Field(default=None, ge=0)
    age_under: int | None = Field(default=None, ge=0)
    age_at_least: int | None = Field(default=None, ge=0)
    first_application: bool | None = None
    preferred_language_in: list[str] | None = None
    interpreter_needed: bool | None = None
    always: bool | None = None

    @field_validator("preferred_language_in")
    @classmethod
    def _known_languages(cls, codes: list[str] | None) -> list[str] | None:
        if codes is None:
            return None
        normalized: list[str] = []
        for code in codes:
            known = normalize_code(code)
            if known is None:
                raise ValueError(
                    f"unknown language code {code!r}; enabled: {', '.join(language_codes())}"
                )
            normalized.append(known)
        return normalized

    @model_validator(mode="after")
    def _consistent(self) -> RuleConditions:
        if not any(value is not None for value in self.__dict__.values()):
            raise ValueError("give at least one condition (or always: true)")
        if self.always is False:
            raise ValueError("always can only be true; leave it out otherwise")
        if (
            self.age_under is not None
            and self.age_at_least is not None
            and self.age_at_least >= self.age_under
        ):
            raise ValueError(
                f"empty age band: age_at_least {self.age_at_least} is not below "
                f"age_under {self.age_under}"
            )
        if (
            self.sgb2_elsewhere_months_over is not None
            and self.sgb2_elsewhere_months_at_most is not None
            and self.sgb2_elsewhere_months_over >= self.sgb2_elsewhere_months_at_most
        ):
            raise ValueError(
                "empty range: sgb2_elsewhere_months_over is not below sgb2_elsewhere_months_at_most"
            )
        return self


class Referral(BaseModel):
    """Another office the client is sent to, with its address: shown to the desk and the client.

    Name, address and note are the office's own data and shown as written."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    # Five digits; left out only while the office has not confirmed it.
    postcode: str | None = Field(default=None, pattern=r"^\d{5}$")
    city: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    opening_note: str | None = Field(default=None, max_length=200)

    def one_line(self) -> str:
        """Street, postcode and city, phone, opening note: the parts given, comma-separated."""
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(
            part for part in (self.street, place, self.phone, self.opening_note) if part
        )


class RoutingRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    when: RuleConditions
    service: str | None = None
    refer_to: Referral | None = None
    reason: str = Field(pattern=REASON_KEY)

    @model_validator(mode="after")
    def _service_or_referral(self) -> RoutingRule:
        if (self.service is None) == (self.refer_to is None):
            raise ValueError(
                f"rule {self.id}: give either a service of this site or refer_to another office"
            )
        return self


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    valid_as_of: date
    rules: list[RoutingRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids_and_a_fallback(self) -> RoutingRules:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id} is used twice")
            seen.add(rule.id)
        last = self.rules[-1]
        if last.service is None or last.when.always is not True:
            raise ValueError(
                f"the last rule ({last.id}) is the fallback: it needs always: true and a service"
            )
        return self


class RoutingResult(BaseModel):
    """A suggestion for the desk with its reason; never an eligibility decision.

    With a referral the client is sent to another office (`referral`); the service is then the
    team here that sees the client if they come anyway (the next matching rule naming a
    service)."""

    service_code: str
    service_name: str
    rule: str
    reason_key: str
    reason: str
    rules_valid_as_of: date
    referral: Referral | None = None
