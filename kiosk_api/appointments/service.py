"""Slots and bookings. A place is taken by one conditional UPDATE, so exactly one of two rivals
wins."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.appointments.schemas import BookingCreate, BookingPublic, SlotGenerate, SlotPublic
from kiosk_api.audit.service import count_statistic, record_event
from kiosk_api.config import get_settings
from kiosk_api.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from kiosk_api.intake.service import (
    Proof,
    count_source_failure,
    guard_attempts,
    open_record,
    refuse_busy_source,
)
from kiosk_api.models import Booking, IntakeRecord, OpeningHours, Service, Site, Slot, utcnow
from kiosk_api.models.enums import ActorType, BookingStatus
from kiosk_api.security import format_code, hash_secret, new_code, new_pin, normalize_code

BOOKING_PREFIX = "TB"
MAX_RANGE_DAYS = 62
MAX_SLOTS = 200


def slot_public(slot: Slot) -> SlotPublic:
    return SlotPublic(
        id=slot.id,
        service_code=slot.service.code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        free_places=slot.capacity - slot.booked,
        interpreter_language=slot.interpreter_language,
    )


def booking_public(booking: Booking, *, pin: str | None = None) -> BookingPublic:
    return BookingPublic(
        booking_code=booking.booking_code,
        booking_code_display=format_code(booking.booking_code),
        status=booking.status,
        anonymous=booking.intake_id is None,
        language=booking.language,
        slot=slot_public(booking.slot),
        pin=pin,
    )


def active_services(*, session: Session, site: Site) -> list[Service]:
    return list(
        session.scalars(
            select(Service)
            .where(Service.site_id == site.id, Service.active.is_(True))
            .order_by(Service.id)
        )
    )


def day_bounds(site: Site, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def free_slots(
    *,
    session: Session,
    site: Site,
    service_code: str | None,
    language: str | None,
    date_from: date | None,
    date_to: date | None,
) -> list[Slot]:
    today = clock.today_in(site.timezone)
    date_from = date_from or today
    date_to = date_to or date_from + timedelta(days=14)
    if date_to < date_from:
        raise InvalidInput("date_range_reversed")
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise InvalidInput("date_range_too_long", details={"max_days": MAX_RANGE_DAYS})
    start, _ = day_bounds(site, date_from)
    _, end = day_bounds(site, date_to)
    query: Select[tuple[Slot]] = (
        select(Slot)
        .join(Service, Slot.service_id == Service.id)
        .where(
            Slot.site_id == site.id,
            Slot.starts_at >= max(start, utcnow()),
            Slot.starts_at < end,
            Slot.booked < Slot.capacity,
            Service.active.is_(True),
            Service.bookable.is_(True),
        )
        .order_by(Slot.starts_at, Slot.id)
        .limit(MAX_SLOTS)
    )
    if service_code:
        query = query.where(Service.code == service_code)
    if language and language not in ("de",):
        query = query.where(Slot.interpreter_language == language)
    return list(session.scalars(query))


def generate_slots(*, session: Session, site: Site, payload: SlotGenerate) -> list[Slot]:
    """Slots over the site's opening hours in a date range; a slot that exists (same start and
    interpreter language) is kept."""
    service = session.scalar(
        select(Service).where(Service.site_id == site.id, Service.code == payload.service_code)
    )
    if service is None:
        raise NotFound("service_not_found")
    windows = session.scalars(select(OpeningHours).where(OpeningHours.site_id == site.id)).all()
    zone = ZoneInfo(site.timezone)
    same_language = (
        Slot.interpreter_language.is_(None)
        if payload.interpreter_language is None
        else Slot.interpreter_language == payload.interpreter_language
    )
    existing = set(
        session.scalars(select(Slot.starts_at).where(Slot.service_id == service.id, same_language))
    )
    created: list[Slot] = []
    day = payload.date_from
    while day <= payload.date_to:
        for window in (w for w in windows if w.weekday == day.weekday()):
            start = datetime.combine(day, window.opens, tzinfo=zone)
            close = datetime.combine(day, window.closes, tzinfo=zone)
            while start + timedelta(minutes=payload.minutes) <= close:
                start_utc = start.astimezone(UTC)
                if start_utc not in existing:
                    slot = Slot(
                        site_id=site.id,
                        service_id=service.id,
                        starts_at=start_utc,
                        ends_at=(start + timedelta(minutes=payload.minutes)).astimezone(UTC),
                        capacity=payload.capacity,
                        interpreter_language=payload.interpreter_language,
                    )
                    created.append(slot)
                start += timedelta(minutes=payload.minutes)
        day += timedelta(days=1)
    session.add_all(created)
    session.flush()
    return created


def take_place(*, session: Session, site: Site, slot_id: int) -> Slot:
    bookable = (
        select(Service.id)
        .where(Service.id == Slot.service_id, Service.active.is_(True), Service.bookable.is_(True))
        .exists()
    )
    taken = session.execute(
        update(Slot)
        .where(
            Slot.id == slot_id,
            Slot.site_id == site.id,
            Slot.booked < Slot.capacity,
            Slot.starts_at > utcnow(),
            bookable,
        )
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    slot = session.get(Slot, slot_id, populate_existing=True)
    if taken.rowcount == 1 and slot is not None:
        return slot
    if (
        slot is None
        or slot.site_id != site.id
        or not (slot.service.active and slot.service.bookable)
    ):
        raise NotFound("slot_not_found")
    if slot.starts_at <= utcnow():
        raise Conflict("slot_in_past")
    raise Conflict("slot_full")


def release_place(*, session: Session, slot_id: int) -> None:
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


# Which daily cap an anonymous booking counts against, by who books it.
_DAILY_CAP_SETTING = {
    ActorType.client: "anonymous_bookings_per_address_per_day",
    ActorType.device: "anonymous_bookings_per_device_per_day",
    ActorType.bot: "anonymous_bookings_per_conversation_per_day",
}
BOT_SOURCE = "bot"


def source_key(source: str) -> str:
    """Keyed hash of a booking source (address, device, chat): counts it without storing it."""
    return hash_secret("booking-source", source)


def anonymous_places(capacity: int, share: float) -> int:
    """The places of a slot anonymous bookings may take (see the setting anonymous_slot_share)."""
    if share <= 0 or capacity < 1:
        return 0
    return max(1, math.floor(capacity * share + 1e-9))


def _lock_source(session: Session, key: str) -> None:
    """PostgreSQL: one booking per source at a time, so parallel requests cannot all pass the
    count; SQLite's BEGIN IMMEDIATE already serialises every writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(int(key[:15], 16))))


def _anonymous_today(session: Session, site: Site, now: datetime, *conditions: Any) -> int:
    start, end = day_bounds(site, now.astimezone(ZoneInfo(site.timezone)).date())
    return session.execute(
        select(func.count(Booking.id)).where(
            Booking.intake_id.is_(None),
            Booking.created_at >= start,
            Booking.created_at < end,
            *conditions,
        )
    ).scalar_one()


def guard_daily_cap(
    *, session: Session, site: Site, actor: ActorType, source: str, now: datetime
) -> str:
    """Refuses a source's anonymous booking over its cap for the site-local day; returns its key."""
    settings = get_settings()
    key = source_key(source)
    _lock_source(session, source_key(BOT_SOURCE) if actor is ActorType.bot else key)
    caps: list[tuple[int, Any]] = []
    if source != BOT_SOURCE:
        setting = _DAILY_CAP_SETTING.get(actor, "anonymous_bookings_per_address_per_day")
        caps.append((getattr(settings, setting), Booking.source_key == key))
    if actor is ActorType.bot:
        # The bot books for every chat: one bucket for all of them on top of each chat's own.
        caps.append(
            (settings.anonymous_bookings_per_bot_per_day, Booking.booked_by == ActorType.bot.value)
        )
    for limit, condition in caps:
        if _anonymous_today(session, site, now, condition) >= limit:
            _, day_end = day_bounds(site, now.astimezone(ZoneInfo(site.timezone)).date())
            raise TooManyRequests(
                "booking_limit_reached",
                details={"limit": limit},
                headers={"Retry-After": str(max(1, int((day_end - now).total_seconds())))},
            )
    return key


def guard_anonymous_quota(*, session: Session, slot: Slot) -> None:
    """Keeps the slot's reserve for registered clients and the desk. Runs after take_place: its
    UPDATE holds the slot's row lock (SQLite: the whole database) until commit, so rivals count
    after this booking is in."""
    quota = anonymous_places(slot.capacity, get_settings().anonymous_slot_share)
    taken = session.execute(
        select(func.count(Booking.id)).where(
            Booking.slot_id == slot.id,
            Booking.intake_id.is_(None),
            Booking.status != BookingStatus.cancelled,
        )
    ).scalar_one()
    if taken >= quota:
        raise Conflict("anonymous_places_taken", details={"anonymous_places": quota})


def book(
    *,
    session: Session,
    site: Site,
    slot_id: int,
    language: str,
    record: IntakeRecord | None,
    actor: ActorType,
    actor_id: int | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> tuple[Booking, str | None]:
    """Returns the booking and, for an anonymous one, its PIN (shown once).

    An anonymous booking counts against its `source` (Caller.booking_source) for the day of `now`
    and against the slot's anonymous places; staff book for a record and are not capped."""
    now = now or utcnow()
    key = None
    if record is None and source is not None:
        key = guard_daily_cap(session=session, site=site, actor=actor, source=source, now=now)
    if record is not None:
        duplicate = session.scalar(
            select(Booking).where(
                Booking.intake_id == record.id,
                Booking.slot_id == slot_id,
                Booking.status == BookingStatus.booked,
            )
        )
        if duplicate is not None:
            raise Conflict("already_booked", details={"booking_code": duplicate.booking_code})
    slot = take_place(session=session, site=site, slot_id=slot_id)
    if record is None:
        guard_anonymous_quota(session=session, slot=slot)
    code = new_code(BOOKING_PREFIX)
    pin = None if record is not None else new_pin()
    booking = Booking(
        booking_code=code,
        pin_hash=hash_secret(code, pin) if pin else None,
        slot_id=slot.id,
        intake_id=record.id if record else None,
        language=language,
        booked_by=actor.value,
        source_key=key,
        created_at=now,
    )
    session.add(booking)
    session.flush()
    session.refresh(booking)
    record_event(
        session=session,
        actor_type=actor,
        actor_id=actor_id,
        action="booking.created",
        subject_type="booking",
        subject_id=booking.id,
        site_id=site.id,
        details={"slot_id": slot.id},
    )
    count_statistic(
        session=session,
        site_id=site.id,
        kind="booking",
        day=slot.starts_at.astimezone(ZoneInfo(site.timezone)).date(),
        language=language,
        concern=None,
        service_code=slot.service.code,
    )
    return booking, pin


def open_booking(
    *, session: Session, booking_code: str, proof: Proof, allow_birth_date: bool = False
) -> Booking:
    """The booking after its proof: the PIN (of the booking, or of its record); the record's date
    of birth only for check-in."""
    refuse_busy_source(proof)
    booking = session.scalar(
        select(Booking)
        .where(Booking.booking_code == normalize_code(booking_code))
        .with_for_update()
    )
    if booking is None:
        count_source_failure(proof)
        raise NotFound("booking_not_found")
    if booking.intake is not None:
        guard_attempts(
            booking.intake,
            code=booking.intake.reference_code,
            proof=proof,
            birth_date=booking.intake.birth_date,
            allow_birth_date=allow_birth_date,
        )
    else:
        guard_attempts(booking, code=booking.booking_code, proof=proof, birth_date=None)
    return booking


def move(
    *, session: Session, site: Site, booking: Booking, slot_id: int, actor: ActorType
) -> Booking:
    if booking.status is not BookingStatus.booked:
        raise Conflict("booking_not_active")
    if booking.slot_id == slot_id:
        return booking
    old_slot_id = booking.slot_id
    slot = take_place(session=session, site=site, slot_id=slot_id)
    if booking.intake_id is None:
        guard_anonymous_quota(session=session, slot=slot)
    release_place(session=session, slot_id=old_slot_id)
    booking.slot_id = slot.id
    session.flush()
    session.refresh(booking)
    record_event(
        session=session,
        actor_type=actor,
        action="booking.moved",
        subject_type="booking",
        subject_id=booking.id,
        site_id=site.id,
        details={"from_slot": old_slot_id, "to_slot": slot.id},
    )
    return booking


def cancel(*, session: Session, site: Site, booking: Booking, actor: ActorType) -> Booking:
    if booking.status is BookingStatus.cancelled:
        return booking
    if booking.status is not BookingStatus.booked:
        raise Conflict("booking_not_active")
    if booking.slot.starts_at > utcnow():
        release_place(session=session, slot_id=booking.slot_id)
    booking.status = BookingStatus.cancelled
    booking.cancelled_at = utcnow()
    session.flush()
    session.refresh(booking)
    record_event(
        session=session,
        actor_type=actor,
        action="booking.cancelled",
        subject_type="booking",
        subject_id=booking.id,
        site_id=site.id,
    )
    return booking


def bookings_of(
    *, session: Session, record: IntakeRecord, upcoming_only: bool = True
) -> list[Booking]:
    query = (
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.intake_id == record.id, Booking.status == BookingStatus.booked)
        .order_by(Slot.starts_at)
    )
    if upcoming_only:
        query = query.where(Slot.ends_at > utcnow())
    return list(session.scalars(query))


def record_for_booking(
    *, session: Session, reference_code: str | None, proof: Proof
) -> IntakeRecord | None:
    if reference_code is None:
        return None
    return open_record(session=session, reference_code=reference_code, proof=proof)


def create_booking(
    *,
    session: Session,
    site: Site,
    payload: BookingCreate,
    proof: Proof,
    actor: ActorType,
    source: str,
    now: datetime | None = None,
) -> BookingPublic:
    """A client's booking, for their record (proved) or anonymous (capped per `source` and day);
    the answer holds an anonymous booking's PIN once."""
    record = record_for_booking(session=session, reference_code=payload.reference_code, proof=proof)
    booking, pin = book(
        session=session,
        # a registered client books at the site that holds their record, whoever asks
        site=record.site if record is not None else site,
        slot_id=payload.slot_id,
        language=payload.language,
        record=record,
        actor=actor,
        source=source,
        now=now,
    )
    booking.conversation_id = proof.conversation_id  # the bot's chat proves it later (bot only)
    return booking_public(booking, pin=pin)
