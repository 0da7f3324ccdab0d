from __future__ import annotations

from datetime import time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Time, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk_api.models.base import Base


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    routing_rules: Mapped[str] = mapped_column(String(200), default="routing.yml")
    desks: Mapped[int] = mapped_column(Integer, default=3)
    # The office's address, told to chat clients the area table sends here.
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # A site switched off keeps its records (retention still runs) but takes no new clients.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    services: Mapped[list[Service]] = relationship(back_populates="site", order_by="Service.id")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="site",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
        cascade="all, delete-orphan",
    )


class Service(Base):
    """A team clients are routed to (entry zone, benefits, placement, career guidance, U25,
    Integration Point)."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes_per_client: Mapped[int] = mapped_column(Integer, default=15)
    bookable: Mapped[bool] = mapped_column(Boolean, default=True)

    site: Mapped[Site] = relationship(back_populates="services")


class OpeningHours(Base):
    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    site: Mapped[Site] = relationship(back_populates="opening_hours")


class ServiceArea(Base):
    """One line of the deployment's area table: a postcode range or a municipality and the site
    responsible for it (sites/areas.yml)."""

    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    postcode_from: Mapped[str | None] = mapped_column(String(5), nullable=True, index=True)
    postcode_to: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # folded: lower case, umlauts and ß spelt out, hyphens and spaces removed
    municipality: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
