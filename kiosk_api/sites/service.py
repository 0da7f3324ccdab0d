"""Applies a site's configuration file (sites/<code>/site.yml) to the database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api.admin.schemas import OpeningWindow, ServiceCreate
from kiosk_api.admin.service import replace_opening_hours
from kiosk_api.appointments.schemas import SlotGenerate
from kiosk_api.appointments.service import generate_slots
from kiosk_api.models import Service, Site, Slot


class SlotPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(default=30, ge=5, le=480)
    capacity: int = Field(default=1, ge=1, le=500)
    interpreter_languages: dict[int, list[str]] = Field(default_factory=dict)


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None
    timezone: str = "Europe/Berlin"
    retention_days: int = Field(default=90, ge=1, le=3650)
    desks: int = Field(default=3, ge=1)
    routing_rules: str = "routing.yml"
    services: list[ServiceCreate]
    opening_hours: list[OpeningWindow]
    slots: SlotPlan = Field(default_factory=SlotPlan)


def read_site_file(sites_dir: Path, code: str) -> SiteFile:
    with (sites_dir / code / "site.yml").open(encoding="utf-8") as handle:
        return SiteFile.model_validate(yaml.safe_load(handle))


def apply_site(*, session: Session, config: SiteFile) -> tuple[Site, bool]:
    """Creates the site from its file on first run; an existing site keeps what admins changed."""
    site = session.scalar(select(Site).where(Site.code == config.code))
    if site is not None:
        return site, False
    site = Site(
        code=config.code,
        name=config.name,
        timezone=config.timezone,
        retention_days=config.retention_days,
        desks=config.desks,
        routing_rules=config.routing_rules,
    )
    session.add(site)
    session.flush()
    for service in config.services:
        session.add(Service(site_id=site.id, **service.model_dump()))
    session.flush()
    replace_opening_hours(session=session, site=site, windows=config.opening_hours, actor_id=None)
    return site, True


def plan_slots(*, session: Session, site: Site, plan: SlotPlan, start: date, days: int) -> int:
    """Slots for every bookable service over the coming days; the interpreter plan adds slots per
    language."""
    created = 0
    end = start + timedelta(days=days - 1)
    for service in session.scalars(
        select(Service).where(
            Service.site_id == site.id, Service.bookable.is_(True), Service.active.is_(True)
        )
    ):
        created += len(
            generate_slots(
                session=session,
                site=site,
                payload=SlotGenerate(
                    service_code=service.code,
                    date_from=start,
                    date_to=end,
                    minutes=plan.minutes,
                    capacity=plan.capacity,
                ),
            )
        )
        for offset in range(days):
            day = start + timedelta(days=offset)
            for language in plan.interpreter_languages.get(day.weekday(), []):
                created += len(
                    generate_slots(
                        session=session,
                        site=site,
                        payload=SlotGenerate(
                            service_code=service.code,
                            date_from=day,
                            date_to=day,
                            minutes=plan.minutes,
                            capacity=1,
                            interpreter_language=language,
                        ),
                    )
                )
    return created


def has_slots(session: Session, site: Site) -> bool:
    return session.scalar(select(Slot.id).where(Slot.site_id == site.id).limit(1)) is not None
