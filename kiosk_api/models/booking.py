from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk_api.models.base import Base, UTCDateTime, utcnow
from kiosk_api.models.enums import BookingStatus, Concern, TicketStatus
from kiosk_api.models.intake import IntakeRecord
from kiosk_api.models.site import Service, Site


class Slot(Base):
    """An appointment window of one service; `booked` is the counter a conditional UPDATE guards."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    interpreter_language: Mapped[str | None] = mapped_column(String(16), nullable=True)

    site: Mapped[Site] = relationship()
    service: Mapped[Service] = relationship()


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_code: Mapped[str] = mapped_column(String(16), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failed_proofs: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_records.id", ondelete="SET NULL"), index=True, nullable=True
    )
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[BookingStatus] = mapped_column(
        Enum(BookingStatus, native_enum=False, length=20), default=BookingStatus.booked
    )
    booked_by: Mapped[str] = mapped_column(String(20))
    # Keyed hash of who booked an anonymous place (address, kiosk device or the bot): caps per day.
    source_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # The chat that booked it: the bot proves it by its conversation, so no PIN sits in slots.
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    slot: Mapped[Slot] = relationship()
    intake: Mapped[IntakeRecord | None] = relationship()


class QueueTicket(Base):
    """A walk-in or booked arrival in the lobby queue of one service day."""

    __tablename__ = "queue_tickets"
    __table_args__ = (UniqueConstraint("site_id", "service_day", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    service_day: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[int] = mapped_column(Integer)
    ticket_code: Mapped[str] = mapped_column(String(32), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_records.id", ondelete="SET NULL"), index=True, nullable=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True
    )
    language: Mapped[str] = mapped_column(String(16))
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    concern: Mapped[Concern] = mapped_column(Enum(Concern, native_enum=False, length=40))
    concern_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    routing_rule: Mapped[str | None] = mapped_column(String(64), nullable=True)
    routing_reason_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    status: Mapped[TicketStatus] = mapped_column(
        Enum(TicketStatus, native_enum=False, length=20), default=TicketStatus.waiting
    )
    desk: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when the client checked in from the chat, so turn reminders reach them there.
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    output_channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    near_reminded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    handed_to_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id"), nullable=True
    )
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    handed_to_service: Mapped[Service | None] = relationship(foreign_keys=[handed_to_service_id])
    intake: Mapped[IntakeRecord | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
