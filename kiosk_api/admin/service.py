"""Site configuration and statistics for admins."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.admin.schemas import (
    OpeningWindow,
    ServiceCreate,
    ServiceUpdate,
    SiteUpdate,
    SlotUpdate,
    WeeklyCount,
    WeeklyStatistics,
)
from kiosk_api.appointments.service import day_bounds
from kiosk_api.audit.service import record_event
from kiosk_api.errors import Conflict, InvalidInput, NotFound
from kiosk_api.models import OpeningHours, Service, Site, Slot, StatisticEvent
from kiosk_api.models.enums import ActorType


def _audit_change(
    session: Session,
    *,
    site: Site,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    details: dict[str, object],
) -> None:
    """Every admin change goes to the audit trail: who changed which setting, from what to what."""
    record_event(
        session=session,
        actor_type=ActorType.staff if actor_id else ActorType.system,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        site_id=site.id,
        details=details,
    )


def _plain(value: object) -> object:
    """A value as the audit trail's JSON holds it."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def _apply(target: object, changes: dict[str, object]) -> dict[str, list[object]]:
    """Sets the given (not None) fields; returns {field: [before, after]} for those that changed."""
    changed: dict[str, list[object]] = {}
    for field, value in changes.items():
        before = getattr(target, field)
        if value is not None and value != before:
            setattr(target, field, value)
            changed[field] = [_plain(before), _plain(value)]
    return changed


def update_site(*, session: Session, site: Site, payload: SiteUpdate, actor_id: int) -> Site:
    changed = _apply(site, payload.model_dump(exclude_unset=True))
    if changed:
        _audit_change(
            session,
            site=site,
            actor_id=actor_id,
            action="site.updated",
            subject_type="site",
            subject_id=site.id,
            details={"changes": changed},
        )
    session.flush()
    return site


def list_services(*, session: Session, site: Site) -> list[Service]:
    """Every service of the site, inactive ones too."""
    return list(
        session.scalars(select(Service).where(Service.site_id == site.id).order_by(Service.id))
    )


def create_service(
    *, session: Session, site: Site, payload: ServiceCreate, actor_id: int
) -> Service:
    service = Service(site_id=site.id, **payload.model_dump())
    session.add(service)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict("service_exists") from error
    _audit_change(
        session,
        site=site,
        actor_id=actor_id,
        action="service.created",
        subject_type="service",
        subject_id=service.id,
        details={"code": service.code},
    )
    return service


def update_service(
    *, session: Session, site: Site, code: str, payload: ServiceUpdate, actor_id: int
) -> Service:
    service = session.scalar(
        select(Service).where(Service.site_id == site.id, Service.code == code)
    )
    if service is None:
        raise NotFound("service_not_found")
    changed = _apply(service, payload.model_dump(exclude_unset=True))
    if changed:
        _audit_change(
            session,
            site=site,
            actor_id=actor_id,
            action="service.updated",
            subject_type="service",
            subject_id=service.id,
            details={"code": code, "changes": changed},
        )
    session.flush()
    return service


def opening_hours(*, session: Session, site: Site) -> list[OpeningHours]:
    return list(
        session.scalars(
            select(OpeningHours)
            .where(OpeningHours.site_id == site.id)
            .order_by(OpeningHours.weekday, OpeningHours.opens)
        )
    )


def _week(windows: list[OpeningHours] | list[OpeningWindow]) -> list[list[object]]:
    return [
        [w.weekday, w.opens.isoformat("minutes"), w.closes.isoformat("minutes")] for w in windows
    ]


def replace_opening_hours(
    *, session: Session, site: Site, windows: list[OpeningWindow], actor_id: int | None
) -> list[OpeningHours]:
    ordered = sorted(windows, key=lambda w: (w.weekday, w.opens))
    for before, after in zip(ordered, ordered[1:]):
        if before.weekday == after.weekday and after.opens < before.closes:
            raise InvalidInput("opening_hours_overlap", details={"weekday": after.weekday})
    old_week = _week(site.opening_hours)
    session.execute(delete(OpeningHours).where(OpeningHours.site_id == site.id))
    rows = [
        OpeningHours(site_id=site.id, weekday=w.weekday, opens=w.opens, closes=w.closes)
        for w in ordered
    ]
    session.add_all(rows)
    _audit_change(
        session,
        site=site,
        actor_id=actor_id,
        action="opening_hours.replaced",
        subject_type="site",
        subject_id=site.id,
        details={"before": old_week, "after": _week(ordered)},
    )
    session.flush()
    session.expire(site, ["opening_hours"])
    return rows


def slots_on(*, session: Session, site: Site, day: date) -> list[Slot]:
    """Every slot of one day at the site, booked or not."""
    start, end = day_bounds(site, day)
    return list(
        session.scalars(
            select(Slot)
            .where(Slot.site_id == site.id, Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at, Slot.id)
        )
    )


def update_slot(
    *, session: Session, site: Site, slot_id: int, payload: SlotUpdate, actor_id: int
) -> Slot:
    slot = session.get(Slot, slot_id)
    if slot is None or slot.site_id != site.id:
        raise NotFound("slot_not_found")
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("capacity") is not None:
        if changes["capacity"] < slot.booked:
            raise Conflict("capacity_below_bookings", details={"booked": slot.booked})
        slot.capacity = changes["capacity"]
    if "interpreter_language" in changes:
        slot.interpreter_language = changes["interpreter_language"]
    _audit_change(
        session,
        site=site,
        actor_id=actor_id,
        action="slot.updated",
        subject_type="slot",
        subject_id=slot.id,
        details={"fields": sorted(changes)},
    )
    session.flush()
    return slot


def weekly_statistics(*, session: Session, site: Site, weeks: int) -> WeeklyStatistics:
    today = clock.today_in(site.timezone)
    first_day = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = session.execute(
        select(
            StatisticEvent.kind,
            StatisticEvent.day,
            StatisticEvent.language,
            StatisticEvent.concern,
            StatisticEvent.service_code,
        ).where(StatisticEvent.site_id == site.id, StatisticEvent.day >= first_day)
    ).all()
    buckets: dict[str, dict] = {}
    for offset in range(weeks):
        monday = first_day + timedelta(weeks=offset)
        buckets[_iso_week(monday)] = {
            "arrival": 0,
            "booking": 0,
            "handover": 0,
            "language": defaultdict(int),
            "concern": defaultdict(int),
            "service": defaultdict(int),
        }
    for kind, day, language, concern, service_code in rows:
        bucket = buckets.get(_iso_week(day))
        if bucket is None or kind not in ("arrival", "booking", "handover"):
            continue
        bucket[kind] += 1
        if kind == "arrival":
            bucket["language"][language or "unknown"] += 1
            bucket["concern"][concern or "unknown"] += 1
            bucket["service"][service_code or "unknown"] += 1
    return WeeklyStatistics(
        site=site.code,
        weeks=[
            WeeklyCount(
                week=week,
                arrivals=b["arrival"],
                bookings=b["booking"],
                handovers=b["handover"],
                by_language=dict(b["language"]),
                by_concern=dict(b["concern"]),
                by_service=dict(b["service"]),
            )
            for week, b in buckets.items()
        ],
    )


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
