"""Seeding, one way for all tests and benchmarks: the default site from its file, staff, slots.

In-process tests call the functions; servers in other processes or environments run
`python -m tests.support.seeding` with the kiosk API's Python and their LOTSE_DATABASE_URL."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.config import get_settings
from kiosk_api.models import Service, Site, Slot, StaffUser
from kiosk_api.models.enums import StaffRole


@dataclass(frozen=True)
class StaffSeed:
    username: str
    role: str
    password: str

    @classmethod
    def parse(cls, spec: str) -> StaffSeed:
        """`username:role:password`, the command line's form."""
        username, role, password = spec.split(":", 2)
        return cls(username, role, password)


def apply_default_site(session: Session) -> Site:
    from kiosk_api.sites.service import apply_site, read_site_file

    settings = get_settings()
    site, _ = apply_site(
        session=session, config=read_site_file(settings.sites_dir, settings.default_site)
    )
    return site


def default_site(session: Session) -> Site:
    return session.scalars(select(Site).where(Site.code == get_settings().default_site)).one()


def add_staff(
    session: Session, *, site: Site, username: str, role: str, password: str
) -> StaffUser:
    from kiosk_api.staff.schemas import StaffCreate
    from kiosk_api.staff.service import create_staff

    payload = StaffCreate(
        username=username, display_name=username.title(), role=StaffRole(role), password=password
    )
    staff = create_staff(session=session, site=site, payload=payload, actor_id=None)
    # The test chose this password for itself: no first-login change (tests/security covers it).
    staff.must_change_password = False
    session.flush()
    return staff


def add_slot(
    session: Session,
    *,
    site: Site,
    service_code: str,
    starts_at: datetime,
    capacity: int = 1,
    language: str | None = None,
    minutes: int = 30,
) -> Slot:
    service = session.scalars(
        select(Service).where(Service.site_id == site.id, Service.code == service_code)
    ).one()
    slot = Slot(
        site_id=site.id,
        service_id=service.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=capacity,
        interpreter_language=language,
    )
    session.add(slot)
    session.flush()
    return slot


def slot_in(hours: float) -> datetime:
    """A start time `hours` from now, whole seconds."""
    return clock.utcnow().replace(microsecond=0) + timedelta(hours=hours)


def plan_default_slots(session: Session, *, site: Site, days: int) -> int:
    """Slots from the site file's weekly plan for `days` days from today in the site's time zone."""
    from kiosk_api.sites.service import plan_slots, read_site_file

    settings = get_settings()
    plan = read_site_file(settings.sites_dir, settings.default_site).slots
    today = clock.today_in(site.timezone)
    return plan_slots(session=session, site=site, plan=plan, start=today, days=days)


def seed(session: Session, *, staff: tuple[StaffSeed, ...] = (), slot_days: int = 0) -> Site:
    """The default site, the given staff and `slot_days` days of planned slots."""
    site = apply_default_site(session)
    for member in staff:
        add_staff(
            session, site=site, username=member.username, role=member.role, password=member.password
        )
    if slot_days:
        plan_default_slots(session, site=site, days=slot_days)
    return site


def add_sites(session: Session, *, count: int, queue_each: int) -> list[Site]:
    """`count` more sites made from the default site's file (site01, site02, ...), each with
    `queue_each` walk-in tickets today: a deployment of many offices for the benchmarks."""
    from kiosk_api.intake.service import Proof
    from kiosk_api.models.enums import ActorType
    from kiosk_api.queue.schemas import CheckinCreate
    from kiosk_api.queue.service import check_in
    from kiosk_api.sites.service import SiteFile, apply_site, read_site_file

    settings = get_settings()
    template = read_site_file(settings.sites_dir, settings.default_site).model_dump()
    made = []
    for number in range(1, count + 1):
        code = f"site{number:02d}"
        site, _ = apply_site(
            session=session,
            config=SiteFile.model_validate(
                {
                    **template,
                    "code": code,
                    "name": f"Standort {number}",
                    # no folder of their own: they share the default site's rules
                    "routing_rules": f"../{settings.default_site}/{template['routing_rules']}",
                }
            ),
        )
        for _ in range(queue_each):
            check_in(
                session=session,
                site=site,
                payload=CheckinCreate.model_validate(
                    {"walk_in": {"language": "ar", "concern": "first_registration"}}
                ),
                proof=Proof(None, None),
                actor=ActorType.device,
            )
        made.append(site)
    session.flush()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Migrate the database of LOTSE_DATABASE_URL and seed site, staff and slots."
    )
    parser.add_argument("--staff", action="append", default=[], metavar="USER:ROLE:PASSWORD")
    parser.add_argument("--slot-days", type=int, default=0)
    parser.add_argument("--extra-sites", type=int, default=0, help="more sites beside the default")
    parser.add_argument("--queue-per-site", type=int, default=0, help="their walk-ins today")
    args = parser.parse_args()

    from kiosk_api.db import get_engine, session_scope
    from tests.support.databases import migrate

    migrate(get_engine())
    with session_scope(write=True) as session:
        seed(
            session,
            staff=tuple(StaffSeed.parse(spec) for spec in args.staff),
            slot_days=args.slot_days,
        )
        add_sites(session, count=args.extra_sites, queue_each=args.queue_per_site)
    get_engine().dispose()


if __name__ == "__main__":
    main()
