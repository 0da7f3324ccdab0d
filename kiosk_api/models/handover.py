from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk_api.models.base import Base, UTCDateTime, utcnow
from kiosk_api.models.enums import DeliveryStatus, HandoverStatus


class Handover(Base):
    """A chat handed from the bot to the desk; the bot stays quiet until staff hand it back."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    output_channel: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[HandoverStatus] = mapped_column(
        Enum(HandoverStatus, native_enum=False, length=20), default=HandoverStatus.open
    )
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_records.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The messenger's latest word on the chat's messages (WhatsApp status callbacks, or held).
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=20), nullable=True
    )
    delivery_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    messages: Mapped[list[HandoverMessage]] = relationship(
        back_populates="handover", cascade="all, delete-orphan", order_by="HandoverMessage.id"
    )


class HandoverMessage(Base):
    __tablename__ = "handover_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(
        ForeignKey("handovers.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(10))  # client | staff
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    handover: Mapped[Handover] = relationship(back_populates="messages")


class Notification(Base):
    """Outbox of pushes to a client's chat (staff replies, turn reminders), delivered through
    Rasa's API."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    output_channel: Mapped[str] = mapped_column(String(40))
    intent: Mapped[str] = mapped_column(String(80))
    entities: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
