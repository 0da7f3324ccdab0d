"""Applies a site's configuration file (sites/<code>/site.yml) to the database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk_api.admin.schemas import OpeningWindow, ServiceCreate
from kiosk_api.admin.service import replace_opening_hours
from kiosk_api.appointments.schemas import SlotGenerate
from kiosk_api.appointments.service import generate_slots
from kiosk_api.models import Service, ServiceArea, Site, Slot
from kiosk_api.sites.access import fold_municipality


class SlotPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(default=30, ge=5, le=480)
    capacity: int = Field(default=1, ge=1, le=500)
    interpreter_languages: dict[int, list[str]] = Field(default_factory=dict)


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str
    street: str | None = None
    postcode: str | None = Field(default=None, pattern=r"^\d{5}$")
    city: str | None = None
    phone: str | None = None
    timezone: str = "Europe/Berlin"
    retention_days: int = Field(default=90, ge=1, le=3650)
    desks: int = Field(default=3, ge=1)
    routing_rules: str = "routing.yml"
    services: list[ServiceCreate]
    opening_hours: list[OpeningWindow]
    slots: SlotPlan = Field(default_factory=SlotPlan)


class AreaLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str
    postcodes: list[Annotated[str, StringConstraints(pattern=r"^\d{5}(-\d{5})?$")]] = Field(
        default_factory=list
    )
    municipalities: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list
    )


class AreaFile(BaseModel):
    """The deployment's table of which site is responsible for which postcodes and towns."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    areas: list[AreaLine]


AREA_FILE = "areas.yml"


def read_site_file(sites_dir: Path, code: str) -> SiteFile:
    with (sites_dir / code / "site.yml").open(encoding="utf-8") as handle:
        config = SiteFile.model_validate(yaml.safe_load(handle))
    if config.code != code:
        raise ValueError(f"{sites_dir / code / 'site.yml'} names the site {config.code!r}")
    return config


def site_codes(sites_dir: Path) -> list[str]:
    """Every site folder with a site.yml, in name order."""
    return sorted(path.parent.name for path in sites_dir.glob("*/site.yml"))


def read_area_file(sites_dir: Path) -> AreaFile | None:
    path = sites_dir / AREA_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as handle:
        return AreaFile.model_validate(yaml.safe_load(handle))


def apply_areas(*, session: Session, areas: AreaFile) -> int:
    """Replaces the area table with the file's: it is the deployment's configuration, not data.
    Refuses a file naming a site that is not set up, and a postcode given to two sites."""
    by_code = {site.code: site for site in session.scalars(select(Site))}
    claimed: dict[str, str] = {}
    rows: list[ServiceArea] = []
    for line in areas.areas:
        site = by_code.get(line.site)
        if site is None:
            raise ValueError(f"{AREA_FILE}: site {line.site!r} is not set up")
        for entry in line.postcodes:
            first, _, last = entry.partition("-")
            last = last or first
            if last < first:
                raise ValueError(f"{AREA_FILE}: the range {entry} runs backwards")
            for code, owner in claimed.items():
                low, high = code.split("-")
                if first <= high and low <= last and owner != line.site:
                    raise ValueError(
                        f"{AREA_FILE}: {entry} ({line.site}) overlaps {code} ({owner})"
                    )
            claimed[f"{first}-{last}"] = line.site
            rows.append(ServiceArea(site_id=site.id, postcode_from=first, postcode_to=last))
        for name in line.municipalities:
            rows.append(ServiceArea(site_id=site.id, municipality=fold_municipality(name)))
    session.execute(delete(ServiceArea))
    session.add_all(rows)
    session.flush()
    return len(rows)


def apply_site(*, session: Session, config: SiteFile) -> tuple[Site, bool]:
    """Creates the site from its file on first run; an existing site keeps what admins changed."""
    site = session.scalar(select(Site).where(Site.code == config.code))
    if site is not None:
        return site, False
    site = Site(
        code=config.code,
        name=config.name,
        street=config.street,
        postcode=config.postcode,
        city=config.city,
        phone=config.phone,
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
