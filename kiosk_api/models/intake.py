from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk_api.models.base import Base, UTCDateTime, utcnow
from kiosk_api.models.enums import (
    Channel,
    Concern,
    CourseStatus,
    GermanLevel,
    HouseholdRelation,
    IntakeStatus,
    ResidenceStatus,
)
from kiosk_api.models.site import Site


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=40, validate_strings=True)


class IntakeRecord(Base):
    """The Anmeldebogen. Exists only after consent; every personal field is optional."""

    __tablename__ = "intake_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    reference_code: Mapped[str] = mapped_column(String(16), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(64))
    failed_proofs: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Lockouts so far: each one lasts longer than the one before.
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[IntakeStatus] = mapped_column(_enum(IntakeStatus), default=IntakeStatus.draft)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    given_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    given_name_own_spelling: Mapped[str | None] = mapped_column(String(200), nullable=True)
    family_name_own_spelling: Mapped[str | None] = mapped_column(String(200), nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(3), nullable=True)
    languages_spoken: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_language: Mapped[str] = mapped_column(String(16))
    german_level: Mapped[GermanLevel | None] = mapped_column(_enum(GermanLevel), nullable=True)
    interpreter_needed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    registration_certificate: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    residence_status: Mapped[ResidenceStatus | None] = mapped_column(
        _enum(ResidenceStatus), nullable=True
    )
    residence_status_issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    asylblg_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    sgb2_elsewhere_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    sgb2_elsewhere_office: Mapped[str | None] = mapped_column(String(200), nullable=True)
    integration_course_status: Mapped[CourseStatus | None] = mapped_column(
        _enum(CourseStatus), nullable=True
    )
    integration_course_level: Mapped[GermanLevel | None] = mapped_column(
        _enum(GermanLevel), nullable=True
    )
    schooling: Mapped[str | None] = mapped_column(Text, nullable=True)
    vocational_training: Mapped[str | None] = mapped_column(Text, nullable=True)
    profession: Mapped[str | None] = mapped_column(Text, nullable=True)
    work_experience: Mapped[str | None] = mapped_column(Text, nullable=True)
    foreign_qualifications: Mapped[str | None] = mapped_column(Text, nullable=True)
    recognition_started: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    concern: Mapped[Concern | None] = mapped_column(_enum(Concern), nullable=True)
    concern_text: Mapped[str | None] = mapped_column(Text, nullable=True)

    site: Mapped[Site] = relationship()
    household: Mapped[list[HouseholdMember]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="HouseholdMember.id"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="ConsentRecord.id"
    )


class HouseholdMember(Base):
    """A member of the Bedarfsgemeinschaft."""

    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake_records.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[HouseholdRelation] = mapped_column(_enum(HouseholdRelation))
    given_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)

    intake: Mapped[IntakeRecord] = relationship(back_populates="household")


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("intake_records.id", ondelete="CASCADE"), index=True
    )
    notice_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    share_foreigners_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    share_social_welfare: Mapped[bool] = mapped_column(Boolean, default=False)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    intake: Mapped[IntakeRecord] = relationship(back_populates="consents")
