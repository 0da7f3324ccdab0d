"""What a deployment admin does across sites: switch sites on and off, say who works where, compare
anonymous counts. Never a client's record."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk_api.admin.service import weekly_statistics
from kiosk_api.audit.service import record_event
from kiosk_api.errors import InvalidInput, NotFound
from kiosk_api.models import Device, Site, StaffUser, staff_sites
from kiosk_api.models.enums import ActorType, StaffRole
from kiosk_api.sites.access import site_by_code
from kiosk_api.sites.schemas import SiteOverview, SiteStatistics, SiteWeek


def overview(*, session: Session) -> list[SiteOverview]:
    staff = dict(
        session.execute(
            select(staff_sites.c.site_id, func.count()).group_by(staff_sites.c.site_id)
        ).all()
    )
    devices = dict(
        session.execute(
            select(Device.site_id, func.count())
            .where(Device.revoked_at.is_(None))
            .group_by(Device.site_id)
        ).all()
    )
    return [
        SiteOverview(
            code=site.code,
            name=site.name,
            street=site.street,
            postcode=site.postcode,
            city=site.city,
            phone=site.phone,
            timezone=site.timezone,
            active=site.active,
            retention_days=site.retention_days,
            desks=site.desks,
            staff=staff.get(site.id, 0),
            devices=devices.get(site.id, 0),
        )
        for site in session.scalars(select(Site).order_by(Site.code))
    ]


def set_active(*, session: Session, code: str, active: bool, actor_id: int) -> Site:
    site = site_by_code(session, code, active_only=False)
    if site.active != active:
        site.active = active
        record_event(
            session=session,
            actor_type=ActorType.staff,
            actor_id=actor_id,
            action="site.activated" if active else "site.deactivated",
            subject_type="site",
            subject_id=site.id,
            site_id=site.id,
        )
        session.flush()
    return site


def set_staff_sites(
    *, session: Session, staff_id: int, codes: list[str], actor_id: int
) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFound("staff_not_found")
    if staff.role is StaffRole.deployment_admin and codes:
        # a deployment admin sees no records: give the person a second, site account instead
        raise InvalidInput("deployment_admin_has_no_sites")
    sites = [site_by_code(session, code, active_only=False) for code in dict.fromkeys(codes)]
    before = sorted(site.code for site in staff.sites)
    staff.sites = sites
    session.flush()
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=actor_id,
        action="staff.sites_changed",
        subject_type="staff",
        subject_id=staff.id,
        site_id=None,
        details={"before": before, "after": sorted(site.code for site in sites)},
    )
    return staff


def list_staff(*, session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


def statistics(*, session: Session, weeks: int) -> list[SiteStatistics]:
    """Arrivals, bookings and hand-overs per site and ISO week."""
    result = []
    for site in session.scalars(select(Site).order_by(Site.code)):
        weekly = weekly_statistics(session=session, site=site, weeks=weeks)
        result.append(
            SiteStatistics(
                site=site.code,
                name=site.name,
                weeks=[
                    SiteWeek(
                        week=w.week, arrivals=w.arrivals, bookings=w.bookings, handovers=w.handovers
                    )
                    for w in weekly.weeks
                ],
            )
        )
    return result
